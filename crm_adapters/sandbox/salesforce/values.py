"""Written values in the form the org stores them: booleans, numbers within their digits, dates
`YYYY-MM-DD`, datetimes `2026-11-30T12:00:00.000+0000`, lookups as 18-character ids of live records, text
within its length, emails and restricted picklists checked. Bad values get Salesforce's error codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from crm_adapters.sandbox.salesforce.catalog import KEY_PREFIXES
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import normalize_id, now_text, parse_instant
from crm_adapters.sandbox.salesforce.record import SfRecord

_NUMBER_TYPES = {"double", "currency", "percent", "int"}


def stored_value(definition: dict[str, Any], raw: Any, find: Callable[[str], SfRecord | None]) -> Any:
    """A written value in stored form, or the error Salesforce gives for it; `find` resolves lookups."""
    name, kind = definition["name"], definition["type"]
    if raw is None or (raw == "" and kind not in ("string", "textarea")):
        return False if kind == "boolean" else None
    if kind == "boolean":
        if isinstance(raw, bool) or raw in ("true", "false"):
            return raw in (True, "true")
        raise parse_error(kind, raw)
    if kind in _NUMBER_TYPES:
        return number(definition, raw)
    if isinstance(raw, bool | dict | list):
        raise parse_error(kind, raw)
    text = str(raw)
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise parse_error(kind, raw) from None
    if kind == "datetime":
        moment = parse_instant(text)
        if moment is None:
            raise parse_error(kind, raw)
        return now_text(moment)
    if kind in ("id", "reference"):
        return _reference(definition, text, find)
    if definition["length"] and len(text) > definition["length"]:
        raise SalesforceApiError(
            400,
            "STRING_TOO_LONG",
            f"{definition['label']}: data value too large: {text[:40]} (max length={definition['length']})",
            [name],
        )
    if kind == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise SalesforceApiError(
            400, "INVALID_EMAIL_ADDRESS", f"{definition['label']}: invalid email address: {text}", [name]
        )
    if kind == "multipicklist":
        return _multi_select(definition, text)
    if kind == "picklist" and definition["restrictedPicklist"]:
        active = {v["value"] for v in definition["picklistValues"] if v["active"]}
        if text not in active:
            raise SalesforceApiError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{definition['label']}: bad value for restricted picklist field: {text}",
                [name],
            )
    return text


def _multi_select(definition: dict[str, Any], text: str) -> str | None:
    """`a;b` as stored: each chosen value once, each one an active value when the picklist is restricted."""
    chosen = list(dict.fromkeys(item.strip() for item in text.split(";") if item.strip()))
    active = {v["value"] for v in definition["picklistValues"] if v["active"]}
    for item in chosen:
        if definition["restrictedPicklist"] and item not in active:
            raise SalesforceApiError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{definition['label']}: bad value for restricted picklist field: {item}",
                [definition["name"]],
            )
    return ";".join(chosen) or None


def _reference(definition: dict[str, Any], text: str, find: Callable[[str], SfRecord | None]) -> str:
    full = normalize_id(text)
    targets = definition["referenceTo"]
    if full is None or not any(full.startswith(KEY_PREFIXES[t]) for t in targets):
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION" if full else "MALFORMED_ID",
            f"{definition['label']}: id value of incorrect type: {text}",
            [definition["name"]],
        )
    target = find(full)
    if target is None or target.deleted:
        raise SalesforceApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [definition["name"]])
    return full


def same(stored: Any, wanted: Any) -> bool:
    """Equal as Salesforce compares stored values (text without case; null equals nothing)."""
    if isinstance(stored, str) and isinstance(wanted, str):
        return stored.lower() == wanted.lower()
    return stored is not None and stored == wanted


def typed(kind: str, stored: Any) -> Any:
    """A stored value as SOQL compares it: dates and datetimes parsed, the rest as stored."""
    if stored is None:
        return None
    if kind == "date":
        return date.fromisoformat(stored)
    if kind == "datetime":
        return parse_instant(stored)
    return stored


def parse_error(kind: str, raw: Any) -> SalesforceApiError:
    return SalesforceApiError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from {type(raw).__name__.upper()} value {raw} "
        "or request may be missing a required field",
    )


def number(definition: dict[str, Any], raw: Any) -> float | int:
    """A number field's value, checked against its type, digits and scale."""
    kind = definition["type"]
    if isinstance(raw, bool):
        raise parse_error(kind, raw)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise parse_error(kind, raw) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise parse_error(kind, raw)
    if kind == "int":
        if value != int(value):
            raise parse_error(kind, raw)
        digits, scale = definition["digits"] or 9, 0
    else:
        digits, scale = definition["precision"] - definition["scale"], definition["scale"]
    if abs(value) >= 10**digits:
        raise SalesforceApiError(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{definition['label']}: value outside of valid range on numeric field: {raw}",
            [definition["name"]],
        )
    return int(value) if kind == "int" else round(value, scale)
