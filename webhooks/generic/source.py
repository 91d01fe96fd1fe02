"""`POST /webhooks/tickets`: the documented healthloop ticket shape for tools we have no module for.

Signature: ``X-Healthloop-Signature: sha256=<hex HMAC-SHA256(HEALTHLOOP_WEBHOOK_SECRET, raw body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError, InputError
from connector.events import TicketDeliveryRecord, TicketEvent, TicketPriority, TicketStatus
from webhooks.sources import SignedRequest, TicketSource, body_digest, handled, require_header

HEADER = "X-Healthloop-Signature"
EVENT_TYPES = frozenset({"ticket.created", "ticket.updated", "ticket.solved"})


def _digest(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(request: SignedRequest, secret: str, now: datetime, tolerance: timedelta) -> None:
    given = require_header(request, HEADER).strip().removeprefix("sha256=")
    # Bytes, not text: compare_digest refuses non-ASCII str, and a header can hold any Latin-1 text.
    if not hmac.compare_digest(given.lower().encode(), _digest(request.body, secret).encode()):
        raise AuthenticationError("invalid_signature", f"{HEADER} does not match the body")


def sign(body: bytes, secret: str, url: str, now: datetime) -> dict[str, str]:
    return {HEADER: f"sha256={_digest(body, secret)}"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Requester(_Strict):
    id: str | None = None
    email: str | None = Field(None, max_length=320)
    user_id: str | None = Field(None, max_length=255, description="Our product user id, if the tool knows it")


class Ticket(_Strict):
    id: str = Field(min_length=1, max_length=255)
    account_id: str | None = Field(None, max_length=255)
    organization_id: str | None = Field(None, max_length=255)
    requester: Requester = Requester()
    subject: str | None = Field(None, max_length=1000)
    category: str | None = Field(None, max_length=255)
    tags: list[str] | None = None
    priority: TicketPriority | None = None
    status: TicketStatus | None = None
    created_at: AwareDatetime | None = None
    solved_at: AwareDatetime | None = None
    satisfaction: str | None = Field(None, max_length=32)


class Delivery(_Strict):
    id: str | None = Field(None, min_length=1, max_length=200)
    type: Literal["ticket.created", "ticket.updated", "ticket.solved"]
    tool: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,22}$")
    occurred_at: AwareDatetime
    ticket: Ticket


def parse(payload: Any, request: SignedRequest, config: Config) -> list[TicketDeliveryRecord]:
    try:
        delivery = Delivery.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise InputError("invalid_field", f"{where}: {error['msg']}") from None
    source = f"generic:{delivery.tool}" if delivery.tool else "generic"
    status = delivery.ticket.status
    if delivery.type == "ticket.solved" and status is None:
        status = TicketStatus.SOLVED
    ticket = TicketEvent(
        source=source,
        ticket_id=delivery.ticket.id,
        occurred_at=delivery.occurred_at,
        account_id=delivery.ticket.account_id,
        organization_id=delivery.ticket.organization_id,
        requester_id=delivery.ticket.requester.id,
        user_id=delivery.ticket.requester.user_id,
        requester_email=delivery.ticket.requester.email,
        subject=delivery.ticket.subject,
        category=delivery.ticket.category,
        tags=delivery.ticket.tags,
        priority=delivery.ticket.priority,
        status=status or (TicketStatus.NEW if delivery.type == "ticket.created" else None),
        opened_at=delivery.ticket.created_at,
        solved_at=delivery.ticket.solved_at,
        satisfaction=delivery.ticket.satisfaction,
    )
    delivery_id = delivery.id or body_digest(request.body)
    return [handled(source, delivery.type, payload, delivery_id, ticket)]


SOURCE = TicketSource(
    name="tickets",
    secret_setting="webhook_secret",
    secret_variable="HEALTHLOOP_WEBHOOK_SECRET",
    verify=verify,
    sign=sign,
    parse=parse,
    handled=EVENT_TYPES,
    fixtures=Path(__file__).parent / "fixtures",
)
