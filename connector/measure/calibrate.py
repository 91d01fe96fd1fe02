"""`healthloop calibrate`: the samples `scoring.calibrate` fits to, read from stored renewals and scores,
and its result as plain data (JSON) and as a proposed YAML.

Each closed renewal becomes a sample: the account's stored signals `days_before` its close date (the
latest score in the week up to that day, never one dated before the account's start) and whether it
was lost. Its tenure is `first` for the account's earliest closed renewal when that closed within
`FIRST_TERM_DAYS` of the account's start, else `later`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.health.account_start import account_starts, started
from connector.measure.renewals import stored_renewals
from connector.store.models import AccountScore
from connector.store.sql import chunks, in_list
from scoring.calibrate import Calibration, Sample, Tenure
from scoring.weight_search import SIGNALS

CARRY_DAYS = 7
FIRST_TERM_DAYS = 400
"""A yearly term and a month's grace: a first renewal on record closing later than this after the
account's start is not its first renewal (its history began before ours did)."""


def tenure_of(close: date, earlier_closed: bool, start: date | None) -> Tenure:
    """`first` for the account's first closed renewal within FIRST_TERM_DAYS of its start, else `later`."""
    if earlier_closed or (start is not None and (close - start).days > FIRST_TERM_DAYS):
        return "later"
    return "first"


def load_samples(session: Session, days_before: int) -> list[Sample]:
    """One sample per closed renewal with a stored score (on or after the account's start) in the week
    up to `close - days_before`."""
    renewals = sorted((r for r in stored_renewals(session) if r.won is not None), key=lambda r: r.close_date)
    accounts = sorted({r.account_id for r in renewals})
    starts = account_starts(session, accounts)
    by_account: dict[str, list[tuple[date, dict[str, Any]]]] = defaultdict(list)
    for chunk in chunks(accounts):
        for account_id, day, signals in session.execute(
            select(AccountScore.account_id, AccountScore.day, AccountScore.signals)
            .where(in_list(session, AccountScore.account_id, chunk))
            .order_by(AccountScore.day)
        ):
            if started(starts, account_id, day):
                by_account[account_id].append((day, signals or {}))
    samples, seen = [], set()
    for renewal in renewals:
        tenure = tenure_of(renewal.close_date, renewal.account_id in seen, starts.get(renewal.account_id))
        seen.add(renewal.account_id)
        target = renewal.close_date - timedelta(days=days_before)
        known = [
            s for day, s in by_account.get(renewal.account_id, []) if target - timedelta(CARRY_DAYS) <= day <= target
        ]
        if known:
            values = {name: (known[-1].get(name) or {}).get("value") for name in SIGNALS}
            samples.append(Sample(renewal.account_id, values, renewal.won is False, tenure))
    return samples


def proposed_yaml(config: Config, result: Calibration) -> str:
    """The live config with the proposed weights and bands (only for a result with a proposal)."""
    if result.weights is None or result.tiers is None:
        raise ValueError("this calibration made no proposal")
    scoring = config.scoring.model_copy(update={"weights": result.weights, "tiers": result.tiers})
    data = config.model_copy(update={"scoring": scoring}).model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False)


def calibration_json(result: Calibration, days_before: int) -> dict[str, Any]:
    """The result as plain data: status and reason, the counts, live vs proposed with intervals, the proposal."""
    counts = result.counts
    data: dict[str, Any] = {
        "status": result.status,
        "reason": result.reason,
        "days_before": days_before,
        "tenure": counts.tenure,
        "samples": {
            "renewals": counts.samples,
            "lost": counts.lost,
            "won": counts.samples - counts.lost,
            "accounts": counts.accounts,
            "by_tenure": {t: {"renewals": n, "lost": lost} for t, (n, lost) in counts.by_tenure.items()},
        },
        "requirement": asdict(counts.requirement),
        "constant_signals": list(counts.constant_signals),
        "folds": counts.folds,
        "comparison": None,
        "proposal": None,
    }
    if result.comparison is not None:
        c = result.comparison
        difference = asdict(c.difference)
        data["comparison"] = {
            "live": difference.pop("second"),
            "proposed": difference.pop("first"),
            "difference": difference,
            "by_tenure": [asdict(row) for row in c.by_tenure],
            "at_risk_flags": {"live": asdict(c.live_flagging), "proposed": asdict(c.proposed_flagging)},
        }
    if result.weights is not None and result.tiers is not None:
        data["proposal"] = {
            "weights": result.weights.model_dump(),
            "tiers": result.tiers.model_dump(),
            "score_range": list(result.score_range or ()),
            "tier_counts": dict(result.tier_counts or {}),
        }
    return data
