"""What an account is worth and when it renews: the `renewal_date` and `mrr` traits, else the CRM's open
renewal deal / opportunity (its close date, its amount / 12), and the revenue at risk those give.

Read by live scoring (a near renewal or a large account raises the play, `scoring.playbook.with_stakes`),
the CRM fields (`renewal_date`, `mrr`), `accounts list --sort revenue-at-risk` and the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import Account, Renewal
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
            if account_id not in crm or close_date < crm[account_id][0]:
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
