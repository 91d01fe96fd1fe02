"""Property values as HubSpot keeps them: strings, checked against the property's type, datetimes as
ISO 8601 UTC, dates as `YYYY-MM-DD` at midnight UTC, enumerations against their options.

A write with bad values fails as one VALIDATION_ERROR that names every bad property; HubSpot embeds the
per-property verdicts as JSON inside the message, and clients grep it for the error code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.hubspot.timestamps import iso, parse_instant

MAX_STRING_LENGTH = 65_536


class InvalidValue(Exception):
    """One property's value refused, with HubSpot's error code; collected into one `validation_error`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalize_value(
    definition: dict[str, Any] | None,
    name: str,
    raw: Any,
    *,
    trusted: bool,
    allowed_options: Callable[[], Sequence[str] | None],
) -> str:
    """The stored form of `raw` for property `name`, or InvalidValue; `allowed_options` None skips the check."""
    if definition is None or definition["archived"]:
        raise InvalidValue("PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
    if definition["modificationMetadata"]["readOnlyValue"] and not trusted:
        raise InvalidValue("READ_ONLY_VALUE", f'Property "{name}" is read-only; its value cannot be set')
    value = as_text(raw)
    if value == "":
        return ""
    kind = definition["type"]
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InvalidValue("INVALID_INTEGER", f"{value} is not a valid number for {name}")
        return value.strip()
    if kind == "bool":
        if value.lower() not in ("true", "false"):
            raise InvalidValue("INVALID_BOOLEAN", f"{value} is not a valid boolean (use 'true' or 'false')")
        return value.lower()
    if kind in ("datetime", "date"):
        return normalize_time(name, kind, value)
    if kind == "enumeration":
        allowed = allowed_options()
        if allowed is not None:
            check_option(definition, value, allowed)
        return value
    if len(value) > MAX_STRING_LENGTH:
        raise InvalidValue("INVALID_STRING_LENGTH", f"{name} is longer than {MAX_STRING_LENGTH} characters")
    return value


def check_option(definition: dict[str, Any], value: str, allowed: Sequence[str]) -> None:
    """Each chosen option (`a;b` for a checkbox property) is one of `allowed`."""
    chosen = value.split(";") if definition["fieldType"] == "checkbox" else [value]
    for item in chosen:
        if item not in allowed:
            raise InvalidValue(
                "INVALID_OPTION",
                f"{item} was not one of the allowed options for {definition['name']}: {', '.join(allowed)}",
            )


def validation_error(problems: list[tuple[str, str, str]]) -> SandboxError:
    """One VALIDATION_ERROR for (name, code, message) problems, shaped as HubSpot's."""
    verdicts = [{"isValid": False, "message": msg, "error": code, "name": name} for name, code, msg in problems]
    return SandboxError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(verdicts),
        errors=[
            {"message": msg, "code": code, "in": name, "context": {"propertyName": [name]}}
            for name, code, msg in problems
        ],
    )


def as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | float | str):
        return str(raw)
    raise InvalidValue("INVALID_TYPE", f"{json.dumps(raw)} is not a string value")


def normalize_time(name: str, kind: str, value: str) -> str:
    moment = parse_instant(value)
    if moment is None:
        raise InvalidValue(
            "INVALID_DATE" if kind == "date" else "INVALID_DATETIME",
            f"{value} is not a valid {kind} for {name}: use epoch milliseconds or ISO 8601",
        )
    if kind == "datetime":
        return iso(moment)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise InvalidValue(
            "INVALID_DATE",
            f"{value} is not midnight UTC; date property {name} takes midnight-UTC epoch milliseconds or YYYY-MM-DD",
        )
    return moment.date().isoformat()
