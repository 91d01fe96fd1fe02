"""`healthloop backtest`: replay stored history day by day and see what would have fired, and when.

Nothing is written. With known outcomes (a CSV of account_id,date,outcome with outcome
won/lost/churned) it also reports how many days before each loss a trigger or tier first
showed up: the first piece of the *Learn* step.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.health.account_start import account_starts
from connector.health.history import AccountHistory, load_histories, lookback_days
from connector.health.population import population_series, seen_days, stored_populations
from connector.measure.indicator_data import indicator_json
from connector.measure.renewals import known_losses, read_outcome_csv, stored_renewals
from connector.store.models import Account
from scoring.assess import assess
from scoring.day_series import DaySeries
from scoring.indicators import TriggerFiring, indicator_accuracy, score_auc
from scoring.model import UNKNOWN_POPULATION, OpenAlert, Population, PriorState
from scoring.outcomes import RenewalFact, ScorePoint
from scoring.peers import peer_horizon
from scoring.rules import TIERS, TRIGGER_IDS, ScoringRules

LEAD_HORIZON_DAYS = 180
"""A firing counts as a warning of a loss only if it came at most this long before it."""


@dataclass
class Replay:
    """What one account looked like on each replayed day."""

    tiers: dict[date, str] = field(default_factory=dict)
    fired: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    scores: dict[date, int] = field(default_factory=dict)


def replay_populations(
    session: Session, histories: Mapping[str, AccountHistory], days: Sequence[date], rules: ScoringRules,
    starts: Mapping[str, date],
) -> dict[date, Population]:  # fmt: skip
    """Each replayed day's population as scoring saw it (peers, event catalogue): the stored one for these
    rules, else computed from the loaded histories. Nothing is written. Without it a replay would rank no
    account among peers and count never-fired events as "not done": another score than the stored one."""
    populations = stored_populations(session, days, rules)
    missing = [day for day in days if day not in populations]
    if missing:
        horizon = timedelta(days=peer_horizon(rules) + 1)
        seen = seen_days(session, list(histories), missing[0] - horizon, missing[-1])
        populations |= population_series(histories.values(), missing, rules, starts, seen)
    return populations


def replay(
    history: AccountHistory,
    days: list[date],
    rules: ScoringRules,
    start: date | None,
    populations: Mapping[date, Population] | None = None,
) -> Replay:
    """Score every day in order, feeding each day's score and alerts into the next, as the job would,
    with each day's population (`replay_populations`).

    Days before the account's `start` (`account_starts`) are not judged at all: no score, tier or
    trigger, so nothing is counted for them; an account with no known start is not judged on any day.
    """
    result = Replay()
    if start is None:
        return result
    days = [day for day in days if day >= start]
    scores: dict[date, int] = {}
    open_alerts: dict[str, OpenAlert] = {}
    last_cleared: dict[str, date] = {}
    previous_tier: str | None = None
    windows = {rules.trend.window_days, rules.alerts.drop_window_days}
    series, lookback = DaySeries(history.days.values(), rules), lookback_days(rules)
    for day in days:
        earlier = {n: scores[day - timedelta(days=n)] for n in windows if day - timedelta(days=n) in scores}
        prior = PriorState(earlier, previous_tier, dict(open_alerts), dict(last_cleared))
        population = (populations or {}).get(day, UNKNOWN_POPULATION)
        decided_at = datetime.combine(day, time.max, tzinfo=UTC)
        timeline = history.timeline(day, rules)
        daily = series.daily(timeline, lookback)
        assessment = assess(timeline, rules, prior, decided_at, population, daily=daily, interventions=False)
        scores[day] = result.scores[day] = assessment.score.value
        previous_tier = result.tiers[day] = assessment.tier
        for hit in assessment.fired:
            open_alerts[hit.trigger_id] = OpenAlert(hit.trigger_id, day, hit.evidence)
            result.fired[hit.trigger_id].append(day)
        for trigger_id in assessment.cleared:
            open_alerts.pop(trigger_id, None)
            last_cleared[trigger_id] = day
    return result


def read_outcomes(path: Path) -> dict[str, tuple[date, str]]:
    """account_id -> (date, outcome) of the latest loss (lost or churned) in the CSV."""
    losses: dict[str, tuple[date, str]] = {}
    for row in read_outcome_csv(path):
        if row.outcome != "won" and (row.account_id not in losses or row.day > losses[row.account_id][0]):
            losses[row.account_id] = (row.day, row.outcome)
    return losses


def summarize(replays: dict[str, Replay], losses: dict[str, tuple[date, str]]) -> dict[str, Any]:
    """Per trigger and per tier: who fired or entered, and lead days before known losses."""
    triggers = {}
    for trigger_id in TRIGGER_IDS:
        fired = {account: r.fired[trigger_id] for account, r in replays.items() if r.fired.get(trigger_id)}
        triggers[trigger_id] = {
            "accounts": len(fired),
            "firings": sum(len(days) for days in fired.values()),
            **_leads({account: days for account, days in fired.items()}, losses),
        }
    tiers = {}
    for tier in TIERS:
        entered = {account: sorted(d for d, t in r.tiers.items() if t == tier) for account, r in replays.items()}
        entered = {account: days for account, days in entered.items() if days}
        tiers[tier] = {
            "accounts": len(entered),
            "account_days": sum(len(days) for days in entered.values()),
            **_leads(entered, losses),
        }
    return {"accounts": len(replays), "losses": len(losses), "triggers": triggers, "tiers": tiers}


def indicators(replays: dict[str, Replay], renewals: list[RenewalFact], rules: ScoringRules) -> dict[str, Any]:
    """Per trigger and for the score: precision and recall with 95% Wilson intervals and their counts
    (renewals, lost, flagged), lead time before lost renewals; the score's AUC 30/60/90 days before
    renewal with its 95% interval, clustered by account (`indicator_data.indicator_json`)."""
    histories = {a: [ScorePoint(d, s) for d, s in sorted(r.scores.items())] for a, r in replays.items()}
    firings = [TriggerFiring(a, t, d) for a, r in replays.items() for t, days in r.fired.items() for d in days]
    accuracy = indicator_accuracy(renewals, histories, firings, score_below=rules.tiers.monitor)
    return indicator_json(accuracy, score_auc(renewals, histories), renewals)


def _leads(days_by_account: dict[str, list[date]], losses: dict[str, tuple[date, str]]) -> dict[str, Any]:
    leads = []
    for account, (lost_on, _) in losses.items():
        before = [d for d in days_by_account.get(account, []) if lost_on - timedelta(LEAD_HORIZON_DAYS) <= d <= lost_on]
        if before:
            leads.append((lost_on - min(before)).days)
    return {
        "losses_warned": len(leads),
        "median_lead_days": statistics.median(leads) if leads else None,
    }


def run_backtest(
    session: Session, rules: ScoringRules, first: date, last: date, outcomes: Path | None
) -> dict[str, Any]:
    """Replay every stored account from `first` to `last` under `rules` and measure it against the
    stored renewals (CRM and `outcomes import`), plus the CSV `outcomes` on top when given."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    accounts = list(session.scalars(select(Account.account_id)))
    histories = load_histories(session, accounts, first - timedelta(days=lookback_days(rules)), last)
    starts = account_starts(session, accounts)
    stored = known_losses(session)
    renewals = stored_renewals(session)
    populations = replay_populations(session, histories, days, rules, starts)
    replays = {
        account: replay(history, days, rules, starts.get(account), populations)
        for account, history in histories.items()
    }
    report = summarize(replays, stored | (read_outcomes(outcomes) if outcomes else {}))
    if outcomes:
        renewals += [RenewalFact(r.account_id, r.day, r.outcome == "won") for r in read_outcome_csv(outcomes)]
    report |= indicators(replays, renewals, rules)
    return report | {"from": first.isoformat(), "to": last.isoformat(), "config_version": rules.version()}
