"""`POST /webhooks/intercom`: Intercom webhook topics about conversations, read as tickets.

Signature: ``X-Hub-Signature: sha1=<hex HMAC-SHA1(app client_secret, raw body)>``. Intercom sends no
timestamp, so there is no freshness check; retries carry the same notification `id`, our delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
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
    epoch_to_datetime,
    handled,
    ignored,
    require_header,
    text_or_none,
    unsupported,
)

NAME = "intercom"
HEADER = "X-Hub-Signature"

# A closed conversation reopens when the customer writes again, which is Zendesk's "solved", not "closed".
STATES = {"open": TicketStatus.OPEN, "closed": TicketStatus.SOLVED, "snoozed": TicketStatus.PENDING}
# API <= 2.13 flags a conversation `priority`/`not_priority`; newer versions say none/low/.../urgent.
PRIORITIES = {
    "priority": TicketPriority.HIGH,
    "not_priority": TicketPriority.NORMAL,
    "none": TicketPriority.NORMAL,
    "low": TicketPriority.LOW,
    "medium": TicketPriority.NORMAL,
    "high": TicketPriority.HIGH,
    "urgent": TicketPriority.URGENT,
}
# Conversation ratings are 1-5 emoji; we keep the same words as Zendesk CSAT.
RATINGS = {1: "bad", 2: "bad", 3: "neutral", 4: "good", 5: "good"}
CUSTOMERS = {"user", "lead", "contact"}

Handler = Callable[[dict[str, Any], dict[str, Any]], TicketEvent]


def verify(request: SignedRequest, secret: str, now: datetime, tolerance: timedelta) -> None:
    """Refuse unless `X-Hub-Signature` is the HMAC-SHA1 of the raw body under the client secret."""
    given = require_header(request, HEADER).strip().removeprefix("sha1=").lower()
    if not hmac.compare_digest(given.encode(), _digest(request.body, secret).encode()):
        raise AuthenticationError("invalid_signature", f"{HEADER} does not match the body")


def sign(body: bytes, secret: str, url: str, now: datetime) -> dict[str, str]:
    """The header Intercom adds to every notification."""
    return {HEADER: f"sha1={_digest(body, secret)}"}


def _digest(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError("invalid_field", f"{field}: expected a JSON object, got {type(value).__name__}")
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _contacts(item: dict[str, Any]) -> list[dict[str, Any]]:
    contacts = _dict(item.get("contacts")).get("contacts")
    if not isinstance(contacts, list):
        return []
    return [contact for contact in contacts if isinstance(contact, dict)]


def _first(contacts: list[dict[str, Any]], key: str) -> str | None:
    return next((value for contact in contacts if (value := text_or_none(contact.get(key)))), None)


def _tags(item: dict[str, Any]) -> list[str] | None:
    tags = _dict(item.get("tags")).get("tags")
    if not isinstance(tags, list):
        return None
    return [name for tag in tags if isinstance(tag, dict) and (name := text_or_none(tag.get("name")))]


def _satisfaction(item: dict[str, Any]) -> str | None:
    rating = _dict(item.get("conversation_rating")).get("rating")
    try:
        return RATINGS.get(int(rating))
    except (TypeError, ValueError):
        return None


def _conversation(envelope: dict[str, Any], item: dict[str, Any], **overrides: Any) -> TicketEvent:
    ticket_id = text_or_none(item.get("id"))
    if not ticket_id:
        raise InputError("invalid_field", "data.item.id: the conversation id is missing")
    when, where = (envelope.get("created_at"), "created_at")
    if not when:
        when, where = (item.get("updated_at"), "data.item.updated_at")
    if not when:
        raise InputError("invalid_field", "created_at: missing (and no data.item.updated_at to fall back on)")
    source = _dict(item.get("source"))
    author = _dict(source.get("author"))
    contacts = _contacts(item)
    created = item.get("created_at")
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "occurred_at": epoch_to_datetime(when, where),
        "organization_id": text_or_none(_dict(item.get("company")).get("id")),
        "requester_id": _first(contacts, "id"),
        "user_id": _first(contacts, "external_id"),
        "requester_email": text_or_none(author.get("email")) if author.get("type") in CUSTOMERS else None,
        "subject": text_or_none(item.get("title")) or text_or_none(source.get("subject")),
        "tags": _tags(item),
        "priority": PRIORITIES.get(str(item.get("priority", "")).lower()),
        "status": STATES.get(str(item.get("state", "")).lower()),
        "opened_at": epoch_to_datetime(created, "data.item.created_at") if created else None,
        "satisfaction": _satisfaction(item),
    }
    try:
        return TicketEvent(source=NAME, **(fields | overrides))
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError("invalid_field", f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def parse_user_created(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """A customer started a conversation: a new ticket."""
    ticket = _conversation(envelope, item, status=TicketStatus.NEW)
    return ticket.model_copy(update={"opened_at": ticket.opened_at or ticket.occurred_at})


def parse_user_replied(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """The customer wrote again; a reply to a closed conversation reopens it, `state` says which."""
    return _conversation(envelope, item)


def parse_admin_replied(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """A teammate replied (possibly closing or snoozing in the same action; `state` says)."""
    return _conversation(envelope, item)


def parse_admin_closed(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """A teammate closed the conversation: solved."""
    return _conversation(envelope, item, status=TicketStatus.SOLVED)


def parse_admin_opened(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """A teammate reopened the conversation."""
    return _conversation(envelope, item, status=TicketStatus.OPEN)


def parse_admin_snoozed(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """Snoozed until `snoozed_until`: waiting, which we call pending."""
    return _conversation(envelope, item, status=TicketStatus.PENDING)


def parse_admin_unsnoozed(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """The snooze ran out or was cancelled: open again."""
    return _conversation(envelope, item, status=TicketStatus.OPEN)


def parse_rating_added(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """The customer rated the conversation; `conversation_rating.rating` becomes satisfaction."""
    return _conversation(envelope, item)


def parse_tag_created(envelope: dict[str, Any], item: dict[str, Any]) -> TicketEvent:
    """A part was tagged; the item's `tags.tags` is the conversation's full tag list."""
    return _conversation(envelope, item)


HANDLERS: dict[str, Handler] = {
    "conversation.user.created": parse_user_created,
    "conversation.user.replied": parse_user_replied,
    "conversation.admin.replied": parse_admin_replied,
    "conversation.admin.closed": parse_admin_closed,
    "conversation.admin.opened": parse_admin_opened,
    "conversation.admin.snoozed": parse_admin_snoozed,
    "conversation.admin.unsnoozed": parse_admin_unsnoozed,
    "conversation.rating.added": parse_rating_added,
    "conversation_part.tag.created": parse_tag_created,
}

# `ping` arrives when the webhook is saved or tested. Contacts and companies reach us through the
# product's own group/identify calls; assignments and internal notes say nothing about the customer,
# and admin-initiated messages are outreach, not support requests. Intercom tickets (`ticket.*`)
# are not modelled yet and stay unsupported, so a subscription to them shows up in the logs.
IGNORED: frozenset[str] = frozenset(
    {
        "ping",
        "user.created",
        "user.deleted",
        "contact.created",
        "contact.deleted",
        "contact.user.created",
        "contact.lead.created",
        "company.created",
        "company.updated",
        "conversation.admin.assigned",
        "conversation.admin.noted",
        "conversation.admin.single.created",
        "conversation.deleted",
    }
)


def parse(payload: Any, request: SignedRequest, config: Config) -> list[TicketDeliveryRecord]:
    """One record per notification, keyed by its `id` (`ping` has none; the body digest stands in)."""
    envelope = _object(payload, "body")
    topic = text_or_none(envelope.get("topic"))
    if topic is None:
        raise InputError("invalid_field", f"topic: expected the webhook topic, got {envelope.get('topic')!r}")
    delivery_id = text_or_none(envelope.get("id")) or body_digest(request.body)
    if topic in IGNORED:
        return [ignored(NAME, topic, envelope, delivery_id)]
    handler = HANDLERS.get(topic)
    if handler is None:
        return [unsupported(NAME, topic, envelope, delivery_id)]
    item = _object(_object(envelope.get("data"), "data").get("item"), "data.item")
    return [handled(NAME, topic, envelope, delivery_id, handler(envelope, item))]


SOURCE = TicketSource(
    name=NAME,
    secret_setting="intercom_client_secret",
    secret_variable="INTERCOM_CLIENT_SECRET",
    verify=verify,
    sign=sign,
    parse=parse,
    handled=frozenset(HANDLERS),
    ignored=IGNORED,
    fixtures=Path(__file__).parent / "fixtures",
)
