"""What Salesforce does to a record on save besides storing the written values: defaults on create, the
fields it derives (a Task's IsClosed, CompletedDateTime and AccountId; an Opportunity's IsClosed, IsWon,
forecast category and probability from its stage; a Contact's or User's Name), and the required-field
and unique-field checks that can refuse the save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm_adapters.sandbox.salesforce.catalog import TASK_STATUSES
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import now_text
from crm_adapters.sandbox.salesforce.record import SfRecord
from crm_adapters.sandbox.salesforce.values import same

StageLookup = Callable[[Any], dict[str, Any] | None]
"""OpportunityStage values by ApiName (None when the org has no such stage)."""
FindRecord = Callable[[str], SfRecord | None]


def defaults(
    sobject: str, fields: dict[str, Any], changes: dict[str, Any], owner_id: str | None, stage: StageLookup
) -> dict[str, Any]:
    """The values a new record gets unless the create sets them: owner, picklist and checkbox defaults."""
    found: dict[str, Any] = {}
    if "OwnerId" in fields:
        found["OwnerId"] = owner_id
    for name, definition in fields.items():
        chosen = [v["value"] for v in definition["picklistValues"] if v["defaultValue"]]
        if chosen:
            found[name] = chosen[0]
        if definition["custom"] and definition["type"] == "boolean":
            found[name] = definition["defaultValue"] is True
    if sobject == "User":
        found |= {"IsActive": True, "Username": changes.get("Email"), "Alias": "user"}
    if sobject == "Opportunity" and "Probability" not in changes:
        values = stage(changes.get("StageName"))
        found["Probability"] = values["DefaultProbability"] if values else None
    return found


def derive(
    sobject: str,
    merged: dict[str, Any],
    previous: dict[str, Any],
    changes: dict[str, Any],
    *,
    created: bool,
    stage: StageLookup,
    find: FindRecord,
) -> None:
    """Set, in `merged` (the record after the write), the read-only fields Salesforce derives."""
    if sobject == "Task":
        status = next((s for s in TASK_STATUSES if s[0] == merged.get("Status")), None)
        merged["IsClosed"] = bool(status and status[1])
        if merged["IsClosed"] and not previous.get("IsClosed"):
            merged["CompletedDateTime"] = now_text()
        elif not merged["IsClosed"]:
            merged["CompletedDateTime"] = None
        merged["IsHighPriority"] = merged.get("Priority") == "High"
        merged["AccountId"] = task_account(merged, find)
    elif sobject == "Opportunity":
        values = stage(merged.get("StageName"))
        if values is not None:
            merged["IsClosed"], merged["IsWon"] = values["IsClosed"], values["IsWon"]
            merged["ForecastCategoryName"] = values["ForecastCategoryName"]
            if not created and "StageName" in changes and "Probability" not in changes:
                merged["Probability"] = values["DefaultProbability"]
    elif sobject in ("Contact", "User"):
        merged["Name"] = " ".join(part for part in (merged.get("FirstName"), merged.get("LastName")) if part)


def task_account(values: dict[str, Any], find: FindRecord) -> str | None:
    """The account a Task is about: its WhatId when that is an Account, else the account of its What or Who."""
    for key in ("WhatId", "WhoId"):
        linked = find(values[key]) if values.get(key) else None
        if linked is None:
            continue
        if linked.sobject == "Account":
            return linked.id
        if linked.values.get("AccountId"):
            return str(linked.values["AccountId"])
    return None


def check_required(fields: dict[str, Any], merged: dict[str, Any]) -> None:
    missing = [
        name
        for name, d in fields.items()
        if d["createable"] and not d["nillable"] and d["type"] != "boolean" and merged.get(name) in (None, "")
    ]
    if missing:
        raise SalesforceApiError(
            400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
        )


def check_unique(
    fields: dict[str, Any],
    changes: dict[str, Any],
    merged: dict[str, Any],
    record_id: str,
    records: dict[str, SfRecord],
) -> None:
    """No other live record of the object (`records`, by id) holds a unique field's new value."""
    for name, definition in fields.items():
        # Only a value being written can newly clash (and scanning every record per save made
        # a 200-record collection cost O(records) each).
        if definition["unique"] and name in changes and merged.get(name) is not None:
            clash = next(
                (
                    other
                    for other in records.values()
                    if other.id != record_id and not other.deleted and same(other.values.get(name), merged[name])
                ),
                None,
            )
            if clash is not None:
                raise SalesforceApiError(
                    400,
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id: {clash.id}",
                    [name],
                )
