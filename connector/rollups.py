"""Claim an account's outstanding (account, day) work and recompute those days' rollups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from connector.models import DailyRollup, DirtyAccountDay, Event, Ticket
from connector.sql import upsert

ACTIVITY_TYPES = ("track", "page", "screen")


def claim_dirty_days(session: Session, account_id: str) -> list[date]:
    """Take this account's outstanding days out of the outbox (undone if the transaction rolls back)."""
    table = DirtyAccountDay.__table__
    days = session.execute(delete(table).where(table.c.account_id == account_id).returning(table.c.day)).scalars()
    return sorted(set(days))


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def rollup_for_day(session: Session, account_id: str, day: date, now: datetime) -> dict[str, object]:
    """The rollup row of one account and UTC day, computed from stored events and tickets."""
    start, end = _day_bounds(day)
    events = Event.__table__
    grouped = session.execute(
        select(events.c.type, events.c.event, events.c.user_id, func.count())
        .where(
            events.c.account_id == account_id,
            events.c.timestamp >= start,
            events.c.timestamp < end,
            events.c.type.in_(ACTIVITY_TYPES),
        )
        .group_by(events.c.type, events.c.event, events.c.user_id)
    ).all()
    total = page_views = 0
    event_counts: dict[str, int] = {}
    user_counts: dict[str, int] = {}
    for call_type, name, user_id, count in grouped:
        total += count
        if call_type == "track":
            event_counts[name] = event_counts.get(name, 0) + count
        else:
            page_views += count
        if user_id:
            user_counts[user_id] = user_counts.get(user_id, 0) + count
    tickets = Ticket.__table__
    opened = func.coalesce(tickets.c.opened_at, tickets.c.state_at)
    tickets_opened = session.scalar(
        select(func.count()).where(tickets.c.account_id == account_id, opened >= start, opened < end)
    )
    return {
        "account_id": account_id,
        "day": day,
        "events": total,
        "page_views": page_views,
        "active_users": len(user_counts),
        "event_counts": event_counts,
        "user_counts": user_counts,
        "tickets_opened": tickets_opened or 0,
        "computed_at": now,
    }


def recompute_rollups(session: Session, account_id: str, days: Iterable[date], now: datetime) -> int:
    """Rewrite the rollups of `days` from source data (idempotent); returns how many were written."""
    rows = [rollup_for_day(session, account_id, day, now) for day in sorted(set(days))]
    if rows:
        columns = [key for key in rows[0] if key not in {"account_id", "day"}]
        session.execute(upsert(session, DailyRollup.__table__, ["account_id", "day"], columns), rows)
    return len(rows)
