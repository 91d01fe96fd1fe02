"""The Segment tracking API against real storage (SQLite and PostgreSQL) and real Redis."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import func, select

from connector.store.models import Account, AccountUser, DirtyAccountDay, Event, User

pytestmark = pytest.mark.integration


def count(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def track(message_id: str, **extra):  # type: ignore[no-untyped-def]
    return {
        "type": "track",
        "userId": "u1",
        "event": "Report Created",
        "messageId": message_id,
        "context": {"groupId": "acct_1"},
        **extra,
    }


def test_group_identify_and_track_are_stored_with_account_user_and_traits(client, auth_headers, runtime):
    group = {
        "userId": "u1",
        "groupId": "acct_1",
        "messageId": "g1",
        "timestamp": "2026-11-01T09:00:00Z",
        "traits": {
            "name": "Acme",
            "plan": "pro",
            "seats": "25",
            "website": "https://www.Acme.com/x",
            "renewal_date": "2027-03-31",
            "mrr": 1125.5,
            "created_at": "2025-01-15T00:00:00Z",
        },
    }
    assert client.post("/v1/group", json=group, headers=auth_headers).status_code == 200
    identify = {"userId": "u1", "messageId": "i1", "traits": {"email": "Dana@Acme.com", "name": "Dana"}}
    assert client.post("/v1/identify", json=identify, headers=auth_headers).status_code == 200
    response = client.post(
        "/v1/track", json={"userId": "u1", "event": "Report Created", "messageId": "t1"}, headers=auth_headers
    )
    assert response.status_code == 200
    assert response.json == {"success": True, "stored": 1, "duplicates": 0}

    with runtime.sessions() as session:
        account = session.get(Account, "acct_1")
        assert (account.name, account.plan, account.licensed_seats, account.domain) == (
            "Acme",
            "pro",
            25,
            "acme.com",
        )
        assert account.renewal_date.isoformat() == "2027-03-31"
        assert account.mrr == 1125.5
        assert account.signed_up_at == datetime(2025, 1, 15, tzinfo=UTC)
        user = session.get(User, "u1")
        assert (user.account_id, user.email, user.name) == ("acct_1", "dana@acme.com", "Dana")
        tracked = session.scalars(select(Event).where(Event.message_id == "t1")).one()
        assert tracked.account_id == "acct_1", "a track call without groupId is attributed through the user's group"
        assert session.scalar(select(func.count()).select_from(AccountUser)) == 1


def test_a_retried_batch_is_acknowledged_and_stored_once(client, auth_headers, runtime):
    batch = {"batch": [track("m1"), track("m2"), track("m1")]}
    first = client.post("/v1/batch", json=batch, headers=auth_headers)
    again = client.post("/v1/batch", json=batch, headers=auth_headers)
    assert (first.status_code, first.json["stored"], first.json["duplicates"]) == (200, 2, 1)
    assert (again.status_code, again.json["stored"], again.json["duplicates"]) == (200, 0, 3)
    assert count(runtime, Event) == 2


def test_bad_events_in_a_batch_are_reported_by_index_and_the_good_ones_stored(client, auth_headers, runtime):
    batch = {
        "batch": [
            track("ok1"),
            {"type": "track", "userId": "u1", "messageId": "no-event"},
            {"type": "track", "event": "x", "messageId": "no-user"},
            {"type": "teleport", "userId": "u1"},
            "not an object",
            track("future", timestamp=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
            {"type": "group", "userId": "u1", "groupId": "acct_1", "traits": {"seats": "many"}},
            track("ok2"),
        ]
    }
    response = client.post("/v1/batch", json=batch, headers=auth_headers)
    assert response.status_code == 200
    assert response.json["stored"] == 2
    rejected = {item["index"]: item for item in response.json["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6]
    assert rejected[1]["detail"].startswith("event:")
    assert rejected[2]["error"] == "no_user_anon_id"
    assert rejected[3]["error"] == "invalid_type"
    assert rejected[5]["error"] == "timestamp_in_future"
    assert rejected[6]["detail"].startswith("traits.seats: expected a whole number")
    assert count(runtime, Event) == 2


def test_a_batch_with_only_bad_events_is_refused_with_400_and_stores_nothing(client, auth_headers, runtime):
    response = client.post("/v1/batch", json={"batch": [{"type": "track"}]}, headers=auth_headers)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_batch"
    assert response.json["rejected"][0]["index"] == 0
    assert count(runtime, Event) == 0


@pytest.mark.parametrize(
    ("headers", "body", "status", "error"),
    [
        ({}, {"batch": []}, 401, "missing_write_key"),
        (
            {"Authorization": "Basic " + base64.b64encode(b"wrong:").decode()},
            {"batch": []},
            401,
            "invalid_write_key",
        ),
        ({"Authorization": "Basic !!!"}, {"batch": []}, 401, "invalid_authorization"),
        ({}, {"batch": [], "writeKey": "wrong"}, 401, "invalid_write_key"),
    ],
)
def test_unknown_or_missing_write_keys_are_refused(client, headers, body, status, error):
    response = client.post("/v1/batch", json=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (status, error)
    assert response.json["code"] == error, "Segment SDKs log `code` and `message`"


def test_the_write_key_may_come_in_the_body(client, runtime):
    from tests.conftest import WRITE_KEY

    response = client.post("/v1/batch", json={"batch": [track("b1")], "writeKey": WRITE_KEY})
    assert response.status_code == 200
    assert count(runtime, Event) == 1


def test_tracking_is_refused_when_no_write_keys_are_configured(client, runtime, auth_headers, caplog):
    runtime.settings = runtime.settings.model_copy(update={"write_keys": None})
    response = client.post("/v1/batch", json={"batch": [track("x")]}, headers=auth_headers)
    assert (response.status_code, response.json["error"]) == (401, "source_not_configured")
    assert "HEALTHLOOP_WRITE_KEYS is not set" in caplog.text
    assert count(runtime, Event) == 0


def test_oversized_bodies_get_413(client, auth_headers, runtime):
    big = "x" * (33 * 1024)
    single = client.post("/v1/track", json=track("big", properties={"blob": big}), headers=auth_headers)
    assert (single.status_code, single.json["error"]) == (413, "payload_too_large")
    huge = {"batch": [track(f"m{i}", properties={"blob": "y" * 20_000}) for i in range(30)]}
    assert client.post("/v1/batch", json=huge, headers=auth_headers).status_code == 413
    mixed = {"batch": [track("small"), track("large", properties={"blob": big})]}
    response = client.post("/v1/batch", json=mixed, headers=auth_headers)
    assert response.status_code == 200
    assert response.json["rejected"] == [
        {"index": 1, "error": "payload_too_large", "detail": "the message is larger than 32 KB"}
    ]
    assert count(runtime, Event) == 1


def test_gzip_bodies_are_accepted_and_gzip_bombs_refused(client, auth_headers, runtime):
    body = gzip.compress(orjson.dumps({"batch": [track("gz1"), track("gz2")]}))
    headers = {**auth_headers, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    response = client.post("/v1/batch", data=body, headers=headers)
    assert (response.status_code, response.json["stored"]) == (200, 2)
    bomb = gzip.compress(b'{"batch": [' + b" " * (50 * 1024 * 1024) + b"]}")
    assert len(bomb) < 500 * 1024
    refused = client.post("/v1/batch", data=bomb, headers=headers)
    assert (refused.status_code, refused.json["error"]) == (413, "payload_too_large")
    broken = client.post("/v1/batch", data=b"not gzip", headers=headers)
    assert (broken.status_code, broken.json["error"]) == (400, "invalid_encoding")


@pytest.mark.parametrize(
    ("content_type", "data", "status", "error"),
    [
        ("text/plain", b'{"batch": []}', 415, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", b"a=b", 415, "unsupported_media_type"),
        ("application/json", b'{"batch": [', 400, "invalid_json"),
        ("application/json", b"", 400, "invalid_json"),
        ("application/json", b"[1, 2]", 400, "invalid_json"),
        ("application/json", b'{"batch": {"type": "track"}}', 400, "invalid_field"),
        ("application/json", b'{"batch": [], "sentAt": "yesterday"}', 400, "invalid_field"),
        ("application/json", b'{"batch": [{"type": "track", "userId": "\\ud800", "event": "x"}]}', 400, "invalid_json"),
        (
            "application/json",
            b'{"batch": [{"type": "track", "userId": "u", "event": "x", "n": NaN}]}',
            400,
            "invalid_json",
        ),
        ("application/json", b'{"batch": [], "x": "\xff\xfe"}', 400, "invalid_json"),
    ],
)
def test_malformed_bodies_get_a_4xx_naming_the_problem(
    client, auth_headers, runtime, content_type, data, status, error
):
    response = client.post("/v1/batch", data=data, headers={**auth_headers, "Content-Type": content_type})
    assert (response.status_code, response.json["error"]) == (status, error)
    assert response.json["detail"]
    assert count(runtime, Event) == 0


def test_nul_characters_are_refused_by_path_and_other_unicode_is_stored_intact(client, auth_headers, runtime):
    # Accents, emoji, bidi overrides, a zero-width space and mathematical letters.
    oddities = "Zo\u00eb \U0001f680 \u202eRTL\u202c \u200b zero-width \U0001d518\U0001d52b\U0001d526"
    batch = {
        "batch": [
            track("nul", properties={"note": "a\u0000b"}),
            {
                "type": "track",
                "userId": oddities,
                "event": oddities,
                "messageId": "uni",
                "context": {"groupId": oddities},
            },
        ]
    }
    response = client.post("/v1/batch", json=batch, headers=auth_headers)
    assert response.status_code == 200
    assert response.json["rejected"][0]["index"] == 0
    assert response.json["rejected"][0]["error"] == "invalid_character"
    assert "properties.note" in response.json["rejected"][0]["detail"]
    with runtime.sessions() as session:
        stored = session.scalars(select(Event).where(Event.message_id == "uni")).one()
        assert (stored.user_id, stored.event, stored.account_id) == (oddities, oddities, oddities)


def test_event_time_is_corrected_for_client_clock_skew_with_sent_at(client, auth_headers, runtime):
    # The client's clock runs 1 hour fast: it says the event happened 10 minutes before it sent it.
    client_now = datetime.now(UTC) + timedelta(hours=1)
    batch = {
        "sentAt": client_now.isoformat(),
        "batch": [track("skew", timestamp=(client_now - timedelta(minutes=10)).isoformat())],
    }
    assert client.post("/v1/batch", json=batch, headers=auth_headers).json["stored"] == 1
    exported = track(
        "export", timestamp="2025-06-01T12:00:00Z", receivedAt="2025-06-01T12:00:05Z", sentAt="2025-06-01T12:00:04Z"
    )
    assert client.post("/v1/track", json=exported, headers=auth_headers).json["stored"] == 1
    with runtime.sessions() as session:
        skewed = session.scalars(select(Event.timestamp).where(Event.message_id == "skew")).one()
        kept = session.scalars(select(Event.timestamp).where(Event.message_id == "export")).one()
    assert abs(skewed - (datetime.now(UTC) - timedelta(minutes=10))) < timedelta(seconds=30)
    assert kept == datetime(2025, 6, 1, 12, tzinfo=UTC), "a message that went through Segment keeps its timestamp"


def test_events_before_the_group_call_are_claimed_by_the_account_later(client, auth_headers, runtime):
    early = {
        "type": "track",
        "userId": "late-joiner",
        "event": "Logged In",
        "messageId": "early",
        "timestamp": "2026-10-01T08:00:00Z",
    }
    assert client.post("/v1/batch", json={"batch": [early]}, headers=auth_headers).status_code == 200
    with runtime.sessions() as session:
        assert session.scalars(select(Event.account_id).where(Event.message_id == "early")).one() is None
    group = {
        "userId": "late-joiner",
        "groupId": "acct_9",
        "messageId": "g9",
        "timestamp": "2026-10-02T08:00:00Z",
    }
    assert client.post("/v1/group", json=group, headers=auth_headers).status_code == 200
    with runtime.sessions() as session:
        assert session.scalars(select(Event.account_id).where(Event.message_id == "early")).one() == "acct_9"
        days = {d.isoformat() for d in session.scalars(select(DirtyAccountDay.day))}
    assert "2026-10-01" in days, "the claimed event's day is queued for rollup"


def test_a_late_backfilled_group_call_never_overwrites_newer_traits(client, auth_headers, runtime):
    newer = {
        "userId": "u1",
        "groupId": "acct_1",
        "messageId": "new",
        "timestamp": "2026-11-01T00:00:00Z",
        "traits": {"plan": "enterprise", "seats": 50},
    }
    older = {
        "userId": "u1",
        "groupId": "acct_1",
        "messageId": "old",
        "timestamp": "2026-01-01T00:00:00Z",
        "traits": {"plan": "starter", "seats": 5, "name": "Acme"},
    }
    client.post("/v1/group", json=newer, headers=auth_headers)
    client.post("/v1/group", json=older, headers=auth_headers)
    with runtime.sessions() as session:
        account = session.get(Account, "acct_1")
    assert (account.plan, account.licensed_seats, account.name) == ("enterprise", 50, "Acme")


def test_a_burst_of_a_thousand_events_for_one_account_puts_one_job_on_the_queue(client, auth_headers, runtime):
    for start in range(0, 1000, 100):
        batch = {"batch": [track(f"burst-{i}") for i in range(start, start + 100)]}
        assert client.post("/v1/batch", json=batch, headers=auth_headers).json["stored"] == 100
    assert runtime.queue.queue.count == 1
    assert runtime.queue.is_pending("acct_1")


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"
    assert ready.json["checks"]["database"].startswith("ok (schema ")
    assert ready.json["checks"]["queue"] == "ok (redis)"


def test_unknown_paths_and_methods_answer_json(client, auth_headers):
    missing = client.get("/v1/nothing")
    assert missing.status_code in (404, 405)
    assert missing.json["error"]
    assert client.get("/v1/batch").status_code == 405


ODD_MESSAGES = [
    {},
    [],
    None,
    7,
    "track",
    {"type": None},
    {"type": "track", "userId": [], "event": "x"},
    {"type": "track", "userId": "u", "event": {"name": "x"}},
    {"type": "group", "userId": "u", "groupId": []},
    {"type": "group", "userId": "u", "groupId": "g", "traits": []},
    {"type": "track", "userId": "u", "event": "x", "timestamp": 17e9},
    {"type": "track", "userId": "u", "event": "x", "context": "web"},
    {"type": "identify", "userId": "u", "traits": {"email": ["a@b.c"]}},
    {"type": "page", "anonymousId": 3.5},
    {"type": "track", "userId": "u", "event": "x", "messageId": "m" * 300},
    {"type": "group", "userId": "u", "groupId": "g", "traits": {"created_at": True, "website": 12}},
]


@pytest.mark.parametrize("message", ODD_MESSAGES, ids=range(len(ODD_MESSAGES)))
def test_odd_messages_get_a_clear_answer_never_a_5xx(client, auth_headers, message):
    for path, body in (("/v1/batch", {"batch": [message]}), ("/v1/track", message)):
        response = client.post(path, json=body, headers=auth_headers)
        assert response.status_code < 500, (path, response.json)
        if response.status_code >= 400:
            assert response.json["error"] and response.json["detail"]
