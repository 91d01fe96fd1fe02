"""One entry point: a timeline, the rules and the prior state in; the whole assessment out."""

from __future__ import annotations

from datetime import datetime

from scoring.alerts import reconcile
from scoring.churn import churn_features, predict
from scoring.daily import Daily, DayMemo, read_daily
from scoring.model import (
    UNKNOWN_POPULATION,
    AccountTimeline,
    Assessment,
    ChurnModel,
    HealthScore,
    Population,
    PriorState,
)
from scoring.playbook import plan
from scoring.rules import SIGNALS, ScoringRules
from scoring.score import SIGNAL_LABELS, health_score, tier_for, trend
from scoring.signals import compute_signals
from scoring.triggers import evaluate

REASON_MAX = 200
_last_version: tuple[ScoringRules, str] | None = None


def config_version(rules: ScoringRules) -> str:
    """`rules.version()`, remembered for the last rules object seen (hashing them costs more than scoring)."""
    global _last_version
    remembered = _last_version
    if remembered is not None and remembered[0] is rules:
        return remembered[1]
    version = rules.version()
    _last_version = (rules, version)
    return version


def reason_line(score: HealthScore) -> str:
    """Why the score is what it is, in at most REASON_MAX characters.

    Leads with the signal that costs the most points (max of weight_used * (100 - value)), then
    names the null signals and why they are null.
    """
    valued = [(name, score.signals[name]) for name in SIGNALS if name in score.signals]
    valued = [(name, s) for name, s in valued if s.value is not None]
    parts: list[str] = []
    if valued:
        name, drag = max(valued, key=lambda item: score.weights_used.get(item[0], 0.0) * (100 - (item[1].value or 0)))
        if score.weights_used.get(name, 0.0) * (100 - (drag.value or 0)) > 0:
            parts.append(f"{SIGNAL_LABELS[name]} {drag.value:.0f}/100: {drag.explanation}")
        else:
            parts.append("every weighted signal at 100")
    else:
        parts.append(f"score {score.value}: no signal has a value")
    for name in SIGNALS:
        signal = score.signals.get(name)
        if signal is None or signal.value is None:
            why = signal.explanation if signal is not None else "not computed"
            parts.append(f"{SIGNAL_LABELS[name]} null ({why})")
    line = "; ".join(parts)
    return line if len(line) <= REASON_MAX else line[: REASON_MAX - 1].rstrip() + "…"


def score_only(
    timeline: AccountTimeline,
    rules: ScoringRules,
    population: Population = UNKNOWN_POPULATION,
    daily: Daily | None = None,
) -> HealthScore:
    """`assess(...).score` without the rest (triggers, alerts, plays): the score alone does not depend
    on the prior state, so a replay that only needs an earlier day's score computes just this."""
    daily = daily if daily is not None else read_daily(timeline, rules)
    return health_score(compute_signals(timeline, rules, daily, population), rules.weights)


def assess(
    timeline: AccountTimeline,
    rules: ScoringRules,
    prior: PriorState,
    decided_at: datetime,
    population: Population = UNKNOWN_POPULATION,
    *,
    memo: DayMemo | None = None,
    daily: Daily | None = None,
    interventions: bool = True,
    churn_model: ChurnModel | None = None,
) -> Assessment:
    """Signals -> score -> tier -> trend -> triggers -> alert lifecycle -> interventions, for one account and day.

    The trend compares with `prior.score_days_ago[rules.trend.window_days]`; `decided_at` only sets
    the interventions' due times; `population` (peers' activity, the events that exist) is what the
    connector knew of every account the day before. Deterministic: the same inputs give the same assessment.
    `memo` carries what each stored day says between the days of a replay (see `read_daily`), or
    `daily` is the timeline's days already read (a replay's `scoring.day_series.DaySeries.daily`);
    `interventions=False` skips the playbook for replays that never act (no intervention is decided).
    With a `churn_model` (one the Learn step found better than the score), the assessment carries its
    churn probability and each input's contribution.
    """
    daily = daily if daily is not None else read_daily(timeline, rules, memo)
    signals = compute_signals(timeline, rules, daily, population)
    score = health_score(signals, rules.weights)
    tier = tier_for(score.value, rules.tiers)
    movement = trend(score.value, prior.score_days_ago.get(rules.trend.window_days), rules.trend)
    hits = evaluate(timeline, score, tier, movement, prior, rules, daily, population)
    fired, _still_open, cleared = reconcile(hits, prior, timeline.as_of, rules)
    planned = plan(timeline, score, tier, movement, hits, fired, prior, rules, decided_at) if interventions else ()
    return Assessment(
        account_id=timeline.account_id,
        as_of=timeline.as_of,
        score=score,
        tier=tier,
        trend=movement,
        hits=tuple(hits),
        fired=fired,
        cleared=cleared,
        interventions=planned,
        reason=reason_line(score),
        config_version=config_version(rules),
        churn=None if churn_model is None else predict(churn_model, churn_features(timeline, daily, signals)),
    )
