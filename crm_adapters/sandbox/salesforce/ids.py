"""Salesforce-shaped ids (15/18 characters with the case-safe suffix), the org id, the API version the
sandbox names, and Salesforce's timestamp format."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from typing import Any

API_VERSION = "59.0"
MAX_COLLECTION_RECORDS = 200
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM = string.ascii_uppercase + "012345"


def to18(id15: str) -> str:
    """The case-safe 18-character form: one checksum character per 5-character chunk, encoding its capitals."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << offset for offset, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def normalize_id(value: Any) -> str | None:
    """The 18-character id for a 15- or 18-character id string; None when it is not one."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?", value):
        return None
    full = to18(value[:15])
    return full if len(value) == 15 or full[15:] == value[15:].upper() else None


def make_id(prefix: str, number: int) -> str:
    body = ""
    while number:
        number, digit = divmod(number, 62)
        body = _BASE62[digit] + body
    return to18(prefix + "5g0" + body.rjust(9, "0"))


ORG_ID = make_id("00D", 424_242)


def now_text(moment: datetime | None = None) -> str:
    """Salesforce's datetime format: UTC, milliseconds, `+0000`."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_instant(text: str) -> datetime | None:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
