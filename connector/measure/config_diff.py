"""`healthloop config diff NEW.yaml`: what a proposed config would change, before anyone publishes it.

Stored history is replayed day by day under the live config and under the proposed one (the
backtest's replay): how many accounts end in another tier, which triggers fire more or less often,
and how the indicators do against known renewals, old vs new: precision and recall with their
intervals, and the change in the score's AUC with the paired interval of the difference (the same
renewals scored both ways). Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.health.account_start import account_starts
from connector.health.history import load_histories, lookback_days
from connector.measure.backtest import Replay, indicators, replay, replay_populations
from connector.measure.renewals import stored_renewals
from connector.store.models import Account
from scoring.indicators import score_at
from scoring.outcomes import RenewalFact, ScorePoint
from scoring.rules import TRIGGER_IDS
from scoring.statistics import auc_difference

CARRY_DAYS = 7
"""As `scoring.indicators.score_auc`: the latest score within a week up to the day counts."""


def changed_keys(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the values that differ between two configs (as plain data)."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            paths += changed_keys(old.get(key), new.get(key), f"{prefix}{key}.")
        return paths
    return [] if old == new else [prefix.rstrip(".")]


def compare(old: dict[str, Replay], new: dict[str, Replay], last_day: Any) -> dict[str, Any]:
    """Tier moves on the last day and trigger firings over the period, old vs new."""
    moves: Counter[tuple[str, str]] = Counter()
    for account, before in old.items():
        after = new.get(account)
        if after is None:
            continue
        was, now = before.tiers.get(last_day), after.tiers.get(last_day)
        if was and now and was != now:
            moves[(was, now)] += 1
    triggers = {}
    for trigger_id in TRIGGER_IDS:
        was = sum(len(r.fired.get(trigger_id, ())) for r in old.values())
        now = sum(len(r.fired.get(trigger_id, ())) for r in new.values())
        triggers[trigger_id] = {"old": was, "new": now, "change": now - was}
    return {
        "accounts": len(old),
        "tier_changes": sum(moves.values()),
        "tier_moves": [{"from": f, "to": t, "accounts": n} for (f, t), n in moves.most_common()],
        "triggers": triggers,
    }


def diff_configs(session: Session, live: Config, new: Config, days: int, last: date) -> dict[str, Any]:
    """Replay the last `days` days of stored history under both configs and compare what they decide."""
    first = last - timedelta(days=days - 1)
    dates = [first + timedelta(days=n) for n in range(days)]
    lookback = max(lookback_days(live.scoring), lookback_days(new.scoring))
    accounts = list(session.scalars(select(Account.account_id)))
    histories = load_histories(session, accounts, first - timedelta(days=lookback), last)
    starts = account_starts(session, accounts)
    renewals = stored_renewals(session)
    populations = {
        "old": replay_populations(session, histories, dates, live.scoring, starts),
        "new": replay_populations(session, histories, dates, new.scoring, starts),
    }
    old_replays = {a: replay(h, dates, live.scoring, starts.get(a), populations["old"]) for a, h in histories.items()}
    new_replays = {a: replay(h, dates, new.scoring, starts.get(a), populations["new"]) for a, h in histories.items()}
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "changed": changed_keys(live.model_dump(mode="json"), new.model_dump(mode="json")),
        "versions": {"old": live.scoring.version(), "new": new.scoring.version()},
        **compare(old_replays, new_replays, last),
        "indicators": {
            "old": indicators(old_replays, renewals, live.scoring),
            "new": indicators(new_replays, renewals, new.scoring),
        },
        "score_auc_change": score_auc_change(old_replays, new_replays, renewals),
    }


def score_auc_change(
    old: dict[str, Replay],
    new: dict[str, Replay],
    renewals: list[RenewalFact],
    days_before: tuple[int, ...] = (30, 60, 90),
) -> list[dict[str, Any]]:
    """New minus old score AUC `k` days before each closed renewal, on the renewals both configs scored
    then, with the paired 95% interval (clustered by account when one has several renewals)."""
    closed = [r for r in renewals if r.won is not None]
    rows = []
    for k in days_before:
        was: list[float] = []
        now: list[float] = []
        lost: list[bool] = []
        ids: list[str] = []
        for renewal in closed:
            day = renewal.close_date - timedelta(days=k)
            before = _score_on(old.get(renewal.account_id), day)
            after = _score_on(new.get(renewal.account_id), day)
            if before is not None and after is not None:
                was.append(before)
                now.append(after)
                lost.append(renewal.won is False)
                ids.append(renewal.account_id)
        difference = auc_difference(now, was, lost, accounts=ids)
        rows.append(
            {"days_before": k, "new": asdict(difference.first), "old": asdict(difference.second)}
            | {key: value for key, value in asdict(difference).items() if key not in ("first", "second")}
        )
    return rows


def _score_on(replayed: Replay | None, day: date) -> int | None:
    """The replayed score on `day` or the latest in the CARRY_DAYS before it (as `score_at` reads stored ones)."""
    if replayed is None:
        return None
    history = [ScorePoint(d, s) for d, s in replayed.scores.items()]
    return score_at(history, day, CARRY_DAYS)
