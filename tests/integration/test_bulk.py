"""The hot-path bulk insert stores exactly what the ORM would, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connector.store.bulk import insert_ignore_many
from connector.store.models import DirtyAccountDay, Event, User

pytestmark = pytest.mark.integration

COLUMNS = (
    "message_id",
    "type",
    "event",
    "user_id",
    "anonymous_id",
    "account_id",
    "timestamp",
    "received_at",
    "payload",
)


def test_rows_read_back_through_the_orm_unchanged_and_duplicates_are_skipped(runtime):
    plus_two = timezone(timedelta(hours=2))
    when = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=plus_two)
    payload = {"q": 'quote " and \\ backslash', "n": [1, 2.5, None], "emoji": "🚀", "nested": {"a": {}}}
    rows = [
        ("m1", "track", "Export", "u1", None, "acct", when, datetime(2026, 3, 4, tzinfo=UTC), payload),
        ("m2", "page", None, None, "anon", None, datetime(2026, 3, 4, 0, 0, tzinfo=UTC), datetime.now(UTC), {}),
    ]
    with runtime.sessions.begin() as session:
        assert insert_ignore_many(session, Event.__table__, COLUMNS, rows) == 2
    with runtime.sessions.begin() as session:
        assert insert_ignore_many(session, Event.__table__, COLUMNS, rows) == 0, "a second insert is ignored"
    with runtime.sessions() as session:
        first = session.scalars(select(Event).where(Event.message_id == "m1")).one()
        second = session.scalars(select(Event).where(Event.message_id == "m2")).one()
        in_range = session.scalars(
            select(Event.message_id).where(Event.timestamp >= datetime(2026, 3, 4, 3, 6, 7, 890123, tzinfo=UTC))
        ).all()
    assert first.timestamp == when
    assert first.payload == payload
    assert (second.user_id, second.anonymous_id, second.account_id, second.event) == (None, "anon", None, None)
    assert sorted(in_range) == ["m1"], "bulk-written times compare like ORM-written ones"


def test_dates_and_fill_null_upserts(runtime):
    now = datetime.now(UTC)
    with runtime.sessions.begin() as session:
        insert_ignore_many(
            session, DirtyAccountDay.__table__, ("account_id", "day", "marked_at"), [("a", date(2026, 1, 31), now)]
        )
        insert_ignore_many(
            session,
            User.__table__,
            ("user_id", "account_id", "traits", "first_seen_at"),
            [("u1", None, {}, now), ("u2", "acct_old", {}, now)],
        )
        filled = insert_ignore_many(
            session,
            User.__table__,
            ("user_id", "account_id", "traits", "first_seen_at"),
            [("u1", "acct_new", {}, now), ("u2", "acct_new", {}, now)],
            fill_null=("user_id", "account_id"),
        )
    assert filled == 1
    with runtime.sessions() as session:
        assert session.get(DirtyAccountDay, ("a", date(2026, 1, 31))) is not None
        assert session.get(User, "u1").account_id == "acct_new", "a NULL account is filled"
        assert session.get(User, "u2").account_id == "acct_old", "a set account is kept"


def test_update_many_sets_exactly_what_the_orm_would_and_touches_only_the_keyed_rows(runtime):
    from connector.store.bulk import update_many
    from connector.store.models import CrmRecord

    when = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=-5)))
    with runtime.sessions.begin() as session:
        for account in ("a1", "a2", "a3"):
            session.add(CrmRecord(crm="hubspot", account_id=account, record_id=f"r-{account}", last_error="old"))
    values = {"healthloop_score": "55", "healthloop_reason": 'a "quoted" reason 🚀', "healthloop_trend": None}
    with runtime.sessions.begin() as session:
        changed = update_many(
            session,
            CrmRecord.__table__,
            ["crm", "account_id"],
            ["synced_values", "synced_story", "synced_at", "last_error"],
            [("hubspot", "a1", values, {"tier": "at_risk"}, when, None), ("hubspot", "a3", {}, {}, when, "x")],
        )
        assert changed == 2
    with runtime.sessions() as session:
        rows = {r.account_id: r for r in session.scalars(select(CrmRecord))}
    assert rows["a1"].synced_values == values and rows["a1"].synced_story == {"tier": "at_risk"}
    assert rows["a1"].synced_at == when and rows["a1"].synced_at.tzinfo == UTC and rows["a1"].last_error is None
    assert rows["a3"].last_error == "x" and rows["a3"].synced_values == {}
    assert rows["a2"].synced_at is None and rows["a2"].last_error == "old", "rows not named stay as they were"
