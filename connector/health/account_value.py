"""What an account is worth and when it renews: the `renewal_date` and `mrr` traits, else the CRM's open
renewal deal / opportunity (its close date, its amount / 12), and the revenue at risk those give.

Read by live scoring (a near renewal or a large account raises the play, `scoring.playbook.with_stakes`),
the CRM fields (`renewal_date`, `mrr`), `accounts list --sort revenue-at-risk`, the report, and (as SQL
expressions, `value_columns`) the console's accounts list, which sorts and pages in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from connector.store.models import Account, LatestScore, Renewal
from connector.store.sql import chunks, in_list

AT_RISK_TIERS = ("at_risk", "critical", "churning")
"""Tiers whose accounts' annual revenue counts as at risk."""


@dataclass(frozen=True)
class AccountValue:
    renewal_on: date | None = None
    mrr: float | None = None

    def revenue_at_risk(self, tier: str | None) -> float:
        """Annual revenue (12 x MRR) of an account At Risk or worse; 0 otherwise or when its MRR is unknown."""
        return 12 * self.mrr if self.mrr and tier in AT_RISK_TIERS else 0.0


def account_values(session: Session, account_ids: Sequence[str], today: date) -> dict[str, AccountValue]:
    """account_id -> its next renewal and MRR (traits first; the CRM's earliest open renewal from `today` on
    fills what the traits leave out, and replaces a renewal date the traits left in the past)."""
    traits: dict[str, tuple[date | None, float | None]] = {}
    crm: dict[str, tuple[date, float | None]] = {}
    for chunk in chunks(list(account_ids)):
        for account_id, renewal_date, mrr in session.execute(
            select(Account.account_id, Account.renewal_date, Account.mrr).where(
                in_list(session, Account.account_id, chunk)
            )
        ):
            traits[account_id] = (renewal_date, mrr)
        for account_id, close_date, amount in session.execute(
            select(Renewal.account_id, Renewal.close_date, Renewal.amount).where(
                in_list(session, Renewal.account_id, chunk), Renewal.status == "open", Renewal.close_date >= today
            )
        ):
            earliest = crm.get(account_id)
            # The earliest open renewal; of several closing that day, the largest amount (as `value_columns`).
            if (
                earliest is None
                or close_date < earliest[0]
                or (close_date == earliest[0] and (amount or 0) > (earliest[1] or 0))
            ):
                crm[account_id] = (close_date, amount)
    values = {}
    for account_id in account_ids:
        renewal, mrr = traits.get(account_id, (None, None))
        open_renewal = crm.get(account_id)
        if open_renewal is not None:
            if renewal is None or renewal < today:
                renewal = open_renewal[0]
            if mrr is None and open_renewal[1]:
                mrr = open_renewal[1] / 12
        values[account_id] = AccountValue(renewal, mrr)
    return values


@dataclass(frozen=True)
class ValueColumns:
    """`account_values` and `AccountValue.revenue_at_risk` as SQL expressions over `Account` and
    `LatestScore`, with `next_renewal` to outer-join on `account_id`. One difference: revenue at risk is
    null (unknown) for an account At Risk or worse whose MRR is unknown, where `revenue_at_risk` says 0."""

    next_renewal: Any
    renewal_on: Any
    mrr: Any
    revenue_at_risk: Any


def value_columns(today: date) -> ValueColumns:
    """The SQL side of `account_values` for lists sorted and paged in the database."""
    still_open = and_(Renewal.status == "open", Renewal.close_date >= today)
    earliest = (
        select(Renewal.account_id, func.min(Renewal.close_date).label("close_date"))
        .where(still_open)
        .group_by(Renewal.account_id)
        .subquery()
    )
    next_renewal = (
        select(Renewal.account_id, Renewal.close_date, func.max(Renewal.amount).label("amount"))
        .join(earliest, and_(earliest.c.account_id == Renewal.account_id, earliest.c.close_date == Renewal.close_date))
        .where(still_open)
        .group_by(Renewal.account_id, Renewal.close_date)
        .subquery("next_renewal")
    )
    crm_date, crm_amount = next_renewal.c.close_date, next_renewal.c.amount
    renewal_on = case(
        (and_(crm_date.is_not(None), or_(Account.renewal_date.is_(None), Account.renewal_date < today)), crm_date),
        else_=Account.renewal_date,
    )
    mrr = func.coalesce(Account.mrr, func.nullif(crm_amount, 0) / 12.0)
    at_risk = case((LatestScore.tier.in_(AT_RISK_TIERS), mrr * 12), else_=literal(0.0))
    return ValueColumns(next_renewal, renewal_on, mrr, at_risk)
