"""`POST /webhooks/zendesk`: Zendesk event-subscription webhooks and trigger/automation webhooks.

Signature: ``X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + raw body))`` with the
timestamp from ``X-Zendesk-Webhook-Signature-Timestamp``. Zendesk documents no replay window, so we
enforce `tolerance` ourselves. The trigger-mode JSON template is in docs/webhook-sources.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import TicketDeliveryRecord, TicketEvent, TicketPriority, TicketStatus
from webhooks.sources import (
    SignedRequest,
    TicketSource,
    body_digest,
    check_freshness,
    dispatch,
    iso_to_datetime,
    require_header,
    text_or_none,
)

NAME = "zendesk"
SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION = "X-Zendesk-Webhook-Invocation-Id"
EVENT = "zen:event-type:ticket."

# Event webhooks send `OPEN`/`HOLD`; trigger placeholders render display text (`Open`, `On-hold`),
# translated into the requester's language, so an unrecognised word means "did not say".
STATUSES = {
    "new": TicketStatus.NEW,
    "open": TicketStatus.OPEN,
    "pending": TicketStatus.PENDING,
    "hold": TicketStatus.ON_HOLD,
    "on_hold": TicketStatus.ON_HOLD,
    "solved": TicketStatus.SOLVED,
    "closed": TicketStatus.CLOSED,
}
PRIORITIES = {
    "low": TicketPriority.LOW,
    "normal": TicketPriority.NORMAL,
    "medium": TicketPriority.NORMAL,
    "high": TicketPriority.HIGH,
    "urgent": TicketPriority.URGENT,
}

Handler = Callable[[dict[str, Any], SignedRequest], TicketEvent]


def _key(value: Any) -> str:
    text = text_or_none(value)
    return text.lower().replace("-", "_").replace(" ", "_") if text else ""


def status_of(value: Any) -> TicketStatus | None:
    """Zendesk status in any casing (`OPEN`, `Open`, `hold`, `On-hold`) to ours; None when unknown."""
    return STATUSES.get(_key(value))


def priority_of(value: Any) -> TicketPriority | None:
    """Zendesk priority in any casing to ours; `-` (no priority) and unknown words give None."""
    return PRIORITIES.get(_key(value))


def _zendesk_id(value: Any) -> str | None:
    # Zendesk event payloads write "no organization" as "0" (ids are strings there, numbers elsewhere).
    text = text_or_none(value)
    return None if text in (None, "0") else text


def _satisfaction(value: Any) -> str | None:
    # `{{satisfaction.current_rating}}` renders display text ("Good, I'm satisfied"); "Offered" is no rating.
    word = _key(value)
    return next((score for score in ("good", "bad") if word.startswith(score)), None)


def _optional_time(value: Any, field: str) -> datetime | None:
    return iso_to_datetime(value, field) if text_or_none(value) else None


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError("invalid_field", f"{field}: expected a JSON object, got {type(value).__name__}")
    return value


def _ticket(**fields: Any) -> TicketEvent:
    try:
        return TicketEvent(source=NAME, **fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError("invalid_field", f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def verify(request: SignedRequest, secret: str, now: datetime, tolerance: timedelta) -> None:
    """Refuse unless the signature covers this timestamp and body and the timestamp is fresh."""
    given = require_header(request, SIGNATURE).strip()
    timestamp = require_header(request, TIMESTAMP).strip()
    if not hmac.compare_digest(given.encode(), _digest(timestamp, request.body, secret).encode()):
        raise AuthenticationError("invalid_signature", f"{SIGNATURE} does not match the timestamp and body")
    try:
        sent_at = iso_to_datetime(timestamp, TIMESTAMP)
    except InputError:
        raise AuthenticationError("invalid_signature", f"{TIMESTAMP} is not an ISO-8601 time") from None
    check_freshness(sent_at, now, tolerance, TIMESTAMP)


def sign(body: bytes, secret: str, url: str, now: datetime) -> dict[str, str]:
    """The headers Zendesk adds to a signed webhook request."""
    timestamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {SIGNATURE: _digest(timestamp, body, secret), TIMESTAMP: timestamp}


def _digest(timestamp: str, body: bytes, secret: str) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


# --- event-subscription mode: `detail` is a snapshot of the whole ticket after the change ---------------


def _snapshot(payload: dict[str, Any], **overrides: Any) -> TicketEvent:
    detail = _object(payload.get("detail"), "detail")
    # `subject` is "zen:ticket:35436"; `detail.id` is the same id as a string.
    ticket_id = text_or_none(detail.get("id")) or text_or_none(str(payload.get("subject", "")).rpartition(":")[2])
    if not ticket_id:
        raise InputError("invalid_field", "detail.id: the ticket id is missing")
    occurred = _optional_time(payload.get("time"), "time") or _optional_time(
        detail.get("updated_at"), "detail.updated_at"
    )
    if occurred is None:
        raise InputError("invalid_field", "time: missing (and no detail.updated_at to fall back on)")
    tags = detail.get("tags")
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "occurred_at": occurred,
        "organization_id": _zendesk_id(detail.get("organization_id")),
        "requester_id": _zendesk_id(detail.get("requester_id")),
        "subject": text_or_none(detail.get("subject")),
        "category": _key(detail.get("type")) or None,
        "tags": tags if isinstance(tags, list) else None,
        "priority": priority_of(detail.get("priority")),
        "status": status_of(detail.get("status")),
        "opened_at": _optional_time(detail.get("created_at"), "detail.created_at"),
    }
    # An override the event did not fill (None) leaves the snapshot's value.
    return _ticket(**(fields | {name: value for name, value in overrides.items() if value is not None}))


def _current(payload: dict[str, Any]) -> Any:
    event = payload.get("event")
    return event.get("current") if isinstance(event, dict) else None


def _as_new(ticket: TicketEvent) -> TicketEvent:
    """A creation: `new` unless a status was already set, opened when it occurred unless told otherwise."""
    opened = ticket.opened_at or ticket.occurred_at
    return ticket.model_copy(update={"status": ticket.status or TicketStatus.NEW, "opened_at": opened})


def parse_ticket_created(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """A new ticket: the snapshot, `new` unless the creator already set a status."""
    return _as_new(_snapshot(payload))


def parse_status_changed(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """Status moved; `event.current` is the new status (same casing quirks as `detail.status`)."""
    return _snapshot(payload, status=status_of(_current(payload)))


def parse_priority_changed(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """Priority moved; `event.current` is the new priority."""
    return _snapshot(payload, priority=priority_of(_current(payload)))


def parse_tags_changed(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """Tags changed; `event` only lists added/removed, `detail.tags` is the full list we keep."""
    return _snapshot(payload)


def parse_subject_changed(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """Subject edited; `event.current` is the new subject."""
    return _snapshot(payload, subject=text_or_none(_current(payload)))


def parse_comment_added(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """A reply: the comment itself is not kept, but the snapshot refreshes status and priority."""
    return _snapshot(payload)


def parse_organization_changed(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """The ticket moved to another organization: the key we match accounts on in event mode."""
    return _snapshot(payload, organization_id=_zendesk_id(_current(payload)))


# --- trigger/automation mode: our documented template, every placeholder rendered as text ------------


def _trigger_ticket(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    ticket = _object(payload.get("ticket"), "ticket")
    ticket_id = text_or_none(ticket.get("id"))
    if not ticket_id:
        raise InputError("invalid_field", "ticket.id: the ticket id is missing (use {{ticket.id}})")
    created = _optional_time(ticket.get("created_at"), "ticket.created_at")
    # Without {{ticket.updated_at_with_timestamp}} the signed send time is the best "when".
    signed = text_or_none(request.headers.get(TIMESTAMP))
    occurred = _optional_time(ticket.get("updated_at"), "ticket.updated_at") or (
        iso_to_datetime(signed, TIMESTAMP) if signed else created
    )
    if occurred is None:
        raise InputError("invalid_field", "ticket.updated_at: missing, and no signature timestamp to fall back on")
    # `organization_external_id` is deliberately not read: only an explicit `account_id` line claims
    # that the external id is our account id (see docs/webhook-sources.md).
    return _ticket(
        ticket_id=ticket_id,
        occurred_at=occurred,
        account_id=text_or_none(ticket.get("account_id")),
        organization_id=_zendesk_id(ticket.get("organization_id")),
        requester_id=_zendesk_id(ticket.get("requester_id")),
        requester_email=text_or_none(ticket.get("requester_email")),
        subject=text_or_none(ticket.get("subject")),
        category=_key(ticket.get("ticket_type")) or None,
        tags=text_or_none(ticket.get("tags")),  # {{ticket.tags}} renders space-separated
        priority=priority_of(ticket.get("priority")),
        status=status_of(ticket.get("status")),
        opened_at=created,
        satisfaction=_satisfaction(ticket.get("satisfaction")),
    )


def parse_trigger_ticket_created(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """A trigger on "Ticket is Created": `new` unless the placeholder said otherwise."""
    return _as_new(_trigger_ticket(payload, request))


def parse_trigger_ticket_updated(payload: dict[str, Any], request: SignedRequest) -> TicketEvent:
    """A trigger on "Ticket is Updated": the rendered state of the ticket."""
    return _trigger_ticket(payload, request)


HANDLERS: dict[str, Handler] = {
    f"{EVENT}created": parse_ticket_created,
    f"{EVENT}status_changed": parse_status_changed,
    f"{EVENT}priority_changed": parse_priority_changed,
    f"{EVENT}tags_changed": parse_tags_changed,
    f"{EVENT}subject_changed": parse_subject_changed,
    f"{EVENT}comment_added": parse_comment_added,
    f"{EVENT}organization_changed": parse_organization_changed,
    "ticket_created": parse_trigger_ticket_created,
    "ticket_updated": parse_trigger_ticket_updated,
}

# Ticket events that carry nothing we score on. Type, requester and custom fields ride along on
# every handled event's snapshot anyway; deletion, spam and merges are not modelled yet.
IGNORED: frozenset[str] = frozenset(
    EVENT + name
    for name in (
        "agent_assignment_changed",
        "group_assignment_changed",
        "attachment_linked_to_comment",
        "attachment_redacted_from_comment",
        "brand_changed",
        "comment_made_private",
        "comment_made_public",
        "comment_redacted",
        "custom_field_changed",
        "custom_status_changed",
        "description_changed",
        "email_ccs_changed",
        "external_id_changed",
        "followers_changed",
        "form_changed",
        "problem_link_changed",
        "requester_changed",
        "submitter_changed",
        "task_due_at_changed",
        "type_changed",
        "marked_as_spam",
        "merged",
        "soft_deleted",
        "permanently_deleted",
        "undeleted",
    )
)


def parse(payload: Any, request: SignedRequest, config: Config) -> list[TicketDeliveryRecord]:
    """One record per delivery: event-subscription envelopes (`type`) or our trigger template."""
    body = _object(payload, "body")
    if "healthloop_event" in body:
        field = "healthloop_event"
        delivery_id = text_or_none(request.headers.get(INVOCATION)) or body_digest(request.body)
    elif "type" in body:
        field = "type"
        delivery_id = text_or_none(body.get("id")) or body_digest(request.body)
    else:
        raise InputError(
            "invalid_field",
            "body: neither a Zendesk event (`type`) nor the healthloop trigger template (`healthloop_event`)",
        )
    event_type = text_or_none(body.get(field))
    if event_type is None:
        raise InputError("invalid_field", f"{field}: expected the event type, got {body.get(field)!r}")
    return [dispatch(NAME, event_type, body, delivery_id, HANDLERS, IGNORED, body, request)]


SOURCE = TicketSource(
    name=NAME,
    secret_setting="zendesk_webhook_secret",
    secret_variable="ZENDESK_WEBHOOK_SECRET",
    verify=verify,
    sign=sign,
    parse=parse,
    handled=frozenset(HANDLERS),
    ignored=IGNORED,
    fixtures=Path(__file__).parent / "fixtures",
)
