"""sObject Collections against the org: save (create or update) and delete up to 200 records a call,
one SaveResult per record in request order; with allOrNone, any failure rolls every write of the call back.
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.salesforce.catalog import KEY_PREFIXES
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import normalize_id
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.record import SfRecord

ROLLED_BACK = "Record rolled back because not all records were valid and the request was using AllOrNone header"


def save_collection(org: SalesforceOrg, items: list[Any], all_or_none: bool, *, creating: bool) -> list[dict[str, Any]]:
    """SaveResults in request order; with allOrNone, any failure rolls every write of the call back."""
    with org.journaled() as journal:
        results: list[dict[str, Any]] = []
        for item in items:
            try:
                record = _save_one(org, item, creating=creating)
                results.append({"id": record.id, "success": True, "errors": []})
            except SalesforceApiError as exc:
                results.append({"success": False, "errors": [exc.record_error()]})
        if all_or_none and not all(result["success"] for result in results):
            org.rollback(journal)
            rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": ROLLED_BACK}
            results = [
                r if not r["success"] else {"id": r["id"], "success": False, "errors": [rolled | {"fields": []}]}
                for r in results
            ]
        return results


def _save_one(org: SalesforceOrg, item: Any, *, creating: bool) -> SfRecord:
    if not isinstance(item, dict):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "each record must be a JSON object")
    kind = (item.get("attributes") or {}).get("type") if isinstance(item.get("attributes"), dict) else None
    sobject = org.sobject_name(kind) if isinstance(kind, str) else None
    if sobject is None:
        raise SalesforceApiError(
            400, "INVALID_TYPE", f"sObject type {kind!r} is not supported: set attributes.type on every record"
        )
    record_id = next((v for k, v in item.items() if k.lower() == "id"), None)
    values = {k: v for k, v in item.items() if k != "attributes" and k.lower() != "id"}
    if creating:
        if record_id is not None:
            raise SalesforceApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        return org.create(sobject, values)
    if record_id is None:
        raise SalesforceApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
    return org.update(_target(org, sobject, record_id), values)


def delete_collection(org: SalesforceOrg, ids: list[str], all_or_none: bool) -> list[dict[str, Any]]:
    with org.journaled() as journal:
        results: list[dict[str, Any]] = []
        for record_id in ids:
            try:
                record = org.find(record_id)
                if record is None:
                    sobject = next((s for s, p in KEY_PREFIXES.items() if record_id.startswith(p)), "Account")
                    record = _target(org, sobject, record_id)
                org.delete(record)
                results.append({"id": record.id, "success": True, "errors": []})
            except SalesforceApiError as exc:
                results.append({"success": False, "errors": [exc.record_error()]})
        if all_or_none and not all(result["success"] for result in results):
            org.rollback(journal)
            rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": ROLLED_BACK, "fields": []}
            results = [r if not r["success"] else r | {"success": False, "errors": [rolled]} for r in results]
        return results


def _target(org: SalesforceOrg, sobject: str, record_id: Any) -> SfRecord:
    """The live record a collection item names, or the SaveResult error Salesforce gives for its id."""
    full = normalize_id(record_id)
    if full is None or not full.startswith(KEY_PREFIXES[sobject]):
        raise SalesforceApiError(400, "MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {record_id}")
    record = org.find(full)
    if record is None:
        raise SalesforceApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    if record.deleted:
        raise SalesforceApiError(400, "ENTITY_IS_DELETED", "entity is deleted")
    return record
