"""Migration 0007 on an existing database: what earlier versions stored before accounts existed goes,
duplicate open alerts become one, and the schema keeps it that way (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import exc, insert, select

from connector.store.db import downgrade, upgrade
from connector.store.models import Account, AccountEventFirst, AccountScore, Alert, DailyRollup, Intervention

pytestmark = pytest.mark.integration

JAN = datetime(2026, 1, 1, tzinfo=UTC)


def _day(n: int) -> date:
    return date(2026, 1, n)


def _at(n: int) -> datetime:
    return datetime(2026, 1, n, 12, tzinfo=UTC)


def _scores(account: str, days: range) -> list[dict]:
    return [
        {"account_id": account, "day": _day(n), "score": 0, "tier": "churning", "signals": {}, "weights": {},
         "reason": "", "config_version": "old", "scored_at": _at(n)}
        for n in days
    ]  # fmt: skip


def _alert(account: str, trigger: str, fired: int, cleared: int | None = None) -> dict:
    return {"account_id": account, "trigger_id": trigger, "fired_on": _day(fired), "fired_at": _at(fired),
            "cleared_on": None if cleared is None else _day(cleared), "evidence": {}, "explanation": "",
            "config_version": "old"}  # fmt: skip


def _intervention(account: str, created: int, key: str, **sent: object) -> dict:
    return {"account_id": account, "key": key, "trigger_id": None, "trigger_ids": [], "tier": "churning",
            "action": "executive save attempt", "channels": ["call"], "owner": "executive", "priority": "high",
            "due_at": _at(created), "subject": "s", "body": "b", "slack_alert": False, "status": "pending",
            "created_at": _at(created), "control": False, "crm_task_id": None, "crm_status": None,
            "slack_status": None} | sent  # fmt: skip


def test_the_migration_removes_what_was_stored_before_accounts_existed_and_duplicate_open_alerts(engine):
    downgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(
            insert(Account.__table__),
            [
                {"account_id": a, "traits": {}, "first_seen_at": JAN, "updated_at": JAN, "signed_up_at": signed}
                for a, signed in (("acct_a", _at(10)), ("acct_b", None), ("acct_tickets", None))
            ],
        )
        connection.execute(
            insert(AccountEventFirst.__table__),
            [{"account_id": "acct_a", "event": "Signed In", "first_day": _day(12)},
             {"account_id": "acct_b", "event": "Signed In", "first_day": _day(5)}],
        )  # fmt: skip
        connection.execute(
            insert(DailyRollup.__table__),
            [{"account_id": "acct_b", "day": _day(3), "events": 2, "page_views": 2, "active_users": 1,
              "event_counts": {}, "user_counts": {"u": 2}, "tickets_opened": 0, "computed_at": JAN}],
        )  # fmt: skip
        connection.execute(
            insert(AccountScore.__table__),
            _scores("acct_a", range(1, 16)) + _scores("acct_b", range(1, 6)) + _scores("acct_tickets", range(1, 4)),
        )
        connection.execute(
            insert(Alert.__table__),
            [
                _alert("acct_a", "inactive", 5),
                _alert("acct_a", "low_score", 11),
                _alert("acct_a", "low_score", 14),
                _alert("acct_a", "login_decline", 14, cleared=12),
                _alert("acct_b", "inactive", 4, cleared=5),
            ],
        )
        connection.execute(
            insert(Intervention.__table__),
            [
                _intervention("acct_a", 5, "phantom"),
                _intervention("acct_a", 5, "sent-task", crm_task_id="T1", crm_status="created"),
                _intervention("acct_a", 12, "real"),
                _intervention("acct_tickets", 2, "slack-sent", slack_alert=True, slack_status="sent"),
                _intervention("acct_tickets", 2, "phantom-2"),
            ],
        )
    upgrade(engine)
    with engine.connect() as connection:
        days = connection.execute(select(AccountScore.account_id, AccountScore.day)).all()
        alerts = set(connection.execute(select(Alert.account_id, Alert.trigger_id, Alert.fired_on, Alert.cleared_on)))
        keys = set(connection.scalars(select(Intervention.key)))
    assert sorted(days) == [("acct_a", _day(n)) for n in range(10, 16)] + [("acct_b", _day(n)) for n in range(3, 6)]
    assert alerts == {
        ("acct_a", "low_score", _day(11), None),
        ("acct_a", "login_decline", _day(14), None),
        ("acct_b", "inactive", _day(4), _day(5)),
    }
    assert keys == {"sent-task", "real", "slack-sent"}
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(insert(Alert.__table__), [_alert("acct_a", "low_score", 15)])
