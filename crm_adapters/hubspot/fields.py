"""Pure mappings between our FieldSpecs and HubSpot property definitions, both ways.

HubSpot properties are (type, fieldType) pairs; we write a number into number/number, an
enumeration into enumeration/select whose option *values* are ours, a multi-select into
enumeration/checkbox (values `;`-joined), a timestamp into datetime/date, a calendar day into
date/date (midnight UTC, written `YYYY-MM-DD`), and text into string/textarea.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crm_adapters.base import FieldCheck, FieldKind, FieldSpec

PROVISION_COMMAND = "healthloop crm provision"

# our kind -> (HubSpot type, fieldType) for properties we create
CREATE_TYPES: dict[FieldKind, tuple[str, str]] = {
    "number": ("number", "number"),
    "enumeration": ("enumeration", "select"),
    "multiselect": ("enumeration", "checkbox"),
    "datetime": ("datetime", "date"),
    "date": ("date", "date"),
    "text": ("string", "textarea"),
}

# our kind -> HubSpot types we can write into
COMPATIBLE_TYPES: dict[FieldKind, frozenset[str]] = {
    "number": frozenset({"number"}),
    "enumeration": frozenset({"enumeration"}),
    "multiselect": frozenset({"enumeration"}),
    "datetime": frozenset({"datetime"}),
    "date": frozenset({"date"}),
    "text": frozenset({"string"}),
}
OPTION_KINDS = ("enumeration", "multiselect")

_LABEL_WORDS = {"csm": "CSM", "api": "API", "nps": "NPS", "qbr": "QBR"}


def option_label(value: str) -> str:
    """A readable label for one of our option values: `at_risk` -> `At Risk`."""
    words = value.replace("-", " ").replace("_", " ").split()
    return " ".join(_LABEL_WORDS.get(word.lower(), word.capitalize()) for word in words) or value


def option_bodies(spec: FieldSpec, values: Iterable[str], *, first_order: int = 0) -> list[dict[str, Any]]:
    """HubSpot option objects for our values (value = ours, label = the spec's words or a readable form)."""
    return [
        {
            "label": spec.label_of(value) or option_label(value),
            "value": value,
            "hidden": False,
            "displayOrder": first_order + index,
        }
        for index, value in enumerate(values)
    ]


def property_create_body(spec: FieldSpec, group: str) -> dict[str, Any]:
    """The `POST /crm/v3/properties/companies` body for one mapped field."""
    kind, field_type = CREATE_TYPES[spec.kind]
    body: dict[str, Any] = {
        "name": spec.name,
        "label": spec.label,
        "type": kind,
        "fieldType": field_type,
        "groupName": group,
    }
    if spec.description:
        body["description"] = spec.description
    if spec.kind in OPTION_KINDS:
        body["options"] = option_bodies(spec, spec.options)
    return body


def unique_key_body(name: str, label: str, group: str, description: str) -> dict[str, Any]:
    """A unique text property, usable as `idProperty` (idempotency keys, the account-id match field)."""
    return {
        "name": name,
        "label": label,
        "type": "string",
        "fieldType": "text",
        "groupName": group,
        "hasUniqueValue": True,
        "description": description,
    }


def live_option_values(live: Mapping[str, Any]) -> list[str]:
    return [str(option.get("value")) for option in live.get("options") or [] if option.get("value") is not None]


def missing_options(spec: FieldSpec, live: Mapping[str, Any]) -> list[str]:
    """Our option values the live enumeration lacks, in our order."""
    present = set(live_option_values(live))
    return [value for value in spec.options if value not in present]


def options_update_body(spec: FieldSpec, live: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body adding our missing options; PATCH replaces the list, so it keeps every existing option."""
    existing = [dict(option) for option in live.get("options") or []]
    orders = [int(option.get("displayOrder") or 0) for option in existing]
    added = option_bodies(spec, missing_options(spec, live), first_order=max(orders, default=-1) + 1)
    return {"options": existing + added}


def is_text_multiselect(spec: FieldSpec, live: Mapping[str, Any]) -> bool:
    """A multi-select value kept in a text property (how healthloop wrote open triggers before): it works,
    but CSMs cannot filter on it. `crm provision` turns it into checkboxes."""
    return spec.kind == "multiselect" and live.get("type") == "string"


def needs_checkboxes(spec: FieldSpec, live: Mapping[str, Any]) -> bool:
    """A multi-select kept in a text property or a single-select enumeration: provisioning migrates it."""
    if spec.kind != "multiselect":
        return False
    single_select = live.get("type") == "enumeration" and live.get("fieldType") != "checkbox"
    return is_text_multiselect(spec, live) or single_select


def checkbox_body(spec: FieldSpec, live: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body turning `live` into a checkbox enumeration with every option of ours (values stored as
    `a;b` stay valid: they are option values joined the way checkboxes are)."""
    existing = [dict(option) for option in live.get("options") or []] if live.get("type") == "enumeration" else []
    present = {str(option.get("value")) for option in existing}
    orders = [int(option.get("displayOrder") or 0) for option in existing]
    added = option_bodies(spec, [v for v in spec.options if v not in present], first_order=max(orders, default=-1) + 1)
    return {"type": "enumeration", "fieldType": "checkbox", "options": existing + added}


def is_read_only(live: Mapping[str, Any]) -> bool:
    metadata = live.get("modificationMetadata") or {}
    return bool(metadata.get("readOnlyValue")) or bool(live.get("calculated"))


def check_property(spec: FieldSpec, live: Mapping[str, Any] | None, *, unique: bool = False) -> FieldCheck:
    """One FieldCheck: does the live property `live` take what we write for `spec`? `unique`: must it be?"""

    def problem(code: str, detail: str, fix: str) -> FieldCheck:
        return FieldCheck(spec.source, spec.name, False, code, detail, fix)

    if live is None:
        return problem(
            "missing",
            f"company property {spec.name} does not exist",
            f"run `{PROVISION_COMMAND}` to create it, or map {spec.source} to an existing property",
        )
    kind, field_type = str(live.get("type")), str(live.get("fieldType"))
    if needs_checkboxes(spec, live):
        return problem(
            "not_multiselect",
            f"{spec.name} is {kind}/{field_type}; {spec.source} is a multi-select (enumeration/checkbox), so CSMs "
            "can filter views and reports on each value",
            f"run `{PROVISION_COMMAND}`: it turns {spec.name} into checkboxes and keeps the values already written",
        )
    if kind not in COMPATIBLE_TYPES[spec.kind]:
        wanted = "/".join(CREATE_TYPES[spec.kind])
        detail = f"{spec.name} is {kind}/{field_type}; {spec.source} needs {wanted}"
        if spec.kind == "datetime" and kind == "date":
            detail += " (a date property only takes midnight UTC; healthloop writes a timestamp)"
        return problem(
            "wrong_type",
            detail,
            f"map {spec.source} to a {wanted} property, or delete {spec.name} in HubSpot and run `{PROVISION_COMMAND}`",
        )
    if spec.kind in OPTION_KINDS and (lacking := missing_options(spec, live)):
        return problem(
            "missing_options",
            f"{spec.name} lacks option values {', '.join(lacking)}",
            f"run `{PROVISION_COMMAND}` (it adds them), or add those option values to {spec.name} in HubSpot",
        )
    if is_read_only(live):
        return problem(
            "read_only",
            f"{spec.name} is read-only in HubSpot (calculated or owned by HubSpot)",
            f"map {spec.source} to a writable property",
        )
    if unique and not live.get("hasUniqueValue"):
        return problem(
            "wrong_type",
            f"{spec.name} does not require unique values, so it cannot find a record by its value",
            f"match on a property with unique values (e.g. let `{PROVISION_COMMAND}` create healthloop_account_id)",
        )
    return FieldCheck(spec.source, spec.name, True)
