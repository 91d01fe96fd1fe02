"""The sandbox org's metadata: key prefixes, task statuses and opportunity stages, the standard
sObject describes, and Tooling API CustomField metadata turned into describe fields.

Pure data and functions; `salesforce_state.SalesforceOrg` holds the records.
"""

from __future__ import annotations

import re
from typing import Any

from crm_adapters.sandbox.salesforce_ids import SalesforceApiError

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Task": "00T",
    "User": "005",
    "ActionCadence": "77C",
    "ActionCadenceTracker": "7cT",
    "TaskStatus": "01J",
    "OpportunityStage": "01K",
    "CustomField": "00N",
}
CUSTOMIZABLE = {"Account": "Account", "Contact": "Contact", "Opportunity": "Opportunity", "Activity": "Task"}
SALES_ENGAGEMENT_OBJECTS = {"ActionCadence", "ActionCadenceTracker"}
READ_ONLY_OBJECTS = {"User", "TaskStatus", "OpportunityStage"} | SALES_ENGAGEMENT_OBJECTS
# (ApiName, IsClosed, IsDefault): the stock Task statuses.
TASK_STATUSES = (
    ("Not Started", False, True),
    ("In Progress", False, False),
    ("Completed", True, False),
    ("Waiting on someone else", False, False),
    ("Deferred", False, False),
)
# (ApiName, DefaultProbability, IsClosed, IsWon, ForecastCategoryName): the stock sales process.
OPPORTUNITY_STAGES = (
    ("Prospecting", 10, False, False, "Pipeline"),
    ("Qualification", 10, False, False, "Pipeline"),
    ("Needs Analysis", 20, False, False, "Pipeline"),
    ("Value Proposition", 50, False, False, "Pipeline"),
    ("Id. Decision Makers", 60, False, False, "Pipeline"),
    ("Perception Analysis", 70, False, False, "Pipeline"),
    ("Proposal/Price Quote", 75, False, False, "Pipeline"),
    ("Negotiation/Review", 90, False, False, "Pipeline"),
    ("Closed Won", 100, True, True, "Closed"),
    ("Closed Lost", 0, True, False, "Omitted"),
)
_SOAP_TYPES = {"double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double", "int": "xsd:int"}
_SOAP_TYPES |= {"boolean": "xsd:boolean", "date": "xsd:date", "datetime": "xsd:dateTime", "id": "tns:ID"}
_SOAP_TYPES |= {"reference": "tns:ID"}


def field_def(
    name: str,
    kind: str,
    label: str | None = None,
    *,
    length: int = 0,
    precision: int = 0,
    scale: int = 0,
    custom: bool = False,
    updateable: bool = True,
    createable: bool | None = None,
    nillable: bool = True,
    defaulted: bool = False,
    external_id: bool = False,
    unique: bool = False,
    values: tuple[str, ...] = (),
    default_value: Any = None,
    restricted: bool = False,
    reference_to: tuple[str, ...] = (),
    relationship: str | None = None,
) -> dict[str, Any]:
    """One describe `fields[]` entry, with the keys a describe call returns."""
    if label is None:
        label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("__c").replace("_", " "))
        label = label[:-3] + " ID" if label.endswith(" Id") else label
    createable = updateable if createable is None else createable
    return {
        "name": name,
        "label": label,
        "type": kind,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"),
        "length": length,
        "precision": precision,
        "scale": scale,
        "digits": 9 if kind == "int" else 0,
        "custom": custom,
        "updateable": updateable,
        "createable": createable,
        "nillable": nillable and kind != "boolean",
        "defaultedOnCreate": defaulted or kind == "boolean" or name == "OwnerId",
        "defaultValue": default_value if kind == "boolean" else None,
        "externalId": external_id,
        "unique": unique,
        "idLookup": kind == "id" or external_id,
        "calculated": False,
        "filterable": not (kind == "textarea" and length > 255),
        "sortable": not (kind == "textarea" and length > 255),
        "picklistValues": [
            {"value": value, "label": value, "active": True, "defaultValue": value == default_value, "validFor": None}
            for value in values
        ],
        "restrictedPicklist": restricted,
        "referenceTo": list(reference_to),
        "relationshipName": relationship,
    }


def _reference(name: str, *targets: str, **options: Any) -> dict[str, Any]:
    relationship = options.pop("relationship", None) or name.removesuffix("Id")
    return field_def(name, "reference", length=18, reference_to=targets, relationship=relationship, **options)


