"""Tooling API `CustomField` records against the org: creating one adds the field to its sObject's describe
(and to every stored record), PATCHing its Metadata replaces the definition (how picklist values are added),
deleting it removes the field again.
"""

from __future__ import annotations

import copy
from typing import Any

from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.field_metadata import custom_field_name, field_from_metadata
from crm_adapters.sandbox.salesforce.ids import normalize_id
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.record import SfRecord


def create_custom_field(org: SalesforceOrg, body: dict[str, Any]) -> SfRecord:
    with org.lock:
        sobject, name, table = custom_field_name(body.get("FullName"))
        if org.field(sobject, name) is not None:
            raise SalesforceApiError(
                400,
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already a field named {name[:-3]} on {table}.",
                ["FullName"],
            )
        metadata = body.get("Metadata")
        definition = field_from_metadata(name, metadata)
        org.describes[sobject]["fields"][name] = definition
        for record in org.records[sobject].values():
            record.values[name] = definition["defaultValue"] is True if definition["type"] == "boolean" else None
        record_id = org.next_id("CustomField")
        values = {"Id": record_id, "DeveloperName": name[:-3], "TableEnumOrId": table, "NamespacePrefix": None}
        values |= {"FullName": f"{table}.{name}", "Metadata": copy.deepcopy(metadata)}
        record = SfRecord(record_id, "CustomField", values)
        org.tooling_records["CustomField"][record_id] = record
        return record


def get_custom_field(org: SalesforceOrg, record_id: str) -> SfRecord:
    full = normalize_id(record_id)
    record = org.tooling_records["CustomField"].get(full or "")
    if record is None:
        raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return record


def update_custom_field(org: SalesforceOrg, record_id: str, body: dict[str, Any]) -> None:
    """Replace the field's Metadata (how picklist values are added); the type cannot change."""
    with org.lock:
        record = get_custom_field(org, record_id)
        sobject, name, _ = custom_field_name(record.values["FullName"])
        current = org.describes[sobject]["fields"][name]
        definition = field_from_metadata(name, body.get("Metadata"))
        if definition["type"] != current["type"]:
            raise SalesforceApiError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"Cannot change the type of {name} from {current['type']} to {definition['type']} in the sandbox",
                ["Metadata"],
            )
        org.describes[sobject]["fields"][name] = definition
        record.values["Metadata"] = copy.deepcopy(body.get("Metadata"))


def delete_custom_field(org: SalesforceOrg, record_id: str) -> None:
    with org.lock:
        record = get_custom_field(org, record_id)
        sobject, name, _ = custom_field_name(record.values["FullName"])
        del org.describes[sobject]["fields"][name]
        for stored in org.records[sobject].values():
            stored.values.pop(name, None)
        del org.tooling_records["CustomField"][record.id]
