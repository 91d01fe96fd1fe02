"""`POST /webhooks/freshdesk`: the "Trigger Webhook" action of Freshdesk automation rules.

Freshdesk does not sign webhooks. The admin adds a custom header ``X-Healthloop-Token: <secret>`` to
the action, compared in constant time. Nothing protects against replays, so the delivery id is a
digest of the body: an identical retry collapses. Templates are in docs/webhook-sources.md.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import TicketDeliveryRecord, TicketEvent, TicketPriority, TicketStatus
from connector.ingest import timestamps
from webhooks.sources import (
    SignedRequest,
    TicketSource,
    body_digest,
    dispatch,
    iso_to_datetime,
    require_header,
    text_or_none,
)

NAME = "freshdesk"
HEADER = "X-Healthloop-Token"
SIMPLE = "freshdesk_webhook"
DEFAULT_EVENT = "ticket_updated"

# Placeholders render display text ("Open", "Waiting on Customer"); the API and some rules give the
# number (2 open, 3 pending, 4 resolved, 5 closed). Custom statuses (6+) mean nothing to us.
STATUSES = {
    "2": TicketStatus.OPEN,
    "3": TicketStatus.PENDING,
    "4": TicketStatus.SOLVED,
    "5": TicketStatus.CLOSED,
    "open": TicketStatus.OPEN,
    "pending": TicketStatus.PENDING,
    "resolved": TicketStatus.SOLVED,
    "solved": TicketStatus.SOLVED,
    "closed": TicketStatus.CLOSED,
    "waiting_on_customer": TicketStatus.PENDING,
    "waiting_on_third_party": TicketStatus.ON_HOLD,
    "on_hold": TicketStatus.ON_HOLD,
}
PRIORITIES = {
    "1": TicketPriority.LOW,
    "2": TicketPriority.NORMAL,
    "3": TicketPriority.HIGH,
    "4": TicketPriority.URGENT,
    "low": TicketPriority.LOW,
    "medium": TicketPriority.NORMAL,
    "normal": TicketPriority.NORMAL,
    "high": TicketPriority.HIGH,
    "urgent": TicketPriority.URGENT,
}
# The simple payload's names for the fields of our advanced template.
SIMPLE_NAMES = {
    "ticket_id": "ticket_id",
    "subject": "ticket_subject",
    "status": "ticket_status",
    "priority": "ticket_priority",
    "ticket_type": "ticket_type",
    "tags": "ticket_tags",
    "requester_email": "ticket_requester_email",
    "company_id": "ticket_company_id",
    "created_at": "ticket_created_at",
    "updated_at": "ticket_updated_at",
    "triggered_event": "triggered_event",
}


@dataclass(frozen=True)
class Rendered:
    """The ticket fields of one delivery, read by template name whichever payload shape arrived."""

    values: dict[str, Any]
    simple: bool = False

    def get(self, name: str) -> Any:
        if not self.simple:
            return self.values.get(name)
        value = self.values.get(SIMPLE_NAMES.get(name, name))
        # Zulip's widely copied simple template says `requester_email`, Freshdesk `ticket_requester_email`.
        return self.values.get("requester_email") if value is None and name == "requester_email" else value

    def where(self, name: str) -> str:
        return f"{SIMPLE}.{SIMPLE_NAMES.get(name, name)}" if self.simple else name


Handler = Callable[[Rendered, SignedRequest], TicketEvent]


def verify(request: SignedRequest, secret: str, now: datetime, tolerance: timedelta) -> None:
    """Refuse unless the shared-secret header matches (Freshdesk cannot sign; `now` is unused)."""
    given = require_header(request, HEADER).strip()
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise AuthenticationError("invalid_signature", f"{HEADER} does not match FRESHDESK_WEBHOOK_SECRET")


def sign(body: bytes, secret: str, url: str, now: datetime) -> dict[str, str]:
    """The custom header the admin adds to the "Trigger Webhook" action."""
    return {HEADER: secret}


def _key(value: Any) -> str:
    text = text_or_none(value)
    return re.sub(r"[\s-]+", "_", text.lower()) if text else ""


def status_of(value: Any) -> TicketStatus | None:
    """Freshdesk status as display text or number to ours; custom statuses give None."""
    return STATUSES.get(_key(value))


def priority_of(value: Any) -> TicketPriority | None:
    """Freshdesk priority as display text or number (1-4) to ours."""
    return PRIORITIES.get(_key(value))


def freshdesk_time(value: Any, field: str) -> datetime | None:
    """`Fri, 20 Nov 2026 09:14:03 +0000`, `2026-11-20T09:14:03Z` or `2026-11-20 09:14:03` (UTC)."""
    text = text_or_none(value)
    if text is None:
        return None
    if text[:1].isdigit():
        return iso_to_datetime(text, field)
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise InputError("invalid_field", f"{field}: expected a date-time, got {text!r}") from None
    if parsed.tzinfo is None:
        raise InputError("invalid_field", f"{field}: {text!r} has no time zone offset")
    return timestamps.bounded(parsed, field)


def _ticket(ticket: Rendered, request: SignedRequest, created: bool) -> TicketEvent:
    ticket_id = text_or_none(ticket.get("ticket_id"))
    if not ticket_id:
        raise InputError("invalid_field", f"{ticket.where('ticket_id')}: the ticket id is missing")
    created_at = freshdesk_time(ticket.get("created_at"), ticket.where("created_at"))
    # Freshdesk has no event time: the update time if the rule sends one, else the request's Date
    # header; a creation may fall back on the creation time. An update stamped with the creation time
    # would look older than the ticket's state, so the last resort is when we received it (the rule
    # fires as the ticket changes, so that is close).
    occurred = freshdesk_time(ticket.get("updated_at"), ticket.where("updated_at"))
    occurred = occurred or freshdesk_time(request.headers.get("Date"), "Date header")
    occurred = occurred or (created_at if created else None) or request.received_at
    if occurred is None:
        raise InputError(
            "invalid_field",
            f"{ticket.where('updated_at')}: missing, and no Date header; add the update time to the template",
        )
    try:
        return TicketEvent(
            source=NAME,
            ticket_id=ticket_id,
            occurred_at=occurred,
            organization_id=text_or_none(ticket.get("company_id")),
            requester_email=text_or_none(ticket.get("requester_email")),
            subject=text_or_none(ticket.get("subject")),
            category=text_or_none(ticket.get("ticket_type")),
            tags=text_or_none(ticket.get("tags")),  # "a,b" or "a, b"
            priority=priority_of(ticket.get("priority")),
            status=status_of(ticket.get("status")),
            opened_at=created_at or (occurred if created else None),
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError("invalid_field", f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def parse_ticket_created(ticket: Rendered, request: SignedRequest) -> TicketEvent:
    """A rule on ticket creation; Freshdesk has no "new" status, a fresh ticket is already Open."""
    return _ticket(ticket, request, created=True)


def parse_ticket_updated(ticket: Rendered, request: SignedRequest) -> TicketEvent:
    """A rule on ticket update: the rendered state of the ticket after the change."""
    return _ticket(ticket, request, created=False)


HANDLERS: dict[str, Handler] = {
    "ticket_created": parse_ticket_created,
    "ticket_updated": parse_ticket_updated,
}

# Notes are agent activity (a customer reply arrives as an update with a new status); deleted and
# spam tickets are not modelled yet.
IGNORED: frozenset[str] = frozenset({"note_added", "ticket_deleted", "ticket_spammed"})


def event_type_of(ticket: Rendered) -> str:
    """The template's `event`, else Freshdesk's `{{triggered_event}}`, else `ticket_updated`."""
    event = _key(ticket.get("event"))
    if event:
        return event
    # `{{triggered_event}}` renders unquoted pseudo-JSON: `{ticket_action:created}`,
    # `{status:{from:2,to:3}}`, `{note_type:private}`.
    triggered = str(ticket.get("triggered_event") or "").replace(" ", "")
    if "ticket_action:created" in triggered:
        return "ticket_created"
    if triggered.startswith("{note_type:"):
        return "note_added"
    return DEFAULT_EVENT


def parse(payload: Any, request: SignedRequest, config: Config) -> list[TicketDeliveryRecord]:
    """One record per delivery: our advanced template, or the simple `freshdesk_webhook` wrapper."""
    if not isinstance(payload, dict):
        raise InputError("invalid_field", f"body: expected a JSON object, got {type(payload).__name__}")
    ticket = Rendered(payload)
    if SIMPLE in payload:
        if not isinstance(payload[SIMPLE], dict):
            raise InputError("invalid_field", f"{SIMPLE}: expected a JSON object, got {type(payload[SIMPLE]).__name__}")
        ticket = Rendered(payload[SIMPLE], simple=True)
    event_type = event_type_of(ticket)
    delivery_id = body_digest(request.body)
    return [dispatch(NAME, event_type, payload, delivery_id, HANDLERS, IGNORED, ticket, request)]


SOURCE = TicketSource(
    name=NAME,
    secret_setting="freshdesk_webhook_secret",
    secret_variable="FRESHDESK_WEBHOOK_SECRET",
    verify=verify,
    sign=sign,
    parse=parse,
    handled=frozenset(HANDLERS),
    ignored=IGNORED,
    fixtures=Path(__file__).parent / "fixtures",
    signs_body=False,
)
