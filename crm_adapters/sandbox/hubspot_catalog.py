"""What a fresh HubSpot portal ships with: standard properties, groups, the deal pipelines, association types.

Also the rules HubSpot applies to property definitions (type / fieldType pairs, options, names), so a
bad definition from healthloop's provisioning fails here exactly as it would against the real API.
"""

from __future__ import annotations

import re
from typing import Any

from crm_adapters.sandbox.errors import SandboxError

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

REQUIRED_ON_CREATE = {"tasks": ("hs_timestamp",), "notes": ("hs_timestamp",)}

# Returned when a caller asks for no properties in particular (as HubSpot does per object type).
DEFAULT_PROPERTIES = {
    "companies": ("name", "domain"),
    "contacts": ("email", "firstname", "lastname"),
    "deals": ("dealname", "amount", "closedate", "pipeline", "dealstage"),
    "tasks": ("hs_task_subject", "hs_task_status", "hs_timestamp"),
    "notes": ("hs_note_body", "hs_timestamp"),
}
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")

_GROUPS = {
    "companies": ("companyinformation", "Company information"),
    "contacts": ("contactinformation", "Contact information"),
    "deals": ("dealinformation", "Deal information"),
    "tasks": ("taskinformation", "Task information"),
    "notes": ("noteinformation", "Note information"),
}

# (name, label, type, fieldType, read-only value, options)
_Spec = tuple[str, str, str, str, bool, tuple[str, ...]]
_LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "other")
_COMMON: tuple[_Spec, ...] = (
    ("hs_object_id", "Record ID", "number", "number", True, ()),
    ("createdate", "Create date", "datetime", "date", True, ()),
    ("hs_lastmodifieddate", "Last modified date", "datetime", "date", True, ()),
    ("hubspot_owner_id", "Owner", "enumeration", "select", False, ()),
)
_SPECS: dict[str, tuple[_Spec, ...]] = {
    "companies": (
        ("name", "Company name", "string", "text", False, ()),
        ("domain", "Company domain name", "string", "text", False, ()),
        ("industry", "Industry", "string", "text", False, ()),
        ("phone", "Phone number", "phone_number", "phonenumber", False, ()),
        ("city", "City", "string", "text", False, ()),
        ("country", "Country/Region", "string", "text", False, ()),
        ("numberofemployees", "Number of employees", "number", "number", False, ()),
        ("annualrevenue", "Annual revenue", "number", "number", False, ()),
        ("lifecyclestage", "Lifecycle stage", "enumeration", "radio", False, _LIFECYCLE),
        ("description", "Description", "string", "textarea", False, ()),
    ),
    "contacts": (
        ("email", "Email", "string", "text", False, ()),
        ("firstname", "First name", "string", "text", False, ()),
        ("lastname", "Last name", "string", "text", False, ()),
        ("phone", "Phone number", "phone_number", "phonenumber", False, ()),
        ("jobtitle", "Job title", "string", "text", False, ()),
        ("company", "Company name", "string", "text", False, ()),
        ("lifecyclestage", "Lifecycle stage", "enumeration", "radio", False, _LIFECYCLE),
        ("lastmodifieddate", "Last modified date", "datetime", "date", True, ()),
    ),
    "deals": (
        ("dealname", "Deal name", "string", "text", False, ()),
        ("amount", "Amount", "number", "number", False, ()),
        ("closedate", "Close date", "datetime", "date", False, ()),
        ("pipeline", "Pipeline", "enumeration", "select", False, ()),
        ("dealstage", "Deal stage", "enumeration", "radio", False, ()),
        ("dealtype", "Deal type", "enumeration", "radio", False, ("newbusiness", "existingbusiness")),
        ("description", "Deal description", "string", "textarea", False, ()),
        ("hs_is_closed", "Is deal closed?", "bool", "booleancheckbox", True, ("true", "false")),
        ("hs_is_closed_won", "Is closed won", "bool", "booleancheckbox", True, ("true", "false")),
    ),
    "tasks": (
        ("hs_timestamp", "Due date", "datetime", "date", False, ()),
        ("hs_task_subject", "Task title", "string", "text", False, ()),
        ("hs_task_body", "Notes", "string", "textarea", False, ()),
        (
            "hs_task_status",
            "Task status",
            "enumeration",
            "select",
            False,
            ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
        ),
        ("hs_task_priority", "Priority", "enumeration", "select", False, ("LOW", "MEDIUM", "HIGH", "NONE")),
        ("hs_task_type", "Task type", "enumeration", "select", False, ("TODO", "CALL", "EMAIL")),
        ("hs_task_completion_date", "Completed at", "datetime", "date", True, ()),
    ),
    "notes": (
        ("hs_note_body", "Note body", "string", "html", False, ()),
        ("hs_timestamp", "Activity date", "datetime", "date", False, ()),
    ),
}

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


