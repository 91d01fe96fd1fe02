"""Freshdesk webhooks: shared-secret header, advanced template and the simple payload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import DeliveryOutcome, TicketDeliveryRecord, TicketPriority, TicketStatus
from webhooks.freshdesk import SOURCE
from webhooks.sources import SignedRequest, body_digest, load_fixture

SECRET = "fd-7Q2mX9vK4pL8sR1t"
URL = "https://hl.example.com/webhooks/freshdesk"
TOLERANCE = timedelta(seconds=300)
FIXTURES = sorted(SOURCE.fixtures.glob("*.json"))


def signed(body: bytes, secret: str = SECRET) -> SignedRequest:
    return SignedRequest("POST", URL, SOURCE.sign(body, secret, URL, datetime.now(UTC)), body)


def parse_body(body: bytes, **headers: str) -> list[TicketDeliveryRecord]:
    return SOURCE.parse(orjson.loads(body), SignedRequest("POST", URL, headers, body), Config())


def parse_fixture(name: str) -> list[TicketDeliveryRecord]:
    return parse_body(load_fixture(SOURCE.fixtures / name))


def parse_payload(payload: Any, **headers: str) -> list[TicketDeliveryRecord]:
    return parse_body(orjson.dumps(payload), **headers)


def fixture_payload(name: str) -> dict[str, Any]:
    return orjson.loads(load_fixture(SOURCE.fixtures / name))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_fixture_parses_to_records_with_a_sensible_outcome(path: Path) -> None:
    body = load_fixture(path)
    (record,) = parse_body(body)
    assert record.source == "freshdesk" and record.delivery_id == body_digest(body)
    if record.outcome is DeliveryOutcome.HANDLED:
        assert record.event_type in SOURCE.handled
        assert record.ticket is not None and record.ticket.ticket_id and record.ticket.occurred_at.tzinfo
    else:
        assert record.outcome is DeliveryOutcome.IGNORED and record.event_type in SOURCE.ignored


def test_template_created_event_reads_numbers_sent_as_strings() -> None:
    (record,) = parse_fixture("ticket_created.json")
    ticket = record.ticket
    assert record.event_type == "ticket_created"
    assert ticket is not None and (ticket.source, ticket.ticket_id) == ("freshdesk", "4821")
    assert ticket.status is TicketStatus.OPEN and ticket.priority is TicketPriority.HIGH
    assert ticket.organization_id == "153000012345" and ticket.requester_email == "dana@acme.com"
    assert ticket.tags == ["billing", "invoice", "seats"] and ticket.category == "Billing"
    assert ticket.occurred_at == ticket.opened_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)


def test_template_update_reads_display_text_and_rfc_2822_dates() -> None:
    (record,) = parse_fixture("ticket_updated.json")
    ticket = record.ticket
    assert ticket is not None and ticket.status is TicketStatus.SOLVED and ticket.priority is TicketPriority.NORMAL
    assert ticket.occurred_at == datetime(2026, 11, 20, 16, 40, 12, tzinfo=UTC)
    assert ticket.opened_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)


def test_simple_payload_created_from_triggered_event() -> None:
    (record,) = parse_fixture("simple_ticket_created.json")
    ticket = record.ticket
    assert record.event_type == "ticket_created"
    assert ticket is not None and ticket.ticket_id == "4830" and ticket.status is TicketStatus.OPEN
    assert ticket.priority is TicketPriority.NORMAL and ticket.requester_email == "li.wei@globex.io"
    assert ticket.tags == ["sso", "login"] and ticket.organization_id is None
    assert ticket.occurred_at == datetime(2026, 11, 21, 10, 2, tzinfo=UTC)


def test_simple_status_change_to_waiting_on_customer_is_pending() -> None:
    (record,) = parse_fixture("simple_status_changed.json")
    ticket = record.ticket
    assert record.event_type == "ticket_updated"
    assert ticket is not None and ticket.status is TicketStatus.PENDING and ticket.priority is TicketPriority.URGENT
    assert ticket.occurred_at == datetime(2026, 11, 21, 15, 30, tzinfo=UTC)


def test_private_note_is_ignored() -> None:
    (record,) = parse_fixture("note_added.json")
    assert record.outcome is DeliveryOutcome.IGNORED and record.event_type == "note_added"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("2", TicketStatus.OPEN),
        ("3", TicketStatus.PENDING),
        ("4", TicketStatus.SOLVED),
        ("5", TicketStatus.CLOSED),
        ("OPEN", TicketStatus.OPEN),
        ("Closed", TicketStatus.CLOSED),
        ("Waiting on Customer", TicketStatus.PENDING),
        ("7", None),
        ("Awaiting parts", None),
    ],
)
def test_statuses_as_text_or_number(status: str, expected: TicketStatus | None) -> None:
    (record,) = parse_payload(fixture_payload("ticket_updated.json") | {"status": status})
    assert record.ticket is not None and record.ticket.status is expected


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        ("1", TicketPriority.LOW),
        ("2", TicketPriority.NORMAL),
        ("4", TicketPriority.URGENT),
        ("Low", TicketPriority.LOW),
        ("Medium", TicketPriority.NORMAL),
        ("URGENT", TicketPriority.URGENT),
        ("", None),
    ],
)
def test_priorities_as_text_or_number(priority: str, expected: TicketPriority | None) -> None:
    (record,) = parse_payload(fixture_payload("ticket_updated.json") | {"priority": priority})
    assert record.ticket is not None and record.ticket.priority is expected


@pytest.mark.parametrize(
    "rendered",
    [
        "2026-11-20T16:40:12Z",
        "2026-11-20T17:40:12+01:00",
        "2026-11-20 16:40:12",
        "Fri, 20 Nov 2026 16:40:12 +0000",
    ],
)
def test_update_time_in_every_rendered_format(rendered: str) -> None:
    (record,) = parse_payload(fixture_payload("ticket_updated.json") | {"updated_at": rendered})
    assert record.ticket is not None and record.ticket.occurred_at == datetime(2026, 11, 20, 16, 40, 12, tzinfo=UTC)


def test_update_without_a_time_falls_back_to_the_date_header() -> None:
    payload = fixture_payload("ticket_updated.json") | {"updated_at": ""}
    (record,) = parse_payload(payload, Date="Fri, 20 Nov 2026 16:41:00 GMT")
    assert record.ticket is not None and record.ticket.occurred_at == datetime(2026, 11, 20, 16, 41, tzinfo=UTC)


def test_update_without_any_time_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_payload(fixture_payload("ticket_updated.json") | {"updated_at": ""})
    assert caught.value.detail.startswith("updated_at")


def test_event_defaults_to_ticket_updated() -> None:
    payload = fixture_payload("ticket_updated.json")
    del payload["event"], payload["triggered_event"]
    (record,) = parse_payload(payload)
    assert record.event_type == "ticket_updated" and record.outcome is DeliveryOutcome.HANDLED


def test_unknown_event_is_unsupported_not_an_error() -> None:
    (record,) = parse_payload(fixture_payload("ticket_updated.json") | {"event": "sla_breached"})
    assert record.outcome is DeliveryOutcome.UNSUPPORTED and record.event_type == "sla_breached"


def test_identical_retries_share_a_delivery_id() -> None:
    body = load_fixture(SOURCE.fixtures / "ticket_updated.json")
    assert parse_body(body)[0].delivery_id == parse_body(body)[0].delivery_id == body_digest(body)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (["ticket_updated"], "body"),
        ({"freshdesk_webhook": "4830"}, "freshdesk_webhook"),
        ({"event": "ticket_updated", "updated_at": "2026-11-20T16:40:12Z"}, "ticket_id"),
        (
            {"freshdesk_webhook": {"ticket_subject": "x", "ticket_updated_at": "2026-11-20T16:40:12Z"}},
            "freshdesk_webhook.ticket_id",
        ),
        ({"ticket_id": "4821", "updated_at": "next week"}, "updated_at"),
        ({"ticket_id": "4821", "updated_at": "Fri, 20 Nov 2026 16:40:12"}, "updated_at"),
    ],
)
def test_structurally_bad_payload_is_refused_naming_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_payload(payload)
    assert caught.value.detail.startswith(field)


def test_request_with_the_token_verifies() -> None:
    SOURCE.verify(signed(b"{}"), SECRET, datetime.now(UTC), TOLERANCE)


def test_token_does_not_depend_on_the_body() -> None:
    request = signed(b'{"ticket_id":"1"}')
    tampered = SignedRequest("POST", URL, request.headers, b'{"ticket_id":"2"}')
    SOURCE.verify(tampered, SECRET, datetime.now(UTC), TOLERANCE)  # nothing signs it: a known limit


def test_wrong_token_fails() -> None:
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"{}", secret="guessed"), SECRET, datetime.now(UTC), TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_missing_token_fails() -> None:
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, {}, b"{}"), SECRET, datetime.now(UTC), TOLERANCE)
    assert caught.value.code == "missing_signature"
