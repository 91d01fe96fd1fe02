"""The org's fixed vocabulary (key prefixes, which objects take custom fields, task statuses, opportunity
stages) and the builders of describe entries (`field_def`, `object_describe`) that `describes` uses.

Pure data and functions.
"""

from __future__ import annotations

import re
from typing import Any

# Real key prefixes for the standard objects and CustomField (00N) and ActionCadence (77C, as in Salesforce's
# action docs); TaskStatus, OpportunityStage and ActionCadenceTracker prefixes are the sandbox's own choice.
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


def reference_field(name: str, *targets: str, **options: Any) -> dict[str, Any]:
    """A lookup field (`AccountId`) with its relationship name (`Account`)."""
    relationship = options.pop("relationship", None) or name.removesuffix("Id")
    return field_def(name, "reference", length=18, reference_to=targets, relationship=relationship, **options)


def _system_fields() -> list[dict[str, Any]]:
    read_only = {"updateable": False, "nillable": False}
    return [
        field_def("Id", "id", "Record ID", length=18, **read_only),
        field_def("IsDeleted", "boolean", "Deleted", **read_only),
        field_def("CreatedDate", "datetime", **read_only),
        reference_field("CreatedById", "User", **read_only),
        field_def("LastModifiedDate", "datetime", **read_only),
        reference_field("LastModifiedById", "User", **read_only),
        field_def("SystemModstamp", "datetime", "System Modstamp", **read_only),
    ]


def owner_field() -> dict[str, Any]:
    return reference_field("OwnerId", "User", nillable=False, relationship="Owner")


def object_describe(
    name: str, fields: list[dict[str, Any]], *, system: bool = True, plural: str = ""
) -> dict[str, Any]:
    """An sObject describe: its flags, and its fields (after the system fields, or only `Id` without them)."""
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
