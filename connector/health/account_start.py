"""When each account began: nothing is scored, alerted, decided, judged or counted for days before it.

The start is the earliest of the signup trait (`created_at`, stored as `signed_up_at`), the first day
any of its events was seen and the first day with activity (`scoring.daily.account_start`): from a
timeline while scoring (which holds only the lookback window, so when it shows no start by the day,
the rollups say whether older activity proves one), and from SQL for many accounts at once when
measuring (`account_starts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.store.models import Account, AccountEventFirst, DailyRollup
from connector.store.sql import chunks, in_list
from scoring.daily import account_start
from scoring.model import AccountTimeline


def active_by(session: Session, account_ids: Sequence[str], day: date) -> set[str]:
    """The accounts with any product activity (track, page or screen calls) on or before `day`."""
    found: set[str] = set()
    for chunk in chunks(list(account_ids)):
        found |= set(
            session.scalars(
                select(DailyRollup.account_id)
                .where(
                    in_list(session, DailyRollup.account_id, chunk),
                    DailyRollup.day <= day,
                    or_(DailyRollup.events > 0, DailyRollup.page_views > 0),
                )
                .distinct()
            )
        )
    return found


def not_started(session: Session, timelines: Mapping[str, AccountTimeline], day: date) -> set[str]:
    """The accounts of `timelines` that had not started by the end of `day` (their days are never judged)."""
    unsure = [account_id for account_id, timeline in timelines.items() if not _started(timeline, day)]
    return set(unsure) - active_by(session, unsure, day) if unsure else set()


def _started(timeline: AccountTimeline, day: date) -> bool:
    start = account_start(timeline)
    return start is not None and start <= day


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