def _metadata(read_only_value: bool, hubspot_defined: bool) -> dict[str, bool]:
    return {"readOnlyValue": read_only_value, "readOnlyDefinition": hubspot_defined, "archivable": not hubspot_defined}


def _option(value: str, label: str, order: int) -> dict[str, Any]:
    return {"label": label, "value": value, "displayOrder": order, "hidden": False, "description": ""}


def standard_properties(object_type: str, stamp: str) -> dict[str, dict[str, Any]]:
    group = _GROUPS[object_type][0]
    definitions = {}
    for order, (name, label, kind, field_type, read_only, options) in enumerate(_SPECS[object_type] + _COMMON):
        definitions[name] = {
            "name": name,
            "label": label,
            "type": kind,
            "fieldType": field_type,
            "description": "",
            "groupName": group,
            "options": [_option(value, value.replace("_", " ").title(), i) for i, value in enumerate(options)],
            "displayOrder": order,
            "calculated": read_only,
            "externalOptions": name in ("hubspot_owner_id", "pipeline", "dealstage"),
            "hasUniqueValue": False,
            "hidden": False,
            "hubspotDefined": True,
            "formField": not read_only,
            "modificationMetadata": _metadata(read_only, True),
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
        }
    return definitions


def standard_groups(object_type: str) -> dict[str, dict[str, Any]]:
    name, label = _GROUPS[object_type]
    return {name: {"name": name, "label": label, "displayOrder": -1, "archived": False}}


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
        options = [_option("true", "Yes", 0), _option("false", "No", 1)]
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
        "modificationMetadata": _metadata(False, False),
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


def _stage(stage_id: str, label: str, order: int, probability: str, closed: bool, stamp: str) -> dict[str, Any]:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": {"isClosed": str(closed).lower(), "probability": probability},
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
    }


def _pipeline(pipeline_id: str, label: str, order: int, stages: list[tuple[str, str, str, bool]], stamp: str) -> dict:
    return {
        "id": pipeline_id,
        "label": label,
        "displayOrder": order,
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
        "stages": [_stage(sid, name, i, chance, closed, stamp) for i, (sid, name, chance, closed) in enumerate(stages)],
    }


def deal_pipelines(stamp: str) -> list[dict[str, Any]]:
    """The stock pipeline (`default`, stages `closedwon`/`closedlost`) and a custom one with numeric stage ids."""
    sales = [
        ("appointmentscheduled", "Appointment scheduled", "0.2", False),
        ("qualifiedtobuy", "Qualified to buy", "0.4", False),
        ("presentationscheduled", "Presentation scheduled", "0.6", False),
        ("decisionmakerboughtin", "Decision maker bought-in", "0.8", False),
        ("contractsent", "Contract sent", "0.9", False),
        ("closedwon", "Closed won", "1.0", True),
        ("closedlost", "Closed lost", "0.0", True),
    ]
    renewals = [
        ("1001001", "Renewal due", "0.5", False),
        ("1001002", "Renewed", "1.0", True),
        ("1001003", "Churned", "0.0", True),
    ]
    return [_pipeline("default", "Sales Pipeline", 0, sales, stamp), _pipeline("1001", "Renewals", 1, renewals, stamp)]


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
