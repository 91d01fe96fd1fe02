"""Association types between object types: HubSpot's default type ids (both directions), the labelled
"Primary" ones, and the `{associationCategory, associationTypeId}` specs that name them.
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.errors import SandboxError

# HUBSPOT_DEFINED default association type ids, both directions, and the "Primary" labelled ones.
_DEFAULT_TYPES = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("tasks", "contacts"): 204,
    ("contacts", "tasks"): 203,
    ("tasks", "companies"): 192,
    ("companies", "tasks"): 191,
    ("tasks", "deals"): 216,
    ("deals", "tasks"): 215,
    ("notes", "contacts"): 202,
    ("contacts", "notes"): 201,
    ("notes", "companies"): 190,
    ("companies", "notes"): 189,
    ("notes", "deals"): 214,
    ("deals", "notes"): 213,
}
_PRIMARY_TYPES = {("contacts", "companies"): 1, ("companies", "contacts"): 2, ("deals", "companies"): 5}
_PRIMARY_TYPES |= {("companies", "deals"): 6}


def default_type_id(from_type: str, to_type: str) -> int | None:
    return _DEFAULT_TYPES.get((from_type, to_type))


def labels(from_type: str, to_type: str) -> list[dict[str, Any]]:
    pair = (from_type, to_type)
    found = []
    if pair in _PRIMARY_TYPES:
        found.append({"category": "HUBSPOT_DEFINED", "typeId": _PRIMARY_TYPES[pair], "label": "Primary"})
    if pair in _DEFAULT_TYPES:
        found.append({"category": "HUBSPOT_DEFINED", "typeId": _DEFAULT_TYPES[pair], "label": None})
    return found


def label_of(from_type: str, to_type: str, type_id: int) -> str | None:
    return "Primary" if _PRIMARY_TYPES.get((from_type, to_type)) == type_id else None


def association_target(from_type: str, category: str, type_id: int) -> str | None:
    """Which object type a HUBSPOT_DEFINED type id from `from_type` points at (None if not valid from there)."""
    if category != "HUBSPOT_DEFINED":
        return None
    for table in (_DEFAULT_TYPES, _PRIMARY_TYPES):
        for (source, target), known in table.items():
            if source == from_type and known == type_id:
                return target
    return None


def inverse_type_id(from_type: str, to_type: str, type_id: int) -> int:
    if _PRIMARY_TYPES.get((from_type, to_type)) == type_id:
        return _PRIMARY_TYPES[(to_type, from_type)]
    return _DEFAULT_TYPES[(to_type, from_type)]


def association_kind(spec: Any) -> tuple[str, int]:
    """(category, type id) of one `{associationCategory, associationTypeId}` spec."""
    try:
        return str(spec["associationCategory"]), int(spec["associationTypeId"])
    except (KeyError, TypeError, ValueError):
        raise SandboxError(
            400, "VALIDATION_ERROR", "association types need associationCategory and an integer associationTypeId"
        ) from None


def inline_link(object_type: str, item: Any) -> tuple[str, str, list[tuple[str, int]]]:
    """(to type, to id, kinds) of one create-time `{to: {id}, types: [...]}`; the type id implies the type."""
    to_id = str(((item or {}).get("to") or {}).get("id", ""))
    kinds = [association_kind(spec) for spec in (item or {}).get("types") or []]
    if not kinds:
        raise SandboxError(400, "VALIDATION_ERROR", "each association needs at least one entry in types")
    to_type = None
    for category, type_id in kinds:
        to_type = association_target(object_type, category, type_id)
        if to_type is None:
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                f"{category} association type {type_id} is not valid from {object_type}",
            )
    assert to_type is not None
    return to_type, to_id, kinds
