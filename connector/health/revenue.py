"""Accounts ranked by revenue at risk (`accounts list --sort revenue-at-risk`, `report --sort revenue-at-risk`):
12 x MRR for accounts At Risk or worse, then the nearest renewal, then the lowest score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.health.account_value import AccountValue, account_values
from connector.store.models import Account, LatestScore


@dataclass(frozen=True)
class ValuedAccount:
    """One account in `by_revenue_at_risk` order."""

    account_id: str
    name: str | None
    score: int | None
    tier: str | None
    value: AccountValue
    revenue_at_risk: float


def by_revenue_at_risk(session: Session, today: date, limit: int | None = None) -> list[ValuedAccount]:
    """Accounts with their latest score and value, most revenue at risk first (then the nearest renewal, then
    the lowest score); accounts with nothing at risk follow in the same order."""
    accounts = dict(session.execute(select(Account.account_id, Account.name)).all())
    ids = sorted(accounts)
    # One row per account, kept by the database (migration 0010), instead of the latest of each history.
    rows_now = session.execute(select(LatestScore.account_id, LatestScore.score, LatestScore.tier))
    latest = {account_id: (score, tier) for account_id, score, tier in rows_now}
    values = account_values(session, ids, today)
    rows = [
        ValuedAccount(
            account_id,
            accounts[account_id],
            latest.get(account_id, (None, None))[0],
            latest.get(account_id, (None, None))[1],
            values[account_id],
            values[account_id].revenue_at_risk(latest.get(account_id, (None, None))[1]),
        )
        for account_id in ids
    ]
    far = date.max
    rows.sort(key=lambda r: (-r.revenue_at_risk, r.value.renewal_on or far, 101 if r.score is None else r.score))
    return rows[:limit] if limit is not None else rows
