"""Zendesk webhooks: signature, event-subscription payloads and the trigger template."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import DeliveryOutcome, TicketDeliveryRecord, TicketPriority, TicketStatus
from webhooks.sources import SignedRequest, body_digest, load_fixture
from webhooks.zendesk import SOURCE

SECRET = "dGhpcyBpcyBhIHplbmRlc2sgc2VjcmV0"
URL = "https://hl.example.com/webhooks/zendesk"
TOLERANCE = timedelta(seconds=300)
FIXTURES = sorted(SOURCE.fixtures.glob("*.json"))


def signed(body: bytes, now: datetime | None = None, secret: str = SECRET, **extra: str) -> SignedRequest:
    headers = SOURCE.sign(body, secret, URL, now or datetime.now(UTC)) | extra
    return SignedRequest("POST", URL, headers, body)


def parse_body(body: bytes, **headers: str) -> list[TicketDeliveryRecord]:
    return SOURCE.parse(orjson.loads(body), SignedRequest("POST", URL, headers, body), Config())


def parse_fixture(name: str, **headers: str) -> list[TicketDeliveryRecord]:
    return parse_body(load_fixture(SOURCE.fixtures / name), **headers)


def parse_payload(payload: Any, **headers: str) -> list[TicketDeliveryRecord]:
    return parse_body(orjson.dumps(payload), **headers)


def fixture_payload(name: str) -> dict[str, Any]:
    return orjson.loads(load_fixture(SOURCE.fixtures / name))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_fixture_parses_to_records_with_a_sensible_outcome(path: Path) -> None:
    records = parse_body(load_fixture(path))
    assert len(records) == 1
    record = records[0]
    assert record.source == "zendesk" and record.delivery_id
    if record.outcome is DeliveryOutcome.HANDLED:
        assert record.event_type in SOURCE.handled
        assert record.ticket is not None and record.ticket.ticket_id and record.ticket.occurred_at.tzinfo
    else:
        assert record.outcome is DeliveryOutcome.IGNORED and record.event_type in SOURCE.ignored


def test_ticket_created_event_reads_the_snapshot() -> None:
    (record,) = parse_fixture("ticket_created.json")
    ticket = record.ticket
    assert record.delivery_id == "01JDA3N8Q6W2XK5T9V7RPZ4M1C"
    assert record.event_type == "zen:event-type:ticket.created"
    assert ticket is not None
    assert (ticket.source, ticket.ticket_id) == ("zendesk", "35436")
    assert ticket.status is TicketStatus.NEW and ticket.priority is TicketPriority.HIGH
    assert ticket.organization_id == "509974" and ticket.requester_id == "20978392"
    assert ticket.occurred_at == datetime(2026, 11, 20, 9, 14, 5, tzinfo=UTC)
    assert ticket.opened_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)
    assert ticket.tags == ["export", "performance"] and ticket.category == "incident"


def test_status_changed_maps_upper_case_hold_to_on_hold() -> None:
    (record,) = parse_fixture("status_changed.json")
    assert record.ticket is not None and record.ticket.status is TicketStatus.ON_HOLD


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("OPEN", TicketStatus.OPEN),
        ("Open", TicketStatus.OPEN),
        ("open", TicketStatus.OPEN),
        ("hold", TicketStatus.ON_HOLD),
        ("On-hold", TicketStatus.ON_HOLD),
        ("SOLVED", TicketStatus.SOLVED),
        ("Abierto", None),
        ("", None),
    ],
)
def test_status_changed_normalises_every_casing(given: str, expected: TicketStatus | None) -> None:
    payload = fixture_payload("status_changed.json")
    payload["event"]["current"] = payload["detail"]["status"] = given
    (record,) = parse_payload(payload)
    assert record.outcome is DeliveryOutcome.HANDLED
    assert record.ticket is not None and record.ticket.status is expected


def test_priority_changed_accepts_numeric_ids() -> None:
    (record,) = parse_fixture("priority_changed.json")
    ticket = record.ticket
    assert ticket is not None and ticket.priority is TicketPriority.URGENT
    assert ticket.ticket_id == "35436" and ticket.organization_id == "509974" and ticket.requester_id == "20978392"


def test_organization_zero_means_no_organization() -> None:
    (record,) = parse_fixture("subject_changed.json")
    assert record.ticket is not None and record.ticket.organization_id is None
    assert record.ticket.subject == "Cannot invite a second admin (SSO workspace)"


def test_organization_changed_gives_the_new_organization() -> None:
    (record,) = parse_fixture("organization_changed.json")
    assert record.ticket is not None and record.ticket.organization_id == "509975"


def test_comment_added_refreshes_status_from_the_snapshot() -> None:
    (record,) = parse_fixture("comment_added.json")
    assert record.outcome is DeliveryOutcome.HANDLED
    assert record.ticket is not None and record.ticket.status is TicketStatus.PENDING


def test_ticket_id_falls_back_to_the_envelope_subject() -> None:
    payload = fixture_payload("tags_changed.json")
    del payload["detail"]["id"]
    (record,) = parse_payload(payload)
    assert record.ticket is not None and record.ticket.ticket_id == "35436"
    assert record.ticket.tags == ["export", "performance", "escalated"]


def test_trigger_template_reads_placeholders_rendered_as_text() -> None:
    (record,) = parse_fixture("trigger_ticket_created.json", **{"X-Zendesk-Webhook-Invocation-Id": "8350205582"})
    ticket = record.ticket
    assert record.event_type == "ticket_created" and record.delivery_id == "8350205582"
    assert ticket is not None and ticket.ticket_id == "35602"
    assert ticket.status is TicketStatus.NEW and ticket.priority is TicketPriority.NORMAL
    assert ticket.requester_email == "dana@acme.com" and ticket.organization_id == "509974"
    assert ticket.tags == ["billing", "invoice", "seats"]
    assert ticket.occurred_at == ticket.opened_at == datetime(2026, 11, 22, 17, 15, tzinfo=UTC)
    assert ticket.satisfaction is None


def test_trigger_template_without_invocation_id_dedupes_on_the_body() -> None:
    body = load_fixture(SOURCE.fixtures / "trigger_ticket_updated.json")
    (record,) = parse_body(body)
    assert record.delivery_id == body_digest(body)


def test_trigger_update_normalises_blanks_solved_and_rating() -> None:
    (record,) = parse_fixture("trigger_ticket_updated.json")
    ticket = record.ticket
    assert ticket is not None and ticket.status is TicketStatus.SOLVED
    assert ticket.priority is None and ticket.organization_id is None and ticket.category is None
    assert ticket.requester_email == "li.wei@globex.io" and ticket.satisfaction == "good"


def test_organization_external_id_is_not_taken_for_our_account_id() -> None:
    (record,) = parse_fixture("trigger_ticket_created.json")
    assert record.ticket is not None and record.ticket.account_id is None


def test_an_explicit_account_id_line_is_used() -> None:
    payload = fixture_payload("trigger_ticket_created.json")
    payload["ticket"]["account_id"] = "acct_acme"
    (record,) = parse_payload(payload)
    assert record.ticket is not None and record.ticket.account_id == "acct_acme"


def test_trigger_update_without_times_uses_the_signed_timestamp() -> None:
    payload = fixture_payload("trigger_ticket_updated.json")
    payload["ticket"]["updated_at"] = payload["ticket"]["created_at"] = ""
    (record,) = parse_payload(payload, **{"X-Zendesk-Webhook-Signature-Timestamp": "2026-11-22T18:03:41Z"})
    assert record.ticket is not None and record.ticket.occurred_at == datetime(2026, 11, 22, 18, 3, 41, tzinfo=UTC)


def test_trigger_update_without_any_time_is_refused() -> None:
    payload = fixture_payload("trigger_ticket_updated.json")
    payload["ticket"]["updated_at"] = payload["ticket"]["created_at"] = ""
    with pytest.raises(InputError, match=r"ticket\.updated_at"):
        parse_payload(payload)


def test_unknown_event_type_is_unsupported_not_an_error() -> None:
    payload = fixture_payload("status_changed.json") | {"type": "zen:event-type:user.created"}
    (record,) = parse_payload(payload)
    assert record.outcome is DeliveryOutcome.UNSUPPORTED and record.event_type == "zen:event-type:user.created"
    assert record.ticket is None


def test_unknown_trigger_event_is_unsupported() -> None:
    payload = fixture_payload("trigger_ticket_updated.json") | {"healthloop_event": "ticket_exploded"}
    (record,) = parse_payload(payload)
    assert record.outcome is DeliveryOutcome.UNSUPPORTED


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([{"type": "zen:event-type:ticket.created"}], "body"),
        ({"ticket": {"id": "1"}}, "body"),
        ({"type": "zen:event-type:ticket.created", "time": "2026-11-20T09:14:05Z"}, "detail"),
        (
            {
                "type": "zen:event-type:ticket.created",
                "time": "2026-11-20T09:14:05Z",
                "detail": {"status": "OPEN"},
            },
            "detail.id",
        ),
        ({"type": "zen:event-type:ticket.created", "detail": {"id": "1"}}, "time"),
        ({"type": "zen:event-type:ticket.created", "time": "yesterday", "detail": {"id": "1"}}, "time"),
        ({"healthloop_event": "ticket_updated", "ticket": "35511"}, "ticket"),
        (
            {"healthloop_event": "ticket_updated", "ticket": {"id": "", "updated_at": "2026-11-22T18:03Z"}},
            "ticket.id",
        ),
        ({"type": None}, "type"),
    ],
)
def test_structurally_bad_payload_is_refused_naming_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_payload(payload)
    assert caught.value.detail.startswith(field)


def test_signed_request_verifies() -> None:
    now = datetime.now(UTC)
    body = load_fixture(SOURCE.fixtures / "ticket_created.json")
    SOURCE.verify(signed(body, now), SECRET, now, TOLERANCE)


def test_empty_body_is_signed_over_the_timestamp_alone() -> None:
    now = datetime.now(UTC)
    SOURCE.verify(signed(b"", now), SECRET, now, TOLERANCE)


def test_tampered_body_fails() -> None:
    now = datetime.now(UTC)
    request = signed(load_fixture(SOURCE.fixtures / "ticket_created.json"), now)
    tampered = SignedRequest(request.method, request.url, request.headers, request.body.replace(b"HIGH", b"LOW"))
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(tampered, SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_wrong_secret_fails() -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"{}", now, secret="another-secret"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_signature_over_another_timestamp_fails() -> None:
    now = datetime.now(UTC)
    request = signed(b"{}", now - timedelta(seconds=1))
    moved = dict(request.headers) | {"X-Zendesk-Webhook-Signature-Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, moved, b"{}"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


@pytest.mark.parametrize("header", ["X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"])
def test_missing_header_fails(header: str) -> None:
    now = datetime.now(UTC)
    request = signed(b"{}", now)
    headers = {name: value for name, value in request.headers.items() if name != header}
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, headers, b"{}"), SECRET, now, TOLERANCE)
    assert caught.value.code == "missing_signature"


@pytest.mark.parametrize("offset", [timedelta(minutes=-10), timedelta(minutes=10)], ids=["stale", "future"])
def test_timestamp_outside_tolerance_fails(offset: timedelta) -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"{}", now + offset), SECRET, now, TOLERANCE)
    assert caught.value.code == "stale_timestamp"


def test_correctly_signed_but_unreadable_timestamp_fails() -> None:
    now = datetime.now(UTC)
    digest = hmac.new(SECRET.encode(), b"last tuesday{}", hashlib.sha256).digest()
    headers = {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": "last tuesday",
    }
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, headers, b"{}"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature" and "ISO-8601" in caught.value.detail