def _system_fields() -> list[dict[str, Any]]:
    read_only = {"updateable": False, "nillable": False}
    return [
        field_def("Id", "id", "Record ID", length=18, **read_only),
        field_def("IsDeleted", "boolean", "Deleted", **read_only),
        field_def("CreatedDate", "datetime", **read_only),
        _reference("CreatedById", "User", **read_only),
        field_def("LastModifiedDate", "datetime", **read_only),
        _reference("LastModifiedById", "User", **read_only),
        field_def("SystemModstamp", "datetime", "System Modstamp", **read_only),
    ]


def _owner() -> dict[str, Any]:
    return _reference("OwnerId", "User", nillable=False, relationship="Owner")


def _object(name: str, fields: list[dict[str, Any]], *, system: bool = True, plural: str = "") -> dict[str, Any]:
    writable = name not in READ_ONLY_OBJECTS
    return {
        "name": name,
        "label": re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name),
        "labelPlural": plural or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name) + "s",
        "keyPrefix": KEY_PREFIXES[name],
        "custom": False,
        "createable": writable,
        "updateable": writable,
        "deletable": writable,
        "queryable": True,
        "retrieveable": True,
        "fields": {d["name"]: d for d in [*(_system_fields() if system else _system_fields()[:1]), *fields]},
    }


