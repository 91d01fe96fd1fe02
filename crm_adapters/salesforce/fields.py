"""Pure mappings between our FieldSpecs and Salesforce custom fields: Tooling API CustomField
metadata to create them, describe results to check them, and values to Salesforce JSON.

Our kinds become Number (precision/scale sized for the value), restricted Picklist (values
exactly ours, readable labels), restricted MultiselectPicklist (values `;`-joined), DateTime, Date,
and LongTextArea (32,768 characters). A describe
reports a field's *data* type (double, picklist, datetime, string, textarea, ...), which is what
`check` compares; a field that exists but lacks field-level security for the integration user
is absent from describe, so "missing" always mentions FLS.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from crm_adapters.base import FieldCheck, FieldKind, FieldSpec
from crm_adapters.errors import CrmConfigError

PROVISION_COMMAND = "healthloop crm provision"
LONG_TEXT_LENGTH = 32768
KEY_TEXT_LENGTH = 255
TASK_KEY_FIELD = "Healthloop_Key__c"
"""Task custom field holding the task's (or note's) idempotency key: Text(255), external id, unique."""
DEFAULT_MATCH_FIELD = "Healthloop_Account_Id__c"

# number precision (total digits) and scale (decimals) by source; others get NUMBER_DEFAULT
NUMBER_SIZES: dict[str, tuple[int, int]] = {
    "score": (3, 0),
    "activity": (3, 0),
    "engagement": (3, 0),
    "milestones": (3, 0),
    "recency": (3, 0),
    "trend_delta": (4, 0),
    "active_users": (9, 0),
    "seats": (9, 0),
    "open_tickets": (9, 0),
    "mrr": (16, 2),
    "churn_probability": (4, 1),
}
NUMBER_DEFAULT = (10, 2)

# our kind -> describe data types we can write into
COMPATIBLE_TYPES: dict[FieldKind, frozenset[str]] = {
    "number": frozenset({"double", "int", "long", "currency", "percent"}),
    "enumeration": frozenset({"picklist"}),
    "multiselect": frozenset({"multipicklist"}),
    "datetime": frozenset({"datetime"}),
    "date": frozenset({"date"}),
    "text": frozenset({"string", "textarea"}),
}
CREATE_TYPES: dict[FieldKind, str] = {
    "number": "Number",
    "enumeration": "Picklist",
    "multiselect": "MultiselectPicklist",
    "datetime": "DateTime",
    "date": "Date",
    "text": "LongTextArea",
}
OPTION_KINDS = ("enumeration", "multiselect")
MULTISELECT_LINES = 6
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_LABEL_WORDS = {"csm": "CSM", "api": "API", "nps": "NPS", "qbr": "QBR"}


def soql_name(name: str) -> str:
    """A field or object name safe to splice into SOQL (names are identifiers, not values)."""
    if not _NAME.match(name):
        raise CrmConfigError(f"{name!r} is not a Salesforce field name: use the API name, e.g. Healthloop_Score__c")
    return name


def is_custom(name: str) -> bool:
    return name.endswith("__c")


def require_custom(name: str) -> str:
    soql_name(name)
    if not is_custom(name):
        raise CrmConfigError(
            f"Salesforce custom field names end in __c: map to {name}__c (or an existing field) instead of {name}"
        )
    return name


def option_label(value: str) -> str:
    """A readable label for one of our option values: `at_risk` -> `At Risk`."""
    words = value.replace("-", " ").replace("_", " ").split()
    return " ".join(_LABEL_WORDS.get(word.lower(), word.capitalize()) for word in words) or value


def picklist_values(values: list[str] | tuple[str, ...], spec: FieldSpec | None = None) -> list[dict[str, Any]]:
    """Picklist value metadata: our value as the API name, the spec's words (or a readable form) as the label."""
    return [
        {"fullName": value, "label": (spec.label_of(value) if spec else None) or option_label(value), "default": False}
        for value in values
    ]


def field_metadata(spec: FieldSpec) -> dict[str, Any]:
    """The Tooling API `Metadata` of the custom field for one mapped value."""
    metadata: dict[str, Any] = {"label": spec.label[:40], "type": CREATE_TYPES[spec.kind]}
    if spec.description:
        metadata["description"] = spec.description
    if spec.kind == "number":
        precision, scale = NUMBER_SIZES.get(spec.source, NUMBER_DEFAULT)
        metadata |= {"precision": precision, "scale": scale}
    elif spec.kind in OPTION_KINDS:
        metadata["valueSet"] = {
            "restricted": True,
            "valueSetDefinition": {"sorted": False, "value": picklist_values(spec.options, spec)},
        }
        if spec.kind == "multiselect":
            metadata["visibleLines"] = MULTISELECT_LINES
    elif spec.kind == "text":
        metadata |= {"length": LONG_TEXT_LENGTH, "visibleLines": 5}
    return metadata


def key_field_metadata(label: str, description: str) -> dict[str, Any]:
    """A Text(255) external id with unique values: findable by value, and one record per value."""
    return {
        "label": label,
        "type": "Text",
        "length": KEY_TEXT_LENGTH,
        "externalId": True,
        "unique": True,
        "caseSensitive": True,
        "description": description,
    }


