"""HubSpot webhooks: v3 signatures through the SDK helper, event batches, ticket subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hubspot.utils.signature import Signature

from connector.config.yaml_config import Config, ConfigError, TicketMatching, load_config
from connector.errors import AuthenticationError, InputError
from connector.events import DeliveryOutcome, TicketDeliveryRecord, TicketPriority, TicketStatus
from webhooks.hubspot import SOURCE
from webhooks.sources import SignedRequest, load_fixture

SECRET = "hs-client-secret-5b0c1e2d"
URL = "https://hl.example.com/webhooks/hubspot"
TOLERANCE = timedelta(seconds=300)
FIXTURES = sorted(SOURCE.fixtures.glob("*.json"))


def signed(body: bytes, now: datetime | None = None, secret: str = SECRET, url: str = URL) -> SignedRequest:
    return SignedRequest("POST", url, SOURCE.sign(body, secret, url, now or datetime.now(UTC)), body)


def parse_body(body: bytes, config: Config | None = None) -> list[TicketDeliveryRecord]:
    return SOURCE.parse(orjson.loads(body), SignedRequest("POST", URL, {}, body), config or Config())


def parse_fixture(name: str) -> list[TicketDeliveryRecord]:
    return parse_body(load_fixture(SOURCE.fixtures / name))


def parse_payload(payload: Any, config: Config | None = None) -> list[TicketDeliveryRecord]:
    return parse_body(orjson.dumps(payload), config)


def stage_change(stage: str) -> dict[str, Any]:
    return {
        "eventId": 1,
        "subscriptionId": 2718285,
        "portalId": 62515,
        "occurredAt": 1795270000000,
        "subscriptionType": "ticket.propertyChange",
        "objectId": 5512,
        "propertyName": "hs_pipeline_stage",
        "propertyValue": stage,
    }


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_every_fixture_parses_to_records_with_a_sensible_outcome(path: Path) -> None:
    records = parse_body(load_fixture(path))
    assert records
    for record in records:
        assert record.source == "hubspot" and record.delivery_id and isinstance(record.payload, dict)
        if record.outcome is DeliveryOutcome.HANDLED:
            assert record.event_type in SOURCE.handled
            if record.refresh is not None:  # a deal or task change: its outcome is read again
                assert record.ticket is None and record.refresh[0] in ("deal", "task")
            else:
                assert record.ticket is not None and record.ticket.ticket_id and record.ticket.occurred_at.tzinfo
        else:
            assert record.outcome is DeliveryOutcome.IGNORED
            assert record.event_type in SOURCE.ignored | SOURCE.handled


def test_every_handled_subscription_type_has_a_fixture() -> None:
    seen = {
        record.event_type
        for path in FIXTURES
        for record in parse_body(load_fixture(path))
        if record.outcome is DeliveryOutcome.HANDLED
    }
    assert SOURCE.handled <= seen
    assert SOURCE.handled.isdisjoint(SOURCE.ignored)


def test_ticket_creation_is_a_new_ticket_opened_when_it_occurred() -> None:
    (record,) = parse_fixture("ticket_creation.json")
    ticket = record.ticket
    assert record.delivery_id == "2718281:5512:1795166043000::"
    assert ticket is not None and (ticket.source, ticket.ticket_id) == ("hubspot", "5512")
    assert ticket.status is TicketStatus.NEW
    assert ticket.occurred_at == ticket.opened_at == datetime(2026, 11, 20, 9, 14, 3, tzinfo=UTC)


def test_property_changes_each_fill_only_their_own_field() -> None:
    subject, priority, category, stage, owner = parse_fixture("ticket_property_change.json")
    assert subject.ticket is not None and subject.ticket.subject == "CSV export times out for large reports"
    assert subject.ticket.status is None and subject.ticket.priority is None
    assert priority.ticket is not None and priority.ticket.priority is TicketPriority.NORMAL
    assert category.ticket is not None and category.ticket.category == "PRODUCT_ISSUE"
    assert stage.ticket is not None and stage.ticket.status is TicketStatus.CLOSED
    assert stage.ticket.occurred_at == datetime(2026, 11, 21, 14, 6, 40, tzinfo=UTC)
    assert owner.outcome is DeliveryOutcome.IGNORED and owner.ticket is None


def test_events_sharing_an_event_id_get_distinct_delivery_ids() -> None:
    records = parse_fixture("ticket_property_change.json")
    assert records[0].payload["eventId"] == records[1].payload["eventId"]
    assert len({record.delivery_id for record in records}) == len(records)
    assert records[1].delivery_id == "2718283:5512:1795166100000:hs_ticket_priority:MEDIUM"


def test_long_property_values_keep_the_delivery_id_short() -> None:
    event = stage_change("x") | {"propertyName": "subject", "propertyValue": "Export " * 80}
    (record,) = parse_payload([event])
    assert len(record.delivery_id) < 120 and "sha256:" in record.delivery_id


def test_stage_is_mapped_through_the_config() -> None:
    config = Config(tickets=TicketMatching(hubspot_pipeline_stages={"84512301": "solved", "84512302": "On_Hold"}))
    solved, held = parse_payload([stage_change("84512301"), stage_change("84512302")], config)
    assert solved.ticket is not None and solved.ticket.status is TicketStatus.SOLVED
    assert held.ticket is not None and held.ticket.status is TicketStatus.ON_HOLD


@pytest.mark.parametrize("stage", ["99887766", ""])
def test_unknown_stage_is_still_handled_with_no_status(stage: str) -> None:
    (record,) = parse_payload([stage_change(stage)])
    assert record.outcome is DeliveryOutcome.HANDLED
    assert record.ticket is not None and record.ticket.status is None


def test_a_stage_mapped_to_a_status_we_do_not_know_is_refused_when_the_config_loads(tmp_path) -> None:
    path = tmp_path / "healthloop.yaml"
    path.write_text("tickets:\n  hubspot_pipeline_stages:\n    '4': archived\n")
    with pytest.raises(ConfigError, match=r"tickets\.hubspot_pipeline_stages\.4: Input should be 'new'"):
        load_config(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("LOW", TicketPriority.LOW),
        ("MEDIUM", TicketPriority.NORMAL),
        ("HIGH", TicketPriority.HIGH),
        ("URGENT", TicketPriority.URGENT),
        ("high", TicketPriority.HIGH),
        ("", None),
    ],
)
def test_priorities(value: str, expected: TicketPriority | None) -> None:
    (record,) = parse_payload([stage_change("1") | {"propertyName": "hs_ticket_priority", "propertyValue": value}])
    assert record.ticket is not None and record.ticket.priority is expected


def test_ticket_to_company_association_gives_the_organization() -> None:
    forward, mirror = parse_fixture("ticket_association_change.json")
    assert forward.outcome is DeliveryOutcome.HANDLED and forward.ticket is not None
    assert forward.ticket.ticket_id == "5512" and forward.ticket.organization_id == "8120331"
    assert mirror.outcome is DeliveryOutcome.IGNORED


def test_removed_company_association_is_ignored() -> None:
    payload = orjson.loads(load_fixture(SOURCE.fixtures / "ticket_association_change.json"))
    payload[0]["associationRemoved"] = True
    removed, _ = parse_payload(payload)
    assert removed.outcome is DeliveryOutcome.IGNORED and removed.ticket is None


def test_deal_and_task_changes_ask_for_their_outcome_to_be_read_again() -> None:
    records = parse_fixture("outcome_changes.json")
    assert [(r.event_type, r.outcome, r.refresh) for r in records] == [
        ("deal.propertyChange", DeliveryOutcome.HANDLED, ("deal", "17760042")),
        ("object.propertyChange", DeliveryOutcome.HANDLED, ("task", "88120045")),
        ("deal.creation", DeliveryOutcome.HANDLED, ("deal", "17760043")),
    ]


def test_other_deal_contact_and_deletion_events_are_ignored() -> None:
    records = parse_fixture("ignored_subscriptions.json")
    assert [record.event_type for record in records] == [
        "deal.propertyChange",
        "contact.creation",
        "ticket.deletion",
    ]
    assert all(record.outcome is DeliveryOutcome.IGNORED and record.refresh is None for record in records)


def test_empty_batch_is_valid() -> None:
    assert parse_payload([]) == []


def test_unknown_subscription_type_is_unsupported_not_an_error() -> None:
    (record,) = parse_payload([stage_change("1") | {"subscriptionType": "conversation.creation"}])
    assert record.outcome is DeliveryOutcome.UNSUPPORTED and record.event_type == "conversation.creation"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subscriptionType": "ticket.creation"}, "body"),
        ([stage_change("1"), "ticket.creation"], "body[1]"),
        ([{"objectId": 5512, "occurredAt": 1795166043000}], "body[0].subscriptionType"),
        ([{"subscriptionType": "ticket.creation", "occurredAt": 1795166043000}], "body[0].objectId"),
        ([{"subscriptionType": "ticket.creation", "objectId": 5512}], "body[0].occurredAt"),
        (
            [
                {
                    "subscriptionType": "ticket.associationChange",
                    "associationType": "TICKET_TO_COMPANY",
                    "toObjectId": 1,
                    "occurredAt": 1795166043000,
                }
            ],
            "body[0].fromObjectId",
        ),
    ],
)
def test_structurally_bad_payload_is_refused_naming_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_payload(payload)
    assert caught.value.detail.startswith(field)


def test_signed_request_verifies() -> None:
    now = datetime.now(UTC)
    SOURCE.verify(signed(load_fixture(SOURCE.fixtures / "ticket_creation.json"), now), SECRET, now, TOLERANCE)


def test_sign_produces_what_the_sdk_accepts() -> None:
    body = load_fixture(SOURCE.fixtures / "ticket_creation.json")
    headers = SOURCE.sign(body, SECRET, URL, datetime.now(UTC))
    assert Signature.is_valid(
        signature=headers["X-HubSpot-Signature-v3"],
        client_secret=SECRET,
        request_body=body.decode(),
        http_uri=URL,
        http_method="POST",
        signature_version="v3",
        timestamp=headers["X-HubSpot-Request-Timestamp"],
    )


def test_tampered_body_fails() -> None:
    now = datetime.now(UTC)
    request = signed(load_fixture(SOURCE.fixtures / "ticket_property_change.json"), now)
    tampered = SignedRequest("POST", URL, request.headers, request.body.replace(b'"4"', b'"1"'))
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(tampered, SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_signature_for_another_url_fails() -> None:
    now = datetime.now(UTC)
    request = signed(b"[]", now, url="http://internal:8000/webhooks/hubspot")
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, request.headers, b"[]"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_wrong_secret_fails() -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"[]", now, secret="developer-api-key"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


@pytest.mark.parametrize("header", ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"])
def test_missing_header_fails(header: str) -> None:
    now = datetime.now(UTC)
    headers = {name: value for name, value in signed(b"[]", now).headers.items() if name != header}
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, headers, b"[]"), SECRET, now, TOLERANCE)
    assert caught.value.code == "missing_signature"


@pytest.mark.parametrize("offset", [timedelta(minutes=-10), timedelta(minutes=10)], ids=["stale", "future"])
def test_timestamp_outside_tolerance_fails(offset: timedelta) -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"[]", now + offset), SECRET, now, TOLERANCE)
    assert caught.value.code == "stale_timestamp"


def test_sdk_five_minute_window_still_applies_when_our_tolerance_is_wider() -> None:
    now = datetime.now(UTC)
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(signed(b"[]", now - timedelta(minutes=10)), SECRET, now, timedelta(hours=1))
    assert caught.value.code == "stale_timestamp"


@pytest.mark.parametrize("timestamp", ["soon", "-1", "9" * 30])
def test_unreadable_timestamp_fails(timestamp: str) -> None:
    now = datetime.now(UTC)
    headers = dict(signed(b"[]", now).headers) | {"X-HubSpot-Request-Timestamp": timestamp}
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, headers, b"[]"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"


def test_non_utf8_body_fails_cleanly() -> None:
    now = datetime.now(UTC)
    request = signed(b"[]", now)
    with pytest.raises(AuthenticationError) as caught:
        SOURCE.verify(SignedRequest("POST", URL, request.headers, b"[\xff]"), SECRET, now, TOLERANCE)
    assert caught.value.code == "invalid_signature"
