"""Read account and user attributes out of Segment traits through the configured trait map."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from connector.config.yaml_config import AccountTraitMap, UserTraitMap
from connector.errors import InputError
from connector.ingest.timestamps import RANGE_TEXT, epoch_to_datetime, finite_number, iso_to_datetime

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normalize_domain(value: str | None) -> str | None:
    """`https://www.Acme.com/pricing` -> `acme.com`; None when it is not a plausible domain."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if "//" not in text:
        text = "//" + text
    host = (urlsplit(text).hostname or "").rstrip(".")
    host = host.removeprefix("www.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return host if _DOMAIN.match(host) else None


def _first(traits: dict[str, Any], names: list[str]) -> tuple[str, Any] | None:
    for name in names:
        if traits.get(name) not in (None, ""):
            return name, traits[name]
    return None


def _bad(trait: str, expected: str, value: Any) -> InputError:
    return InputError("invalid_trait", f"traits.{trait}: expected {expected}, got {value!r}")


def _as_int(trait: str, value: Any) -> int:
    try:
        number = finite_number(value, f"traits.{trait}", code="invalid_trait")
    except InputError:
        raise _bad(trait, "a whole number", value) from None
    if not number.is_integer() or number < 0 or number > 10_000_000:
        raise _bad(trait, "a whole number between 0 and 10,000,000", value)
    return int(number)


def _as_float(trait: str, value: Any) -> float:
    number = finite_number(
        str(value).replace(",", "") if isinstance(value, str) else value, f"traits.{trait}", code="invalid_trait"
    )
    if abs(number) > 1e12:
        raise _bad(trait, "a finite number", value)
    return number


def _as_datetime(trait: str, value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Unix seconds, or milliseconds when it is too large to be seconds.
        return epoch_to_datetime(value, f"traits.{trait}", code="invalid_trait")
    if isinstance(value, str):
        return iso_to_datetime(
            value, f"traits.{trait}", code="invalid_trait", expected=f"an ISO-8601 date or date-time {RANGE_TEXT}"
        )
    raise _bad(trait, "an ISO-8601 date or date-time", value)


def _as_date(trait: str, value: Any) -> date:
    return _as_datetime(trait, value).astimezone(UTC).date()


def _as_text(trait: str, value: Any, limit: int) -> str:
    if isinstance(value, dict | list):
        raise _bad(trait, "text", value)
    text = str(value).strip()
    return text[:limit]


@dataclass(frozen=True, slots=True)
class AccountFields:
    name: str | None = None
    plan: str | None = None
    licensed_seats: int | None = None
    renewal_date: date | None = None
    mrr: float | None = None
    signed_up_at: datetime | None = None
    domain: str | None = None
    crm_match_key: str | None = None


def account_fields(traits: dict[str, Any], mapping: AccountTraitMap) -> AccountFields:
    """Typed account attributes from group traits; `InputError` names a trait of the wrong type."""
    values: dict[str, Any] = {}
    readers = {
        "name": lambda t, v: _as_text(t, v, 512),
        "plan": lambda t, v: _as_text(t, v, 255),
        "licensed_seats": _as_int,
        "renewal_date": _as_date,
        "mrr": _as_float,
        "signed_up_at": _as_datetime,
        "crm_match_key": lambda t, v: _as_text(t, v, 255),
    }
    sources = {"licensed_seats": "seats", "signed_up_at": "created_at"}
    for field_name, reader in readers.items():
        found = _first(traits, getattr(mapping, sources.get(field_name, field_name)))
        if found:
            values[field_name] = reader(*found)
    found = _first(traits, mapping.domain)
    if found:
        values["domain"] = normalize_domain(str(found[1]))
    return AccountFields(**values)


@dataclass(frozen=True, slots=True)
class UserFields:
    email: str | None = None
    name: str | None = None


def user_fields(traits: dict[str, Any], mapping: UserTraitMap) -> UserFields:
    email = _first(traits, mapping.email)
    name = _first(traits, mapping.name)
    return UserFields(
        email=_as_text(*email, 320).lower() if email else None,
        name=_as_text(*name, 512) if name else None,
    )


def merge_traits(
    stored: dict[str, Any], stored_at: datetime | None, incoming: dict[str, Any], incoming_at: datetime
) -> tuple[dict[str, Any], datetime | None]:
    """Newer traits win key by key; an older (backfilled) call only fills keys we lack."""
    if stored_at is None or incoming_at >= stored_at:
        return {**stored, **incoming}, incoming_at
    return {**incoming, **stored}, stored_at
