"""CRM search semantics: filter groups (OR of ANDed filters), typed comparisons, sorts, offset paging.

Comparisons follow the property's type (numbers numerically, datetimes as instants, strings without
case), and the request limits are HubSpot's: limit <= 200, 5 groups, 6 filters a group, 25 in all.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.hubspot.record import Record
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.hubspot.timestamps import parse_instant

MAX_LIMIT = 200
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 25
MAX_RESULTS = 10_000
OPERATORS = (
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
)
_TOKENS = re.compile(r"[^\W_]+", re.UNICODE)


def _invalid(message: str) -> SandboxError:
    return SandboxError(400, "VALIDATION_ERROR", message)


def run_search(state: SandboxState, kind: str, body: dict[str, Any]) -> tuple[int, list[Record], str | None]:
    """(total matches, this page, the `after` cursor of the next page or None on the last page)."""
    limit = body.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise _invalid("limit must be a non-negative integer")
    if limit > MAX_LIMIT:
        raise _invalid(f"limit must be at most {MAX_LIMIT}, got {limit}")
    try:
        offset = int(body.get("after") or 0)
    except (TypeError, ValueError):
        raise _invalid(f"after must be a paging cursor from a previous response, got {body.get('after')!r}") from None
    if offset + limit > MAX_RESULTS:
        raise _invalid(f"Search can page through at most {MAX_RESULTS} results; narrow the filters instead")
    groups = _checked_groups(state, kind, body.get("filterGroups") or [])
    query = str(body.get("query") or "").lower()
    matches = [
        record
        for record in state.live_records(kind)
        if (not groups or any(all(_matches(state, record, f) for f in group) for group in groups))
        and (not query or any(query in value.lower() for value in record.properties.values()))
    ]
    matches.sort(key=lambda record: int(record.id))
    for name, descending in reversed(_checked_sorts(state, kind, body.get("sorts") or [])):
        present = [r for r in matches if r.properties.get(name) not in (None, "")]
        absent = [r for r in matches if r.properties.get(name) in (None, "")]
        present.sort(key=lambda r, name=name: _sort_key(state, r, name), reverse=descending)
        matches = present + absent
    page = matches[offset : offset + limit]
    after = str(offset + limit) if offset + limit < len(matches) else None
    return len(matches), page, after


def _checked_groups(state: SandboxState, kind: str, groups: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise _invalid("filterGroups must be a list of {filters: [...]}")
    if len(groups) > MAX_GROUPS:
        raise _invalid(f"Too many filter groups: {len(groups)} (the limit is {MAX_GROUPS})")
    checked = []
    for group in groups:
        filters = group.get("filters") or []
        if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
            raise _invalid("filters must be a list of {propertyName, operator, value}")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise _invalid(f"Too many filters in one group: {len(filters)} (the limit is {MAX_FILTERS_PER_GROUP})")
        for item in filters:
            _check_filter(state, kind, item)
        checked.append(filters)
    total = sum(len(filters) for filters in checked)
    if total > MAX_FILTERS:
        raise _invalid(f"Too many filters: {total} across all groups (the limit is {MAX_FILTERS})")
    return checked


def _check_filter(state: SandboxState, kind: str, item: dict[str, Any]) -> None:
    name, operator = item.get("propertyName"), item.get("operator", "EQ")
    if name not in state.properties[kind]:
        raise _invalid(f"There was a problem with the request: property {name!r} does not exist on {kind}")
    if operator not in OPERATORS:
        raise _invalid(f"Unknown filter operator {operator!r}; use one of {', '.join(OPERATORS)}")
    if operator in ("IN", "NOT_IN") and not isinstance(item.get("values"), list):
        raise _invalid(f"{operator} filters need a list in values")
    if operator == "BETWEEN" and (item.get("value") is None or item.get("highValue") is None):
        raise _invalid("BETWEEN filters need value and highValue")
    needs_value = operator not in ("IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY")
    if needs_value and item.get("value") is None:
        raise _invalid(f"{operator} filter on {name} needs a value")


def _checked_sorts(state: SandboxState, kind: str, sorts: Any) -> list[tuple[str, bool]]:
    """Accept both spellings in use: `["prop"]` (the spec) and `[{propertyName, direction}]` (the docs)."""
    if not isinstance(sorts, list):
        raise _invalid("sorts must be a list")
    checked = []
    for item in sorts:
        if isinstance(item, str):
            name, descending = item.lstrip("-"), item.startswith("-")
        elif isinstance(item, dict):
            name = item.get("propertyName")
            direction = str(item.get("direction", "ASCENDING")).upper()
            if direction not in ("ASCENDING", "DESCENDING"):
                raise _invalid(f"sort direction must be ASCENDING or DESCENDING, got {direction!r}")
            descending = direction == "DESCENDING"
        else:
            raise _invalid("each sort is a property name or {propertyName, direction}")
        if name not in state.properties[kind]:
            raise _invalid(f"Cannot sort by {name!r}: no such property on {kind}")
        checked.append((str(name), descending))
    return checked


def _typed(state: SandboxState, kind: str, name: str, value: Any) -> Any:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    kind_of_value = state.properties[kind][name]["type"]
    if kind_of_value == "number":
        try:
            return float(text)
        except ValueError:
            raise _invalid(f"{text!r} is not a number (filtering {name})") from None
    if kind_of_value in ("datetime", "date"):
        moment = parse_instant(text)
        if moment is None:
            raise _invalid(f"{text!r} is not epoch milliseconds or ISO 8601 (filtering {name})")
        return moment.timestamp()
    return text.lower()


def _sort_key(state: SandboxState, record: Record, name: str) -> Any:
    return _typed(state, record.object_type, name, record.properties[name])


def _matches(state: SandboxState, record: Record, item: dict[str, Any]) -> bool:
    name, operator = item["propertyName"], item.get("operator", "EQ")
    raw = record.properties.get(name)
    if operator == "HAS_PROPERTY":
        return raw not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return raw in (None, "")
    if operator in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN") and raw in (None, ""):
        return True
    if raw in (None, ""):
        return False
    kind = record.object_type
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(item["value"]).lower()
        text = raw.lower()
        found = fnmatch.fnmatchcase(text, pattern) if "*" in pattern else pattern in _TOKENS.findall(text)
        return found if operator == "CONTAINS_TOKEN" else not found
    have = _typed(state, kind, name, raw)
    if operator in ("IN", "NOT_IN"):
        inside = have in [_typed(state, kind, name, value) for value in item["values"]]
        return inside if operator == "IN" else not inside
    want = _typed(state, kind, name, item["value"])
    if operator == "BETWEEN":
        return bool(want <= have <= _typed(state, kind, name, item["highValue"]))
    comparisons = {
        "EQ": have == want,
        "NEQ": have != want,
        "LT": have < want,
        "LTE": have <= want,
        "GT": have > want,
        "GTE": have >= want,
    }
    return bool(comparisons[operator])
