"""Claim an account's outstanding (account, day) work and recompute those days' rollups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from connector.store.models import AccountEventFirst, DailyRollup, DirtyAccountDay, Event, Ticket
from connector.store.sql import dialect_insert, upsert

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


def recompute_rollups(
    session: Session, account_id: str, days: Iterable[date], now: datetime
) -> list[dict[str, object]]:
    """Rewrite the rollups of `days` from source data (idempotent); returns the rows written."""
    rows = [rollup_for_day(session, account_id, day, now) for day in sorted(set(days))]
    if rows:
        columns = [key for key in rows[0] if key not in {"account_id", "day"}]
        session.execute(upsert(session, DailyRollup.__table__, ["account_id", "day"], columns), rows)
    return rows


def record_first_seen(session: Session, account_id: str, rollups: list[dict[str, Any]]) -> None:
    """Keep the earliest day each event was seen (rollups are recomputed per day, in any order)."""
    firsts: dict[str, date] = {}
    for row in rollups:
        for event in row["event_counts"]:
            if event not in firsts or row["day"] < firsts[event]:
                firsts[event] = row["day"]
    if not firsts:
        return
    table = AccountEventFirst.__table__
    statement = dialect_insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", "event"],
        set_={
            "first_day": case(
                (statement.excluded.first_day < table.c.first_day, statement.excluded.first_day),
                else_=table.c.first_day,
            )
        },
    )
    session.execute(statement, [{"account_id": account_id, "event": e, "first_day": d} for e, d in firsts.items()])


def roll_up_outstanding(session: Session, account_id: str, now: datetime) -> list[dict[str, object]]:
    """Claim the account's outbox, rewrite those days' rollups and first-seen events."""
    rows = recompute_rollups(session, account_id, claim_dirty_days(session, account_id), now)
    record_first_seen(session, account_id, rows)
    return rows
