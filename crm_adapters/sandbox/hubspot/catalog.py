"""What a fresh HubSpot portal ships with: standard properties and groups per object type, and which
properties a read returns when the caller names none.

Pure data and functions; `state.SandboxState` holds the definitions, `property_rules` checks new ones.
"""

from __future__ import annotations

from typing import Any

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
        ("hs_task_body", "Notes", "string", "html", False, ()),
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


def modification_metadata(read_only_value: bool, hubspot_defined: bool) -> dict[str, bool]:
    """A definition's `modificationMetadata`: HubSpot-defined properties cannot be redefined or archived."""
    return {"readOnlyValue": read_only_value, "readOnlyDefinition": hubspot_defined, "archivable": not hubspot_defined}


def option(value: str, label: str, order: int) -> dict[str, Any]:
    """One entry of a definition's `options`."""
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
            "options": [option(value, value.replace("_", " ").title(), i) for i, value in enumerate(options)],
            "displayOrder": order,
            "calculated": read_only,
            "externalOptions": name in ("hubspot_owner_id", "pipeline", "dealstage"),
            "hasUniqueValue": False,
            "hidden": False,
            "hubspotDefined": True,
            "formField": not read_only,
            "modificationMetadata": modification_metadata(read_only, True),
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
        }
    return definitions


def standard_groups(object_type: str) -> dict[str, dict[str, Any]]:
    name, label = _GROUPS[object_type]
    return {name: {"name": name, "label": label, "displayOrder": -1, "archived": False}}
