"""The canonical inbound models every source is parsed into before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


def _clip(limit: int) -> BeforeValidator:
    """Vendors send ids as numbers, blanks as "", and text of any length: normalise and clip."""

    def clip(value: Any) -> Any:
        if value is None or isinstance(value, bool | dict | list):
            return value
        text = str(value).strip()
        return text[:limit] or None

    return BeforeValidator(clip)


def _clean_tags(value: Any) -> Any:
    if isinstance(value, str):  # some tools send "a, b" or "a b"
        value = [part for part in value.replace(",", " ").split()]
    if isinstance(value, list):
        return [str(tag).strip()[:255] for tag in value if tag is not None and str(tag).strip()]
    return value


Id = Annotated[str | None, _clip(255)]
Text = Annotated[str | None, _clip(1000)]


@dataclass(frozen=True, slots=True)
class SegmentCall:
    """One validated Segment-spec message (track, page, screen, identify, group, alias)."""

    message_id: str
    type: str
    timestamp: datetime
    """When it happened, corrected for client clock skew (aware, UTC)."""
    payload: dict[str, Any]
    """The message as received, kept whole so it can be reprocessed."""
    user_id: str | None = None
    anonymous_id: str | None = None
    account_id: str | None = None
    """`groupId` for a group call, `context.groupId` for the others."""
    event: str | None = None
    """Track event name, or page/screen name."""
    traits: dict[str, Any] = field(default_factory=dict)


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketEvent(BaseModel):
    """What any support tool tells us about one ticket, in one shape.

    `None` means "this delivery did not say" (HubSpot property-change events carry one field),
    so storing an event never blanks a field another delivery filled in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    ticket_id: str = Field(min_length=1, max_length=255)
    occurred_at: AwareDatetime
    account_id: Id = None
    """Our own account id, when the payload carries it (generic source, external ids)."""
    organization_id: Id = None
    """The support tool's organization / company id."""
    requester_id: Id = None
    """The requester's id in the support tool."""
    user_id: Id = None
    """Our product user id, when the tool knows it (Intercom's contact `external_id`)."""
    requester_email: Annotated[str | None, _clip(320)] = None
    subject: Text = None
    category: Id = None
    tags: Annotated[list[str] | None, BeforeValidator(_clean_tags)] = None
    priority: TicketPriority | None = None
    status: TicketStatus | None = None
    opened_at: AwareDatetime | None = None
    solved_at: AwareDatetime | None = None
    satisfaction: Annotated[str | None, _clip(32)] = None


class DeliveryOutcome(StrEnum):
    HANDLED = "handled"
    IGNORED = "ignored"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class TicketDeliveryRecord:
    """One verified webhook event: stored raw, deduped on `delivery_id`, maybe carrying a ticket."""

    source: str
    delivery_id: str
    event_type: str
    outcome: DeliveryOutcome
    payload: Any
    ticket: TicketEvent | None = None
    refresh: tuple[str, str] | None = None
    """An outcome to read again now: ("task", id) or ("deal", id) (HubSpot task and deal changes)."""
