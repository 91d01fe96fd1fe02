"""Which accounts existed on a day: nothing is scored, alerted or decided for days before an account's start.

The start is the earliest of the signup trait (`created_at`), the first day any of its events was seen
and the first day with activity (`scoring.daily.account_start`). A timeline holds only the lookback
window, so when it shows no start by the day, the rollups say whether older activity proves one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.store.models import DailyRollup
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
