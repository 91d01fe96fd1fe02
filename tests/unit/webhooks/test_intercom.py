"""Intercom webhooks: `X-Hub-Signature`, conversation topics read as tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import DeliveryOutcome, TicketDeliveryRecord, TicketPriority, TicketStatus
from webhooks.intercom import SOURCE
from webhooks.sources import SignedRequest, body_digest, load_fixture

SECRET = "3f1c9a0e-intercom-client-secret"
URL = "https://hl.example.com/webhooks/intercom"
TOLERANCE = timedelta(seconds=300)
FIXTURES = sorted(SOURCE.fixtures.glob("*.json"))


def signed(body: bytes, secret: str = SECRET) -> SignedRequest:
    return SignedRequest("POST", URL, SOURCE.sign(body, secret, URL, datetime.now(UTC)), body)


def parse_body(body: bytes) -> list[TicketDeliveryRecord]:
    return SOURCE.parse(orjson.loads(body), SignedRequest("POST", URL, {}, body), Config())


def parse_fixture(name: str) -> list[TicketDeliveryRecord]:
    return parse_body(load_fixture(SOURCE.fixtures / name))


def parse_payload(payload: Any) -> list[TicketDeliveryRecord]:
    return parse_body(orjson.dumps(payload))


def fixture_payload(name: str) -> dict[str, Any]:
    return orjson.loads(load_fixture(SOURCE.fixtures / name))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_fixture_parses_to_records_with_a_sensible_outcome(path: Path) -> None:
    (record,) = parse_body(load_fixture(path))
    assert record.source == "intercom" and record.delivery_id
    if record.outcome is DeliveryOutcome.HANDLED:
        assert record.event_type in SOURCE.handled
        assert record.ticket is not None and record.ticket.ticket_id and record.ticket.occurred_at.tzinfo
    else:
        assert record.outcome is DeliveryOutcome.IGNORED and record.event_type in SOURCE.ignored


def test_every_handled_topic_has_a_fixture() -> None:
    seen = {record.event_type for path in FIXTURES for record in parse_body(load_fixture(path))}
    assert SOURCE.handled <= seen
    assert SOURCE.handled.isdisjoint(SOURCE.ignored)


def test_new_conversation_is_a_new_ticket_with_our_user_id_and_email() -> None:
    (record,) = parse_fixture("conversation_user_created.json")
    ticket = record.ticket
    assert record.delivery_id == "notif_7c1d2e4f-5a6b-4c8d-9e0f-1a2b3c4d5e6f"
    assert ticket is not None and (ticket.source, ticket.ticket_id) == ("intercom", "1911149811")
    assert ticket.status is TicketStatus.NEW and ticket.priority is TicketPriority.NORMAL
    assert ticket.user_id == "acct_acme_u03" and ticket.requester_id == "65f1a2b3c4d5e6f708192a3b"
    assert ticket.requester_email == "ana@acme.com"
    assert ticket.occurred_at == datetime(2026, 11, 20, 9, 14, 5, tzinfo=UTC)
    assert ticket.opened_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("conversation_user_replied.json", TicketStatus.OPEN),
        ("conversation_admin_replied.json", TicketStatus.OPEN),
        ("conversation_admin_closed.json", TicketStatus.SOLVED),
        ("conversation_admin_opened.json", TicketStatus.OPEN),
        ("conversation_admin_snoozed.json", TicketStatus.PENDING),
        ("conversation_admin_unsnoozed.json", TicketStatus.OPEN),
        ("conversation_part_tag_created.json", TicketStatus.PENDING),
        ("conversation_rating_added.json", TicketStatus.SOLVED),
    ],
)
def test_each_topic_sets_the_status_it_implies(name: str, status: TicketStatus) -> None:
    (record,) = parse_fixture(name)
    assert record.ticket is not None and record.ticket.status is status


def test_closed_topic_wins_over_a_stale_state_field() -> None:
    payload = fixture_payload("conversation_admin_closed.json")
    payload["data"]["item"]["state"] = "open"
    (record,) = parse_payload(payload)
    assert record.ticket is not None and record.ticket.status is TicketStatus.SOLVED


def test_company_on_the_conversation_becomes_the_organization() -> None:
    (record,) = parse_fixture("conversation_admin_closed.json")
    ticket = record.ticket
    assert ticket is not None and ticket.organization_id == "6644f0c2e2b1c80fd4a1d7b3"
    assert ticket.account_id is None and ticket.subject == "Usage report export timeout"


def test_priority_flag_and_newer_priority_levels_are_both_read() -> None:
    (flagged,) = parse_fixture("conversation_admin_replied.json")
    (levelled,) = parse_fixture("conversation_admin_opened.json")
    assert flagged.ticket is not None and flagged.ticket.priority is TicketPriority.HIGH
    assert levelled.ticket is not None and levelled.ticket.priority is TicketPriority.HIGH


def test_rating_becomes_satisfaction_and_a_lead_author_still_gives_the_email() -> None:
    (record,) = parse_fixture("conversation_rating_added.json")
    ticket = record.ticket
    assert ticket is not None and ticket.satisfaction == "bad"
    assert ticket.requester_email == "li.wei@globex.io" and ticket.user_id is None


def test_tags_come_from_the_conversation_tag_list() -> None:
    (record,) = parse_fixture("conversation_part_tag_created.json")
    assert record.ticket is not None and record.ticket.tags == ["export", "bug"]


def test_admin_authored_conversation_gives_no_requester_email() -> None:
    payload = fixture_payload("conversation_user_replied.json")
    payload["data"]["item"]["source"]["author"] = {
        "type": "admin",
        "id": "5017691",
        "email": "priya@ours.example",
    }
    (record,) = parse_payload(payload)
    assert record.ticket is not None and record.ticket.requester_email is None


def test_string_timestamps_and_numeric_ids_are_accepted() -> None:
    (record,) = parse_fixture("conversation_admin_unsnoozed.json")
    ticket = record.ticket
    assert ticket is not None and ticket.ticket_id == "1911149811"
    assert ticket.occurred_at == datetime(2026, 11, 21, 13, 23, 21, tzinfo=UTC)


def test_occurred_at_falls_back_to_the_item_update_time() -> None:
    payload = fixture_payload("conversation_admin_snoozed.json")
    del payload["created_at"]
    (record,) = parse_payload(payload)
    assert record.ticket is not None and record.ticket.occurred_at == datetime(2026, 11, 20, 13, 23, 19, tzinfo=UTC)


def test_ping_without_an_id_is_ignored_and_keyed_by_its_body() -> None:
    body = load_fixture(SOURCE.fixtures / "ping.json")
    (record,) = parse_body(body)
    assert record.outcome is DeliveryOutcome.IGNORED and record.delivery_id == body_digest(body)


def test_unknown_topic_is_unsupported_not_an_error() -> None:
    (record,) = parse_payload(fixture_payload("conversation_user_replied.json") | {"topic": "ticket.created"})
    assert record.outcome is DeliveryOutcome.UNSUPPORTED and record.event_type == "ticket.created"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "body"),
        ({"type": "notification_event", "id": "notif_1"}, "topic"),
        ({"topic": "conversation.admin.closed", "id": "notif_1"}, "data"),
        ({"topic": "conversation.admin.closed", "data": {"item": None}}, "data.item"),
        (
            {
                "topic": "conversation.admin.closed",
                "created_at": 1795270000,
                "data": {"item": {"state": "closed"}},
            },
            "data.item.id",
        ),
        ({"topic": "conversation.admin.closed", "data": {"item": {"id": "1"}}}, "created_at"),
        (
            {"topic": "conversation.admin.closed", "created_at": "soon", "data": {"item": {"id": "1"}}},
            "created_at",
        ),
    ],
)
def test_structurally_bad_payload_is_refused_naming_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_payload(payload)
    assert caught.value.detail.startswith(field)


def test_signed_request_verifies() -> None:
    body = load_fixture(SOURCE.fixtures / "conversation_user_created.json")
    SOURCE.verify(signed(body), SECRET, datetime.now(UTC), TOLERANCE)


def test_signature_hex_in_upper_case_still_verifies() -> None:
    request = signed(b"{}")
    upper = {"X-Hub-Signature": "sha1=" + request.headers["X-Hub-Signature"][5:].upper()}
    SOURCE.verify(SignedRequest("POST", URL, upper, b"{}"), SECRET, datetime.now(UTC), TOLERANCE)


def test_tampered_body_fails() -> None:
    request = signed(load_fixture(SOURCE.fixtures / "conversation_admin_closed.json"))
    tampered = SignedRequest("POST", URL, request.headers, request.body.replace(b"closed", b"open"))
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(tampered, SECRET, datetime.now(UTC), TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_wrong_secret_fails() -> None:
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"{}", secret="legacy-hub-secret"), SECRET, datetime.now(UTC), TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_non_ascii_signature_fails_cleanly() -> None:
    request = SignedRequest("POST", URL, {"X-Hub-Signature": "sha1=ä"}, b"{}")
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(request, SECRET, datetime.now(UTC), TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_missing_header_fails() -> None:
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, {}, b"{}"), SECRET, datetime.now(UTC), TOLERANCE)
    assert caught.value.code == "missing_signature"
