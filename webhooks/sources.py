"""What a ticket-webhook source provides: a signature check, a parser, and a signer for tests/demo.

Each source lives in its own package under `webhooks/` (see docs/adding-a-webhook-source.md)
and exposes one `SOURCE`; `webhooks/registry.py` lists them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from connector.config.yaml_config import Config
from connector.errors import AuthenticationError
from connector.events import DeliveryOutcome, TicketDeliveryRecord
from connector.ingest import timestamps


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of an HTTP request a signature can cover."""

    method: str
    url: str
    """The full public URL, as the sender saw it (scheme, host, path, query)."""
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime | None = None
    """When we received it: a last-resort event time for sources that send none (Freshdesk)."""


Verifier = Callable[[SignedRequest, str, datetime, timedelta], None]
"""Raise `AuthenticationError` unless the request is authentic and fresh (request, secret, now, tolerance)."""
Signer = Callable[[bytes, str, str, datetime], dict[str, str]]
"""Headers a genuine sender would add (body, secret, url, now): used by tests and the demo."""
Parser = Callable[[Any, SignedRequest, Config], list[TicketDeliveryRecord]]
"""Turn a verified, JSON-decoded payload into delivery records; raise `InputError` on a bad payload."""


@dataclass(frozen=True)
class TicketSource:
    name: str
    secret_setting: str
    """Attribute of `Settings` holding the secret."""
    secret_variable: str
    """The environment variable an admin sets (named in errors and logs)."""
    verify: Verifier
    sign: Signer
    parse: Parser
    handled: frozenset[str] = field(default_factory=frozenset)
    ignored: frozenset[str] = field(default_factory=frozenset)
    fixtures: Path | None = None
    signs_body: bool = True
    """False when the vendor cannot sign (Freshdesk): only a shared token proves the sender."""


def body_digest(body: bytes) -> str:
    """A delivery id for sources whose payloads carry none (identical retries collapse)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def require_header(request: SignedRequest, name: str) -> str:
    value = request.headers.get(name)
    if not value:
        raise AuthenticationError("missing_signature", f"the {name} header is missing")
    return value


def check_freshness(sent_at: datetime, now: datetime, tolerance: timedelta, header: str) -> None:
    """Refuse a signed timestamp outside `tolerance` (a replay, or a badly skewed clock)."""
    if abs(now - sent_at) > tolerance:
        raise AuthenticationError(
            "stale_timestamp",
            f"{header} is {abs(now - sent_at).total_seconds():.0f} s from the server clock "
            f"(allowed: {tolerance.total_seconds():.0f} s); replayed or badly delayed request",
        )


def ignored(source: str, event_type: str, payload: Any, delivery_id: str) -> TicketDeliveryRecord:
    return TicketDeliveryRecord(source, delivery_id, event_type, DeliveryOutcome.IGNORED, payload)


def unsupported(source: str, event_type: str, payload: Any, delivery_id: str) -> TicketDeliveryRecord:
    return TicketDeliveryRecord(source, delivery_id, event_type, DeliveryOutcome.UNSUPPORTED, payload)


def handled(source: str, event_type: str, payload: Any, delivery_id: str, ticket: Any) -> TicketDeliveryRecord:
    return TicketDeliveryRecord(source, delivery_id, event_type, DeliveryOutcome.HANDLED, payload, ticket)


def dispatch(
    source: str,
    event_type: str,
    payload: Any,
    delivery_id: str,
    handlers: Mapping[str, Callable[..., Any]],
    ignored_types: frozenset[str],
    *args: Any,
) -> TicketDeliveryRecord:
    """One event's record: ignored on purpose, unsupported (unknown type), or parsed by its handler."""
    if event_type in ignored_types:
        return ignored(source, event_type, payload, delivery_id)
    handler = handlers.get(event_type)
    if handler is None:
        return unsupported(source, event_type, payload, delivery_id)
    return handled(source, event_type, payload, delivery_id, handler(*args))


def epoch_to_datetime(value: Any, field_name: str) -> datetime:
    """Unix seconds or milliseconds (as number or numeric string) to an aware datetime, in range."""
    return timestamps.epoch_to_datetime(value, field_name)


def iso_to_datetime(value: Any, field_name: str) -> datetime:
    """ISO-8601 text (with `Z` or an offset; UTC when it has none) to an aware datetime, in range."""
    return timestamps.iso_to_datetime(value, field_name)


def text_or_none(value: Any) -> str | None:
    """Vendors send ids as numbers or strings, and blanks as "" or null: one shape for all."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def load_fixture(path: Path) -> bytes:
    """A fixture file's body, re-serialised compactly as a sender would send it."""
    return orjson.dumps(orjson.loads(path.read_bytes()))