def standard_describes() -> dict[str, dict[str, Any]]:
    """The stock objects healthloop touches, with realistic standard fields."""
    read_only = {"updateable": False}
    account_types = ("Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Other")
    industries = ("Agriculture", "Banking", "Education", "Finance", "Healthcare", "Manufacturing", "Media")
    industries += ("Retail", "Technology", "Telecommunications", "Other")
    opportunity_types = ("Existing Customer - Upgrade", "Existing Customer - Replacement")
    opportunity_types += ("Existing Customer - Downgrade", "New Customer")
    stages = tuple(stage[0] for stage in OPPORTUNITY_STAGES)
    statuses = tuple(status[0] for status in TASK_STATUSES)
    cadence_states = ("Complete", "Error", "Initializing", "Paused", "Running")
    reasons = ("AutomaticallyExited", "DaisyChained", "LeadConverted", "ManuallyRemoved", "NoMoreSteps")
    dispositions = ("Bad Data", "Contact Later", "Customer Connected", "Customer Engaged", "Disqualified")
    dispositions += ("Duplicate", "No Response", "Not Interested", "Success")
    return {
        "Account": _object(
            "Account",
            [
                field_def("Name", "string", "Account Name", length=255, nillable=False),
                field_def("AccountNumber", "string", length=40),
                field_def("Type", "picklist", "Account Type", length=255, values=account_types),
                field_def("Industry", "picklist", length=255, values=industries),
                field_def("Website", "url", length=255),
                field_def("Phone", "phone", length=40),
                field_def("BillingCity", "string", length=40),
                field_def("BillingCountry", "string", length=80),
                field_def("AnnualRevenue", "currency", precision=18, scale=0),
                field_def("NumberOfEmployees", "int", "Employees", precision=8),
                field_def("Description", "textarea", "Account Description", length=32000),
                _owner(),
            ],
        ),
        "Contact": _object(
            "Contact",
            [
                _reference("AccountId", "Account"),
                field_def("FirstName", "string", length=40),
                field_def("LastName", "string", length=80, nillable=False),
                field_def("Name", "string", "Full Name", length=121, **read_only),
                field_def("Email", "email", length=80),
                field_def("Phone", "phone", length=40),
                field_def("Title", "string", length=128),
                _owner(),
            ],
        ),
        "Opportunity": _object(
            "Opportunity",
            [
                _reference("AccountId", "Account"),
                field_def("Name", "string", length=120, nillable=False),
                field_def("Description", "textarea", length=32000),
                field_def("StageName", "picklist", "Stage", length=255, nillable=False, values=stages, restricted=True),
                field_def("Amount", "currency", precision=18, scale=2),
                field_def("Probability", "percent", "Probability (%)", precision=3, scale=0),
                field_def("CloseDate", "date", nillable=False),
                field_def("Type", "picklist", "Opportunity Type", length=255, values=opportunity_types),
                field_def("NextStep", "string", length=255),
                field_def("IsClosed", "boolean", "Closed", **read_only),
                field_def("IsWon", "boolean", "Won", **read_only),
                field_def("ForecastCategoryName", "picklist", "Forecast Category", length=40, **read_only),
                _owner(),
            ],
            plural="Opportunities",
        ),
        "Task": _object(
            "Task",
            [
                _reference("WhoId", "Contact", label="Name ID", relationship="Who"),
                _reference("WhatId", "Account", "Opportunity", label="Related To ID", relationship="What"),
                field_def("Subject", "combobox", length=255),
                field_def("ActivityDate", "date", "Due Date Only"),
                field_def(
                    "Status",
                    "picklist",
                    length=255,
                    nillable=False,
                    values=statuses,
                    default_value="Not Started",
                    restricted=True,
                    defaulted=True,
                ),
                field_def(
                    "Priority",
                    "picklist",
                    length=40,
                    nillable=False,
                    values=("High", "Normal", "Low"),
                    default_value="Normal",
                    restricted=True,
                    defaulted=True,
                ),
                field_def("IsHighPriority", "boolean", "High Priority", **read_only),
                _owner(),
                field_def("Description", "textarea", length=32000),
                field_def("Type", "picklist", length=40, values=("Call", "Email", "Meeting", "Other")),
                field_def("IsClosed", "boolean", "Closed", **read_only),
                _reference("AccountId", "Account", updateable=False),
                field_def("CompletedDateTime", "datetime", "Completed Date/Time", **read_only),
                field_def(
                    "TaskSubtype",
                    "picklist",
                    "Task Subtype",
                    length=40,
                    updateable=False,
                    createable=True,
                    values=("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"),
                    default_value="Task",
                    defaulted=True,
                ),
            ],
        ),
        "User": _object(
            "User",
            [
                field_def("Username", "string", length=80, nillable=False),
                field_def("FirstName", "string", length=40),
                field_def("LastName", "string", length=80, nillable=False),
                field_def("Name", "string", "Full Name", length=121, **read_only),
                field_def("Email", "email", length=128, nillable=False),
                field_def("Alias", "string", length=8, nillable=False),
                field_def("Title", "string", length=80),
                field_def("IsActive", "boolean", "Active"),
            ],
        ),
        "ActionCadence": _object(
            "ActionCadence",
            [
                field_def("Name", "string", length=80, nillable=False),
                field_def("State", "picklist", length=40, values=("Active", "Inactive", "Draft")),
                _owner(),
            ],
        ),
        "ActionCadenceTracker": _object(
            "ActionCadenceTracker",
            [
                _reference("ActionCadenceId", "ActionCadence"),
                _reference("TargetId", "Contact", relationship="Target"),
                field_def("State", "picklist", length=40, nillable=False, values=cadence_states, restricted=True),
                field_def("CompletionReason", "picklist", length=40, values=reasons, restricted=True),
                field_def("CompletionDisposition", "picklist", length=40, values=dispositions),
                field_def("IsTrackerActive", "boolean", "Tracker Active"),
                _owner(),
            ],
        ),
        "TaskStatus": _object(
            "TaskStatus",
            [
                field_def("ApiName", "string", "Api Name", length=255),
                field_def("MasterLabel", "string", "Master Label", length=255),
                field_def("SortOrder", "int", "Sort Order", precision=3),
                field_def("IsDefault", "boolean", "Is Default"),
                field_def("IsClosed", "boolean", "Is Closed"),
            ],
            system=False,
            plural="Task Statuses",
        ),
        "OpportunityStage": _object(
            "OpportunityStage",
            [
                field_def("ApiName", "string", "Api Name", length=255),
                field_def("MasterLabel", "string", "Master Label", length=255),
                field_def("IsActive", "boolean", "Is Active"),
                field_def("SortOrder", "int", "Sort Order", precision=3),
                field_def("IsClosed", "boolean", "Is Closed"),
                field_def("IsWon", "boolean", "Is Won"),
                field_def("ForecastCategoryName", "string", "Forecast Category", length=40),
                field_def("DefaultProbability", "percent", "Probability (%)", precision=3, scale=0),
            ],
            system=False,
        ),
    }


def tooling_describes() -> dict[str, dict[str, Any]]:
    """The Tooling API objects the sandbox serves: CustomField only."""
    fields = [
        field_def("Id", "id", length=18, updateable=False, nillable=False),
        field_def("DeveloperName", "string", length=40),
        field_def("TableEnumOrId", "string", length=40),
        field_def("NamespacePrefix", "string", length=15),
        field_def("FullName", "string", length=255),
    ]
    return {
        "CustomField": {
            "name": "CustomField",
            "label": "Custom Field",
            "keyPrefix": "00N",
            "custom": False,
            "fields": {d["name"]: d for d in fields},
        }
    }


_METADATA_TYPES = {
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Picklist": "picklist",
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
