"""Validate Segment-spec messages and turn them into `SegmentCall`s.

Event time follows the Segment spec: a message that already went through Segment (it has
`receivedAt`, e.g. a warehouse export) keeps its `timestamp`; otherwise the client clock is
corrected with `sentAt`: ``timestamp = receivedAt - (sentAt - originalTimestamp)``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from connector.errors import InputError
from connector.events import SegmentCall
from connector.ingest.json_text import refuse_nul
from connector.ingest.timestamps import RANGE_TEXT, bounded

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2500
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)

CallType = Literal["track", "identify", "group", "page", "screen", "alias"]


def _id_or_none(value: Any) -> Any:
    # SDKs in typed languages send numeric ids; Segment treats them as strings. Blank means absent.
    if value.__class__ is str:
        return value if value and not value.isspace() else None
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be a string, not a boolean")
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_utc(value: Any) -> Any:
    if isinstance(value, datetime):
        try:
            return bounded(value, "value")
        except InputError:
            # Bounded here, so the clock-skew arithmetic below can never overflow.
            raise ValueError(f"must be {RANGE_TEXT}") from None
    return value


Id = Annotated[Annotated[str, Field(max_length=255)] | None, BeforeValidator(_id_or_none)]


Time = Annotated[datetime | None, AfterValidator(_as_utc)]
"""Segment treats a date-time without an offset as UTC; out-of-range moments are refused."""


class _Message(BaseModel):
    """The fields we read; everything else is kept verbatim in the stored payload."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    type: CallType
    userId: Id = None
    anonymousId: Id = None
    messageId: Id = None
    groupId: Id = None
    previousId: Id = None
    event: str | None = Field(None, max_length=255)
    name: str | None = Field(None, max_length=255)
    timestamp: Time = None
    originalTimestamp: Time = None
    sentAt: Time = None
    receivedAt: Time = None
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


def _first_error(exc: ValidationError) -> InputError:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "message"
    if error["type"] == "literal_error" and where == "type":
        return InputError(
            "invalid_type",
            f"type must be one of track, identify, group, page, screen, alias (got {error.get('input')!r})",
        )
    return InputError("invalid_field", f"{where}: {error['msg'].removeprefix('Value error, ')}")


@lru_cache(maxsize=64)
def _isoformat(moment: datetime) -> str:
    return moment.isoformat()


def derived_message_id(message: dict[str, Any]) -> str:
    """A stable id for a message that came without one, so a retried delivery still dedupes."""
    content = {key: value for key, value in message.items() if key not in {"sentAt", "writeKey"}}
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"hl-{digest[:40]}"


def event_time(message: _Message, batch_sent_at: datetime | None, received_at: datetime) -> datetime:
    """When the call happened, corrected for the client's clock (see module docstring)."""
    if message.receivedAt is not None:
        if message.timestamp is not None:
            return message.timestamp
        if message.originalTimestamp is not None and message.sentAt is not None:
            return message.receivedAt - (message.sentAt - message.originalTimestamp)
        return message.receivedAt
    original = message.timestamp or message.originalTimestamp
    if original is None:
        return received_at
    sent_at = message.sentAt or batch_sent_at
    if sent_at is None:
        return original
    return received_at - (sent_at - original)


def _account_for(message: _Message) -> Any:
    if message.type == "group":
        return message.groupId
    context_group = (message.context or {}).get("groupId")
    return _id_or_none(context_group) if context_group is not None else None


def parse_call(
    raw: Any,
    *,
    received_at: datetime,
    max_future: timedelta,
    implied_type: str | None = None,
    batch_sent_at: datetime | None = None,
    batch_context: dict[str, Any] | None = None,
    check_nul: bool = False,
) -> SegmentCall:
    """Validate one message; raise `InputError` naming the first problem.

    With `check_nul` (the body held an escaped U+0000 somewhere), the message is checked for NUL
    after the batch context is merged into it: what is checked is what would be stored.
    """
    if not isinstance(raw, dict):
        raise InputError("invalid_message", f"each message must be a JSON object, got {type(raw).__name__}")
    if implied_type is not None:
        given = raw.get("type")
        if given is not None and given != implied_type:
            raise InputError("invalid_type", f"type is {given!r} but this endpoint takes {implied_type!r}")
        raw = {**raw, "type": implied_type}
    if batch_context and isinstance(raw.get("context", {}), dict):
        raw = {**raw, "context": {**batch_context, **(raw.get("context") or {})}}
    if check_nul:
        refuse_nul(raw)
    try:
        message = _Message.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc) from None

    if message.userId is None and message.anonymousId is None:
        raise InputError("no_user_anon_id", "userId or anonymousId is required (at least one, non-empty)")
    if message.type == "track" and not (message.event or "").strip():
        raise InputError("invalid_field", "event: a track call needs a non-empty event name")
    if message.type == "group" and message.groupId is None:
        raise InputError("invalid_field", "groupId: a group call needs the account id in groupId")
    if message.type == "alias" and message.previousId is None:
        raise InputError("invalid_field", "previousId: an alias call needs previousId")
    account_id = _account_for(message)
    if account_id is not None and (not isinstance(account_id, str) or len(account_id) > 255):
        raise InputError("invalid_field", "context.groupId: must be a string of at most 255 characters")

    when = event_time(message, batch_sent_at, received_at).astimezone(UTC)
    if when > received_at + max_future:
        raise InputError(
            "timestamp_in_future",
            f"timestamp {when.isoformat()} is {(when - received_at)} ahead of the server clock, "
            "after correcting for client clock skew with sentAt; check the sender's clock",
        )
    if when < EARLIEST_EVENT:
        raise InputError("timestamp_out_of_range", f"timestamp {when.isoformat()} is before 2000-01-01")

    payload = dict(raw)
    payload.pop("writeKey", None)
    if batch_sent_at is not None and "sentAt" not in payload:
        payload["sentAt"] = _isoformat(batch_sent_at)
    return SegmentCall(
        message_id=message.messageId or derived_message_id(payload),
        type=message.type,
        timestamp=when,
        payload=payload,
        user_id=message.userId,
        anonymous_id=message.anonymousId,
        account_id=account_id,
        event=message.event if message.type == "track" else message.name,
        traits=message.traits or {},
    )


def batch_sent_at(body: dict[str, Any]) -> datetime | None:
    """The batch-level `sentAt` (the SDKs put it there), or None when absent or unreadable."""
    value = body.get("sentAt")
    if value is None:
        return None
    try:
        parsed = _Message.model_validate({"type": "track", "sentAt": value}).sentAt
    except ValidationError:
        raise InputError("invalid_field", "sentAt: not an ISO-8601 date-time") from None
    return parsed
