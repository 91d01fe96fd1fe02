"""When each account began, so that measurement never judges or counts a day before it.

An account's start is the earliest of its signup trait (`created_at`, stored as `signed_up_at`),
the first day any of its track events was seen, and its first rolled-up day with activity: the same
rule as `scoring.signals.account_start`, read from SQL for many accounts at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.store.models import Account, AccountEventFirst, DailyRollup
from connector.store.sql import chunks, in_list


def account_starts(session: Session, account_ids: Iterable[str] | None = None) -> dict[str, date]:
    """Account id -> its start day; accounts with no signup, event or activity at all are left out."""
    ids = None if account_ids is None else sorted(set(account_ids))
    starts: dict[str, date] = {}

    def earliest(account_id: str, day: date | None) -> None:
        if day is not None and (account_id not in starts or day < starts[account_id]):
            starts[account_id] = day

    for chunk in [None] if ids is None else chunks(ids):
        signups = select(Account.account_id, Account.signed_up_at).where(Account.signed_up_at.is_not(None))
        firsts = select(AccountEventFirst.account_id, func.min(AccountEventFirst.first_day)).group_by(
            AccountEventFirst.account_id
        )
        active = (
            select(DailyRollup.account_id, func.min(DailyRollup.day))
            .where(or_(DailyRollup.events > 0, DailyRollup.page_views > 0))
            .group_by(DailyRollup.account_id)
        )
        if chunk is not None:
            signups = signups.where(in_list(session, Account.account_id, chunk))
            firsts = firsts.where(in_list(session, AccountEventFirst.account_id, chunk))
            active = active.where(in_list(session, DailyRollup.account_id, chunk))
        for account_id, signed_up_at in session.execute(signups):
            earliest(account_id, signed_up_at.astimezone(UTC).date())
        for query in (firsts, active):
            for account_id, day in session.execute(query):
                earliest(account_id, day)
    return starts


def started(starts: Mapping[str, date], account_id: str, day: date) -> bool:
    """Whether a stored row of `account_id` dated `day` may be counted: on or after the account's start.

    A stored row of an account with no known start is counted (nothing says it came too early); the
    replays, which judge days themselves, judge no day of such an account.
    """
    start = starts.get(account_id)
    return start is None or day >= start
