"""`POST /webhooks/hubspot`: HubSpot webhook batches (a JSON array), ticket subscriptions only for now.

Signature v3, checked with the helper `hubspot-api-client` ships: ``X-HubSpot-Signature-v3`` =
base64(HMAC-SHA256(client secret, method + URL + raw body + timestamp)), ``X-HubSpot-Request-Timestamp``
in epoch milliseconds. Each event in the array becomes its own delivery record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hubspot.exceptions import InvalidSignatureTimestampError
from hubspot.utils.signature import Signature
from pydantic import ValidationError

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import TicketDeliveryRecord, TicketEvent, TicketPriority, TicketStatus
from webhooks.sources import (
    SignedRequest,
    TicketSource,
    epoch_to_datetime,
    handled,
    ignored,
    require_header,
    text_or_none,
    unsupported,
)

NAME = "hubspot"
SIGNATURE = "X-HubSpot-Signature-v3"
TIMESTAMP = "X-HubSpot-Request-Timestamp"

PRIORITIES = {
    "LOW": TicketPriority.LOW,
    "MEDIUM": TicketPriority.NORMAL,
    "HIGH": TicketPriority.HIGH,
    "URGENT": TicketPriority.URGENT,
}

Handler = Callable[[dict[str, Any], str, Config], TicketEvent | None]
"""(event, where it sits in the batch, config) -> the ticket, or None when this event says nothing to us."""


def verify(request: SignedRequest, secret: str, now: datetime, tolerance: timedelta) -> None:
    """Refuse unless the v3 signature matches and the timestamp is within `tolerance` either way."""
    signature = require_header(request, SIGNATURE).strip()
    timestamp = require_header(request, TIMESTAMP).strip()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 15):
        raise AuthenticationError("invalid_signature", f"{TIMESTAMP} is not epoch milliseconds")
    # Compared as integers (validated above), before anything turns it into a date: any value is safe.
    # The SDK checks only age, against the wall clock, over a fixed 5 minutes; ours also refuses the future.
    skew_ms = abs(int(timestamp) - int(now.timestamp() * 1000))
    if skew_ms > tolerance.total_seconds() * 1000:
        raise AuthenticationError(
            "stale_timestamp",
            f"{TIMESTAMP} is {skew_ms // 1000} s from the server clock "
            f"(allowed: {tolerance.total_seconds():.0f} s); replayed or badly delayed request",
        )
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthenticationError("invalid_signature", "the body is not UTF-8, so it cannot match") from None
    try:
        valid = signature.isascii() and Signature.is_valid(
            signature=signature,
            client_secret=secret,
            request_body=body,
            http_uri=request.url,
            http_method=request.method,
            signature_version="v3",
            timestamp=timestamp,
        )
    except InvalidSignatureTimestampError:
        raise AuthenticationError(
            "stale_timestamp", f"{TIMESTAMP} is older than HubSpot's 5-minute window; replayed or delayed"
        ) from None
    if not valid:
        raise AuthenticationError("invalid_signature", f"{SIGNATURE} does not match the method, URL and body")


def sign(body: bytes, secret: str, url: str, now: datetime) -> dict[str, str]:
    """The headers HubSpot adds to a v3-signed POST to `url`."""
    timestamp = str(int(now.timestamp() * 1000))
    signature = Signature.get_signature(
        secret, body.decode("utf-8"), "v3", http_uri=url, http_method="POST", timestamp=timestamp
    )
    return {SIGNATURE: signature, TIMESTAMP: timestamp}


def _ticket(event: dict[str, Any], where: str, ticket_id_field: str = "objectId", **fields: Any) -> TicketEvent:
    ticket_id = text_or_none(event.get(ticket_id_field))
    if not ticket_id:
        raise InputError("invalid_field", f"{where}.{ticket_id_field}: the ticket id is missing")
    occurred = epoch_to_datetime(event.get("occurredAt"), f"{where}.occurredAt")
    try:
        return TicketEvent(source=NAME, ticket_id=ticket_id, occurred_at=occurred, **fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError("invalid_field", f"{where}: {'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def stage_status(stage: str | None, config: Config) -> TicketStatus | None:
    """Pipeline stage id to our status via `tickets.hubspot_pipeline_stages`; unmapped stages give None."""
    return config.tickets.hubspot_pipeline_stages.get(stage or "")


def parse_ticket_creation(event: dict[str, Any], where: str, config: Config) -> TicketEvent:
    """A new ticket. Creation events carry only the id, so everything else comes with later events."""
    ticket = _ticket(event, where, status=TicketStatus.NEW)
    return ticket.model_copy(update={"opened_at": ticket.occurred_at})


def parse_property_change(event: dict[str, Any], where: str, config: Config) -> TicketEvent | None:
    """One property changed: stage, priority, subject or category; other properties are ignored."""
    value = text_or_none(event.get("propertyValue"))
    match event.get("propertyName"):
        case "hs_pipeline_stage":
            # A stage outside the mapping (a custom pipeline) is still a change we record, status unknown.
            return _ticket(event, where, status=stage_status(value, config))
        case "hs_ticket_priority":
            return _ticket(event, where, priority=PRIORITIES.get((value or "").upper()))
        case "subject":
            return _ticket(event, where, subject=value)
        case "hs_ticket_category":
            return _ticket(event, where, category=value)
    return None


def parse_association_change(event: dict[str, Any], where: str, config: Config) -> TicketEvent | None:
    """A ticket gained a company: the HubSpot company id we match accounts on."""
    # HubSpot sends each association twice (TICKET_TO_COMPANY and COMPANY_TO_TICKET); we read the first.
    # A removal cannot be stored: None on the ticket means "not said", not "no company".
    if event.get("associationType") != "TICKET_TO_COMPANY" or event.get("associationRemoved") is True:
        return None
    return _ticket(event, where, "fromObjectId", organization_id=text_or_none(event.get("toObjectId")))


TASK_OBJECT_TYPE = "0-27"
"""HubSpot's objectTypeId of tasks in generic `object.*` subscriptions."""
OUTCOME_PROPERTIES = {
    "deal": {"dealstage", "closedate", "hs_is_closed_won", "hs_is_closed", "amount", "pipeline", "dealtype"},
    "task": {"hs_task_status", "hs_task_completion_date"},
}


