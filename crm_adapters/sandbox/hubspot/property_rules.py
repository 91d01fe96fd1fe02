"""The rules HubSpot applies to property and group definitions (type / fieldType pairs, options, names).

A bad definition from healthloop's provisioning fails here exactly as it would against the real API.
"""

from __future__ import annotations

import re
from typing import Any

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.hubspot import catalog

PROPERTY_TYPES = ("bool", "date", "datetime", "enumeration", "number", "phone_number", "string")
FIELD_TYPES = (
    "booleancheckbox",
    "calculation_equation",
    "checkbox",
    "date",
    "file",
    "html",
    "number",
    "phonenumber",
    "radio",
    "select",
    "text",
    "textarea",
)
_FIELD_TYPES_FOR = {
    "bool": ("booleancheckbox", "radio", "select", "calculation_equation"),
    "enumeration": ("booleancheckbox", "checkbox", "radio", "select", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "number": ("number", "calculation_equation"),
    "string": ("text", "textarea", "html", "file", "phonenumber"),
    "phone_number": ("phonenumber", "text"),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def _required(body: dict[str, Any], names: tuple[str, ...], what: str) -> None:
    missing = [name for name in names if body.get(name) in (None, "")]
    if missing:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"{what} is missing required field(s): {', '.join(missing)}",
            errors=[{"message": f"{name} is required", "in": name, "code": "REQUIRED_FIELD"} for name in missing],
        )


def _check_options(options: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(options, list):
        raise SandboxError(400, "VALIDATION_ERROR", "options must be a list of {label, value, hidden, displayOrder}")
    checked, seen = [], set()
    for index, option in enumerate(options):
        if not isinstance(option, dict) or not option.get("label") or option.get("value") in (None, ""):
            raise SandboxError(400, "VALIDATION_ERROR", f"options[{index}] needs a label and a value")
        value = str(option["value"])
        if value in seen:
            raise SandboxError(400, "VALIDATION_ERROR", f"options[{index}]: duplicate option value {value!r}")
        seen.add(value)
        checked.append(
            {
                "label": str(option["label"]),
                "value": value,
                "displayOrder": int(option.get("displayOrder", index)),
                "hidden": bool(option.get("hidden", False)),
                "description": str(option.get("description") or ""),
            }
        )
    if kind == "enumeration" and not checked:
        raise SandboxError(400, "VALIDATION_ERROR", "enumeration properties need at least one option in options")
    return checked


def _check_kind(kind: Any, field_type: Any) -> None:
    if kind not in PROPERTY_TYPES:
        raise SandboxError(400, "VALIDATION_ERROR", f"type {kind!r} is not one of {', '.join(PROPERTY_TYPES)}")
    if field_type not in FIELD_TYPES:
        raise SandboxError(400, "VALIDATION_ERROR", f"fieldType {field_type!r} is not one of {', '.join(FIELD_TYPES)}")
    if field_type not in _FIELD_TYPES_FOR[kind]:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"fieldType {field_type} does not fit type {kind}; use one of {', '.join(_FIELD_TYPES_FOR[kind])}",
        )


def _check_group(group: Any, groups: dict[str, Any]) -> None:
    if group not in groups:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"Property group {group!r} does not exist; create it first (POST /crm/v3/properties/<type>/groups).",
            context={"groupName": [str(group)]},
        )


def validate_property_create(body: Any, groups: dict[str, Any], stamp: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "the request body must be a property definition object")
    _required(body, ("name", "label", "type", "fieldType", "groupName"), "Property definition")
    name = str(body["name"])
    if not _NAME.match(name) or name.startswith("hs_"):
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"Property name {name!r} is invalid: start with a letter, use lowercase letters, digits and "
            "underscores, and do not start with the reserved prefix hs_",
        )
    _check_kind(body["type"], body["fieldType"])
    _check_group(body["groupName"], groups)
    options = body.get("options") or []
    if body["type"] == "bool" and not options:
        options = [catalog.option("true", "Yes", 0), catalog.option("false", "No", 1)]
    return {
        "name": name,
        "label": str(body["label"]),
        "type": body["type"],
        "fieldType": body["fieldType"],
        "description": str(body.get("description") or ""),
        "groupName": body["groupName"],
        "options": _check_options(options, body["type"]),
        "displayOrder": int(body.get("displayOrder", -1)),
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
        "hidden": bool(body.get("hidden", False)),
        "hubspotDefined": False,
        "formField": bool(body.get("formField", False)),
        "modificationMetadata": catalog.modification_metadata(False, False),
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }


def apply_property_update(definition: dict[str, Any], body: Any, groups: dict[str, Any], stamp: str) -> None:
    """PATCH semantics: the given fields replace the stored ones (options as a whole list)."""
    if not isinstance(body, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "the request body must be an object of fields to change")
    if definition["hubspotDefined"]:
        raise SandboxError(
            400, "VALIDATION_ERROR", f"Property {definition['name']} is HubSpot-defined; its definition is read-only"
        )
    if "hasUniqueValue" in body and bool(body["hasUniqueValue"]) != definition["hasUniqueValue"]:
        raise SandboxError(400, "VALIDATION_ERROR", "hasUniqueValue cannot be changed after a property is created")
    kind = body.get("type", definition["type"])
    field_type = body.get("fieldType", definition["fieldType"])
    _check_kind(kind, field_type)
    if "groupName" in body:
        _check_group(body["groupName"], groups)
    options = _check_options(body["options"], kind) if "options" in body else definition["options"]
    if kind == "enumeration" and not options:
        raise SandboxError(400, "VALIDATION_ERROR", "enumeration properties need at least one option in options")
    for key in ("label", "description", "groupName", "displayOrder", "hidden", "formField"):
        if key in body:
            definition[key] = body[key]
    definition.update(type=kind, fieldType=field_type, options=options, updatedAt=stamp)


def validate_group_create(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "the request body must be a property group object")
    _required(body, ("name", "label"), "Property group")
    if not _NAME.match(str(body["name"])):
        message = f"Group name {body['name']!r} is invalid: use lowercase letters, digits and underscores"
        raise SandboxError(400, "VALIDATION_ERROR", message)
    return {
        "name": str(body["name"]),
        "label": str(body["label"]),
        "displayOrder": int(body.get("displayOrder", -1)),
        "archived": False,
    }
