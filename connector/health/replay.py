"""Replay stored history: score every day of a range for many accounts, each account's days in order,
from histories loaded once, with each day's score, tier and alerts fed into the next in memory.

Decides exactly what scoring each day one by one decides (a test holds the two equal), an order of
magnitude faster: no history re-read per day, no earlier score re-read or recomputed, each account's
days read once into a `scoring.day_series.DaySeries` (window sums and unions slid from day to day
instead of recounted over every window), no playbook (a replay never acts). Backfills store what it decides
(`connector/health/backfill.py`); backtest and config diff only look (`connector/measure/`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from connector.health.history import AccountHistory, lookback_days
from scoring.assess import assess, score_only
from scoring.daily import account_start
from scoring.day_series import DaySeries
from scoring.model import Assessment, ChurnModel, OpenAlert, Population, PriorState
from scoring.rules import ScoringRules


@dataclass
class ReplayState:
    """One account as the replay carries it from day to day."""

    scores: dict[date, int] = field(default_factory=dict)
    """Scores of earlier days (stored before the range, then replayed)."""
    open_alerts: dict[str, OpenAlert] = field(default_factory=dict)
    last_cleared: dict[str, date] = field(default_factory=dict)
    previous_tier: str | None = None


@dataclass(frozen=True)
class AlertSpan:
    """An alert the replay opened (fired on a replayed day) or closed (one open before the range)."""

    trigger_id: str
    fired_on: date
    cleared_on: date | None
    """None: still open at the end of the range."""
    evidence: Mapping[str, object]
    explanation: str
    config_version: str
    opened_here: bool
    """False: the alert was open before the range and the replay only cleared it."""


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def earlier_windows(rules: ScoringRules) -> set[int]:
    """How many days back scoring needs the account's earlier score (trend and drop windows)."""
    return {rules.trend.window_days, rules.alerts.drop_window_days}


def replay_account(
    history: AccountHistory,
    days: Sequence[date],
    rules: ScoringRules,
    populations: Mapping[date, Population],
    start: date | None,
    state: ReplayState | None = None,
    churn_model: ChurnModel | None = None,
) -> Iterator[Assessment]:
    """Assess every day of `days` (ascending) on or after the account's `start`, carrying `state`
    (updated in place): what the day-by-day path decides with the same stored history.

    An earlier score that neither the state nor the replay holds is recomputed from the history
    with no prior state and the day's population, as the day-by-day path does for a gap.
    """
    if start is None:
        return
    state = state if state is not None else ReplayState()
    series, lookback = DaySeries(history.days.values(), rules), lookback_days(rules)
    windows = sorted(earlier_windows(rules))
    for day in days:
        if day < start:
            continue
        population = populations[day]
        earlier: dict[int, int] = {}
        for n in windows:
            then = day - timedelta(days=n)
            if then in state.scores:
                earlier[n] = state.scores[then]
            elif any(d <= then for d in history.days):
                past = history.timeline(then, rules)
                began = account_start(past)
                if began is not None and began <= then:
                    earlier[n] = score_only(past, rules, population, series.daily(past, lookback)).value
        prior = PriorState(earlier, state.previous_tier, dict(state.open_alerts), dict(state.last_cleared))
        timeline = history.timeline(day, rules)
        assessment = assess(
            timeline,
            rules,
            prior,
            end_of(day),
            population,
            daily=series.daily(timeline, lookback),
            interventions=False,
            churn_model=churn_model,
        )
        state.scores[day] = assessment.score.value
        state.previous_tier = assessment.tier
        for hit in assessment.fired:
            state.open_alerts[hit.trigger_id] = OpenAlert(hit.trigger_id, day, hit.evidence)
        for trigger_id in assessment.cleared:
            state.open_alerts.pop(trigger_id, None)
            state.last_cleared[trigger_id] = day
        yield assessment


def alert_spans(assessments: Iterable[Assessment], opened_before: Mapping[str, OpenAlert]) -> list[AlertSpan]:
    """The alerts one account's replayed assessments opened and closed, as spans of days."""
    running: dict[str, AlertSpan] = {
        trigger_id: AlertSpan(trigger_id, alert.fired_on, None, alert.evidence, "", "", opened_here=False)
        for trigger_id, alert in opened_before.items()
    }
    spans: list[AlertSpan] = []
    for assessment in assessments:
        for trigger_id in assessment.cleared:
            span = running.pop(trigger_id, None)
            if span is not None:
                spans.append(_closed(span, assessment.as_of))
        for hit in assessment.fired:
            running[hit.trigger_id] = AlertSpan(
                hit.trigger_id,
                assessment.as_of,
                None,
                hit.evidence,
                hit.explanation,
                assessment.config_version,
                opened_here=True,
            )
    return spans + [span for span in running.values() if span.opened_here]


def _closed(span: AlertSpan, day: date) -> AlertSpan:
    return AlertSpan(
        span.trigger_id, span.fired_on, day, span.evidence, span.explanation, span.config_version, span.opened_here
    )