def outcome_refresh(event: dict[str, Any], event_type: str) -> tuple[str, str] | None:
    """A deal or task change that may change an outcome: which object to read again."""
    kind = "deal" if event_type in ("deal.propertyChange", "deal.creation") else None
    if event_type == "object.propertyChange" and str(event.get("objectTypeId")) == TASK_OBJECT_TYPE:
        kind = "task"
    object_id = text_or_none(event.get("objectId"))
    if kind is None or object_id is None:
        return None
    name = event.get("propertyName")
    if event_type.endswith("propertyChange") and name not in OUTCOME_PROPERTIES[kind]:
        return None
    return kind, object_id


HANDLERS: dict[str, Handler] = {
    "ticket.creation": parse_ticket_creation,
    "ticket.propertyChange": parse_property_change,
    "ticket.associationChange": parse_association_change,
}

OUTCOME_EVENTS = frozenset({"deal.creation", "deal.propertyChange", "object.propertyChange"})
"""Deal and task changes: the outcome is read again from HubSpot at once (other changes are ignored)."""

# Deletion, merge and restore of tickets are not modelled yet. Deal, company, contact and generic
# `object.*` subscriptions share this endpoint (one target URL per HubSpot app): deal changes and
# task (`object.propertyChange`, objectTypeId 0-27) changes to outcome properties refresh outcomes;
# the rest is stored raw and skipped.
IGNORED: frozenset[str] = frozenset(
    {
        "ticket.deletion",
        "ticket.merge",
        "ticket.restore",
        "deal.deletion",
        "deal.associationChange",
        "deal.merge",
        "deal.restore",
        "company.creation",
        "company.propertyChange",
        "company.deletion",
        "company.associationChange",
        "company.merge",
        "company.restore",
        "contact.creation",
        "contact.propertyChange",
        "contact.deletion",
        "contact.associationChange",
        "contact.merge",
        "contact.restore",
        "contact.privacyDeletion",
        "object.creation",
        "object.deletion",
        "object.associationChange",
        "object.merge",
        "object.restore",
    }
)


def delivery_id_of(event: dict[str, Any]) -> str:
    """HubSpot's `eventId` is not unique, so dedupe on what the event says happened, when."""
    if "associationType" in event:
        keys = (
            "subscriptionId",
            "fromObjectId",
            "occurredAt",
            "associationType",
            "toObjectId",
            "associationRemoved",
        )
    else:
        keys = ("subscriptionId", "objectId", "occurredAt", "propertyName", "propertyValue")
    parts = ["" if event.get(key) is None else str(event.get(key)) for key in keys]
    if len(parts[-1]) > 64:  # long property values (subjects) would crowd the 255-character column
        parts[-1] = "sha256:" + hashlib.sha256(parts[-1].encode()).hexdigest()[:32]
    return ":".join(parts)


def parse(payload: Any, request: SignedRequest, config: Config) -> list[TicketDeliveryRecord]:
    """One record per event in the batch; an empty batch is valid and yields none."""
    if not isinstance(payload, list):
        raise InputError("invalid_field", f"body: expected a JSON array of events, got {type(payload).__name__}")
    records = []
    for index, event in enumerate(payload):
        where = f"body[{index}]"
        if not isinstance(event, dict):
            raise InputError("invalid_field", f"{where}: expected a JSON object, got {type(event).__name__}")
        event_type = text_or_none(event.get("subscriptionType"))
        if event_type is None:
            raise InputError("invalid_field", f"{where}.subscriptionType: missing")
        delivery_id = delivery_id_of(event)
        handler = HANDLERS.get(event_type)
        ticket = handler(event, where, config) if handler else None
        refresh = outcome_refresh(event, event_type) if event_type in OUTCOME_EVENTS else None
        if ticket is not None:
            records.append(handled(NAME, event_type, event, delivery_id, ticket))
        elif refresh is not None:
            records.append(replace(handled(NAME, event_type, event, delivery_id, None), refresh=refresh))
        elif handler is not None or event_type in IGNORED or event_type in OUTCOME_EVENTS:
            records.append(ignored(NAME, event_type, event, delivery_id))
        else:
            records.append(unsupported(NAME, event_type, event, delivery_id))
    return records


SOURCE = TicketSource(
    name=NAME,
    secret_setting="hubspot_client_secret",
    secret_variable="HUBSPOT_CLIENT_SECRET",
    verify=verify,
    sign=sign,
    parse=parse,
    handled=frozenset(HANDLERS) | OUTCOME_EVENTS,
    ignored=IGNORED,
    fixtures=Path(__file__).parent / "fixtures",
)
