"""`healthloop calibrate`: propose signal weights and tier bands fitted to stored renewal outcomes.

Each closed renewal becomes a sample: the account's stored signals `--days-before` its close date
(the latest score within a week before that day) and whether it was lost. `scoring.calibrate`
fits on a stable 70% of accounts and compares the live and proposed rules on the other 30%.
The result is a proposed YAML (printed as a diff against the live config, or written with
`--out`); the live config is never changed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.measure.renewals import stored_renewals
from connector.store.models import AccountScore
from connector.store.sql import chunks, in_list
from scoring.calibrate import SIGNALS, Calibration, Sample

CARRY_DAYS = 7


def load_samples(session: Session, days_before: int) -> list[Sample]:
    """One sample per closed renewal that has a stored score in the week before `close - days_before`."""
    renewals = [r for r in stored_renewals(session) if r.won is not None]
    by_account: dict[str, list[tuple[date, dict[str, Any]]]] = {}
    accounts = sorted({r.account_id for r in renewals})
    for chunk in chunks(accounts):
        for account_id, day, signals in session.execute(
            select(AccountScore.account_id, AccountScore.day, AccountScore.signals)
            .where(in_list(session, AccountScore.account_id, chunk))
            .order_by(AccountScore.day)
        ):
            by_account.setdefault(account_id, []).append((day, signals or {}))
    samples = []
    for renewal in renewals:
        target = renewal.close_date - timedelta(days=days_before)
        known = [
            signals
            for day, signals in by_account.get(renewal.account_id, [])
            if target - timedelta(CARRY_DAYS) <= day <= target
        ]
        if known:
            values = {name: (known[-1].get(name) or {}).get("value") for name in SIGNALS}
            samples.append(Sample(renewal.account_id, values, lost=renewal.won is False))
    return samples


def proposed_yaml(config: Config, result: Calibration) -> str:
    scoring = config.scoring.model_copy(update={"weights": result.weights, "tiers": result.tiers})
    data = config.model_copy(update={"scoring": scoring}).model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False)