def create_body(object_name: str, field_name: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """`POST tooling/sobjects/CustomField` body; Task (and Event) custom fields are defined on Activity."""
    table = "Activity" if object_name in ("Task", "Event") else object_name
    return {"FullName": f"{table}.{field_name}", "Metadata": dict(metadata)}


def with_added_values(metadata: Mapping[str, Any], values: list[str], spec: FieldSpec | None = None) -> dict[str, Any]:
    """A picklist's Tooling metadata with `values` appended (existing values, labels and order kept)."""
    updated = dict(metadata)
    value_set = dict(updated.get("valueSet") or {})
    definition = dict(value_set.get("valueSetDefinition") or {})
    definition["value"] = list(definition.get("value") or []) + picklist_values(values, spec)
    value_set["valueSetDefinition"] = definition
    updated["valueSet"] = value_set
    return updated


def live_values(live: Mapping[str, Any]) -> list[str]:
    """Active picklist values of a describe field."""
    return [
        str(entry["value"])
        for entry in live.get("picklistValues") or []
        if entry.get("value") is not None and entry.get("active", True)
    ]


def missing_values(spec: FieldSpec, live: Mapping[str, Any]) -> list[str]:
    present = set(live_values(live))
    return [value for value in spec.options if value not in present]


def kind_of(live: Mapping[str, Any]) -> FieldKind | None:
    """Our kind for a describe field's data type (how to encode a value for it)."""
    data_type = str(live.get("type") or "")
    for kind, types in COMPATIBLE_TYPES.items():
        if data_type in types:
            return kind
    return None


def check_field(
    spec: FieldSpec, live: Mapping[str, Any] | None, *, object_name: str = "Account", match: bool = False
) -> FieldCheck:
    """One FieldCheck: does describe field `live` take what we write for `spec`? `match`: filterable text."""
    where = f"{object_name}.{spec.name}"

    def problem(code: str, detail: str, fix: str) -> FieldCheck:
        return FieldCheck(spec.source, spec.name, False, code, detail, fix)

    if live is None:
        return problem(
            "missing",
            f"{where} does not exist, or the integration user cannot see it (no field-level security)",
            f"run `{PROVISION_COMMAND}`, then grant field-level security on {where} to the integration user "
            f"(or map {spec.source} to an existing field)",
        )
    data_type = str(live.get("type") or "")
    wanted = CREATE_TYPES[spec.kind]
    if spec.kind == "multiselect" and data_type in ("textarea", "string") and not match:
        # Salesforce cannot turn a long text area into a multi-select picklist without losing its data, so
        # provisioning leaves it: the ids are still written (`;`-joined), but CSMs cannot filter on them.
        return FieldCheck(
            spec.source,
            spec.name,
            True,
            "not_multiselect",
            f"{where} is a text field ({data_type}): the ids are written, but CSMs cannot filter list views and "
            "reports on each value",
            f"delete {where} in Setup (Object Manager > Account > Fields; erase it from Deleted Fields), then run "
            f"`{PROVISION_COMMAND}` (it creates a multi-select picklist) and `healthloop sync --all` (it fills it); "
            f"or map {spec.source} to a new field name and run `{PROVISION_COMMAND}`",
            warning=True,
        )
    if match:
        if data_type not in ("string", "url", "email", "phone") or not live.get("filterable", True):
            return problem(
                "wrong_type",
                f"{where} is {data_type}; matching needs a filterable text field",
                f"match on a Text field (e.g. let `{PROVISION_COMMAND}` create {DEFAULT_MATCH_FIELD})",
            )
    elif data_type not in COMPATIBLE_TYPES[spec.kind]:
        detail = f"{where} is {data_type}; {spec.source} needs {wanted}"
        if spec.kind == "datetime" and data_type == "date":
            detail += " (a Date field drops the time healthloop writes)"
        return problem(
            "wrong_type",
            detail,
            f"map {spec.source} to a {wanted} field, or delete {where} in Setup and run `{PROVISION_COMMAND}`",
        )
    if spec.kind in OPTION_KINDS and not match and (lacking := missing_values(spec, live)):
        return problem(
            "missing_options",
            f"{where} lacks picklist values {', '.join(lacking)}",
            f"run `{PROVISION_COMMAND}` (it adds them), or add those values to {where} in Setup",
        )
    if not match and not live.get("updateable", False):
        return problem(
            "read_only",
            f"{where} is not updateable by the integration user (read-only field-level security, or a formula)",
            f"grant edit access (field-level security) on {where} to the integration user, "
            f"or map {spec.source} to a writable field",
        )
    return FieldCheck(spec.source, spec.name, True)


def encode_value(kind: FieldKind | None, value: str | None) -> Any:
    """A value as healthloop renders it (a string; None clears) in the JSON type Salesforce wants.

    Raises ValueError for a value the field cannot take (the record fails alone, not the batch).
    """
    if value is None or value == "":
        return None
    if kind == "number":
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return int(number) if number.is_integer() else number
    if kind == "date":
        return date.fromisoformat(value.strip()[:10]).isoformat()
    if kind == "datetime":
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return value
