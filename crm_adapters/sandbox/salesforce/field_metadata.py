"""Tooling API `CustomField` metadata turned into a describe field, validated as the Metadata API does,
and the `Object.Field__c` full names that say where a custom field goes.
"""

from __future__ import annotations

import re
from typing import Any

from crm_adapters.sandbox.salesforce.catalog import CUSTOMIZABLE, field_def
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError

_METADATA_TYPES = {
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "DateTime": "datetime",
    "Date": "date",
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Checkbox": "boolean",
    "Email": "email",
    "Url": "url",
    "Phone": "phone",
}


def _metadata_error(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "FIELD_INTEGRITY_EXCEPTION", message, ["Metadata"])


def field_from_metadata(name: str, metadata: Any) -> dict[str, Any]:
    """The describe entry for a Tooling `CustomField` Metadata block, validated like the Metadata API does."""
    if not isinstance(metadata, dict):
        raise _metadata_error("Metadata must be an object with label and type")
    label, kind_name = metadata.get("label"), metadata.get("type")
    if not isinstance(label, str) or not label.strip():
        raise _metadata_error(f"Must specify a label for {name}")
    kind = _METADATA_TYPES.get(str(kind_name))
    if kind is None:
        raise _metadata_error(f"Unsupported field type {kind_name!r}; the sandbox knows {', '.join(_METADATA_TYPES)}")
    options: dict[str, Any] = {"custom": True, "nillable": not metadata.get("required", False)}
    if metadata.get("externalId") or metadata.get("unique"):
        if kind_name not in ("Text", "Number", "Email"):
            raise _metadata_error(f"External ID and unique apply to Text, Number and Email fields, not {kind_name}")
        options |= {"external_id": bool(metadata.get("externalId")), "unique": bool(metadata.get("unique"))}
    if kind in ("double", "currency", "percent"):
        precision, scale = metadata.get("precision"), metadata.get("scale", 0)
        if not isinstance(precision, int) or not 1 <= precision <= 18:
            raise _metadata_error(f"{kind_name} field {name} needs precision between 1 and 18, got {precision!r}")
        if not isinstance(scale, int) or not 0 <= scale <= precision:
            raise _metadata_error(f"{kind_name} field {name} needs scale between 0 and precision, got {scale!r}")
        options |= {"precision": precision, "scale": scale}
    elif kind_name == "Text":
        length = metadata.get("length")
        if not isinstance(length, int) or not 1 <= length <= 255:
            raise _metadata_error(f"Text field {name} needs length between 1 and 255, got {length!r}")
        options["length"] = length
    elif kind_name == "LongTextArea":
        length = metadata.get("length", 32768)
        if not isinstance(length, int) or not 256 <= length <= 131072:
            raise _metadata_error(f"LongTextArea field {name} needs length between 256 and 131072, got {length!r}")
        if not isinstance(metadata.get("visibleLines"), int):
            raise _metadata_error(f"Must specify 'visibleLines' for LongTextArea field {name}")
        options["length"] = length
    elif kind in ("textarea", "email", "url"):
        options["length"] = 255
    elif kind == "phone":
        options["length"] = 40
    elif kind == "boolean":
        default = metadata.get("defaultValue")
        if default not in ("true", "false", True, False):
            raise _metadata_error(f"Must specify 'defaultValue' (true or false) for Checkbox field {name}")
        options["default_value"] = default in (True, "true")
    elif kind == "picklist":
        options |= _picklist_options(name, metadata)
    elif kind == "multipicklist":
        lines = metadata.get("visibleLines")
        if not isinstance(lines, int) or not 3 <= lines <= 10:
            raise _metadata_error(f"Must specify 'visibleLines' between 3 and 10 for MultiselectPicklist field {name}")
        # A multi-select value holds every chosen API name, `;`-joined: up to 4,099 characters.
        options |= _picklist_options(name, metadata) | {"length": 4099}
    entries = options.pop("entries", [])
    described = field_def(name, kind, label.strip(), **options)
    for value, entry in zip(described["picklistValues"], entries, strict=True):
        value["label"] = str(entry.get("label") or value["value"])
        value["active"] = entry.get("isActive", True) is not False
    return described


def _picklist_options(name: str, metadata: dict[str, Any]) -> dict[str, Any]:
    value_set = metadata.get("valueSet")
    definition = value_set.get("valueSetDefinition") if isinstance(value_set, dict) else None
    entries = definition.get("value") if isinstance(definition, dict) else None
    if not isinstance(value_set, dict) or not isinstance(entries, list) or not entries:
        raise _metadata_error(f"Picklist field {name} needs valueSet.valueSetDefinition.value with at least one value")
    if not all(isinstance(entry, dict) for entry in entries):
        raise _metadata_error(f"Picklist field {name}: every value must be an object with fullName")
    names = [str(entry.get("fullName") or "") for entry in entries]
    if "" in names or len({n.lower() for n in names}) != len(names):
        raise _metadata_error(f"Picklist field {name}: every value needs a unique fullName")
    default = next((n for n, e in zip(names, entries, strict=True) if e.get("default") in (True, "true")), None)
    return {
        "length": 255,
        "values": tuple(names),
        "default_value": default,
        "restricted": bool(value_set.get("restricted")),
        "entries": entries,
    }


def custom_field_name(full_name: Any) -> tuple[str, str, str]:
    """(sObject holding the field, field API name, the object the metadata names) for `Account.X__c`."""
    if not isinstance(full_name, str) or "." not in full_name:
        raise SalesforceApiError(
            400,
            "REQUIRED_FIELD_MISSING",
            "FullName must be Object.Field__c, e.g. Account.Health_Score__c",
            ["FullName"],
        )
    table, name = full_name.split(".", 1)
    sobject = CUSTOMIZABLE.get(table)
    if table == "Task":
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"Custom fields for Task are defined on Activity: use FullName Activity.{name}",
            ["FullName"],
        )
    if sobject is None:
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"Cannot add custom fields to {table} in the sandbox (it takes {', '.join(CUSTOMIZABLE)})",
            ["FullName"],
        )
    if not re.fullmatch(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__c", name):
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"Invalid field name {name!r}: it must start with a letter, hold only letters, digits and single "
            "underscores, not end with an underscore, and end in __c",
            ["FullName"],
        )
    return sobject, name, table
