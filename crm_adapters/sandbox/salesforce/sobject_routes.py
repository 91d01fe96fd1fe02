"""The Salesforce REST routes for sObjects: versions, resources and limits, describe, single-record CRUD,
upsert by external id, and sObject Collections (200 records a call). Anything else under `/services`
answers Salesforce's NOT_FOUND (or 405 when another method would match).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce.errors import MultipleMatches, SalesforceApiError
from crm_adapters.sandbox.salesforce.http import DATA, NOT_FOUND, guarded_blueprint, json_object, org
from crm_adapters.sandbox.salesforce.ids import MAX_COLLECTION_RECORDS
from crm_adapters.sandbox.salesforce.record import SfRecord
from crm_adapters.sandbox.salesforce.sobject_collections import delete_collection, save_collection

# The API's front door (`/services/data`) and the catch-all answer without a session, as Salesforce does.
bp = guarded_blueprint("salesforce", __name__, unguarded=("salesforce.versions", "salesforce.not_found"))


@bp.route("/services/<path:rest>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
def not_found(rest: str) -> Response:
    """Anything else under /services: 405 when another method would match, else Salesforce's NOT_FOUND."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "salesforce.not_found":
            allowed.append(method)
    if allowed:
        raise SalesforceApiError(
            405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}"
        )
    raise SalesforceApiError(404, "NOT_FOUND", NOT_FOUND)


# ---- versions, limits, describe ---------------------------------------------------------------


def _release(version: int) -> str:
    offset = version - 59  # v59.0 is Winter '24; three releases a year
    return f"{('Winter', 'Spring', 'Summer')[offset % 3]} '{24 + offset // 3}"


@bp.get("/services/data", strict_slashes=False)
def versions() -> Response:
    return respond(
        [{"label": _release(n), "url": f"/services/data/v{n}.0", "version": f"{n}.0"} for n in range(31, 67)]
    )


@bp.get(f"{DATA}/", strict_slashes=False)
def resources(v: str) -> Response:
    names = ("sobjects", "query", "queryAll", "limits", "tooling", "composite", "actions")
    return respond({name: f"/services/data/{v}/{name}" for name in names})


@bp.get(f"{DATA}/limits", strict_slashes=False)
def limits(v: str) -> Response:
    used, limit = org().api_usage()
    return respond({"DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)}})


@bp.get(f"{DATA}/sobjects", strict_slashes=False)
def global_describe(v: str) -> Response:
    sobjects = org().global_describe()
    for entry in sobjects:
        entry["urls"] = {"sobject": f"/services/data/{v}/sobjects/{entry['name']}"}
    return respond({"encoding": "UTF-8", "maxBatchSize": MAX_COLLECTION_RECORDS, "sobjects": sobjects})


@bp.get(f"{DATA}/sobjects/<sobject_type>", strict_slashes=False)
def sobject_basic_info(v: str, sobject_type: str) -> Response:
    described = org().describe(sobject_type)
    described.pop("fields")
    return respond({"objectDescribe": described, "recentItems": []})


@bp.get(f"{DATA}/sobjects/<sobject_type>/describe", strict_slashes=False)
def describe(v: str, sobject_type: str) -> Response:
    return respond(org().describe(sobject_type))


# ---- single records ---------------------------------------------------------------------------


def record_json(record: SfRecord, v: str, fields: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"attributes": {"type": record.sobject, "url": _record_url(record, v)}}
    if not fields:
        return body | record.values
    for name in fields:
        definition = org().field(record.sobject, name)
        if definition is None:
            raise SalesforceApiError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {record.sobject}", [name]
            )
        body[definition["name"]] = record.values.get(definition["name"])
    return body


def _record_url(record: SfRecord, v: str) -> str:
    return f"/services/data/{v}/sobjects/{record.sobject}/{record.id}"


def _fields_arg() -> list[str]:
    return [name.strip() for name in request.args.get("fields", "").split(",") if name.strip()]


@bp.post(f"{DATA}/sobjects/<sobject_type>", strict_slashes=False)
def create_record(v: str, sobject_type: str) -> Response:
    sobject = org().require_sobject(sobject_type)
    record = org().create(sobject, json_object())
    return respond({"id": record.id, "success": True, "errors": []}, 201)


@bp.route(f"{DATA}/sobjects/<sobject_type>/<record_id>", methods=["GET", "PATCH", "DELETE"], strict_slashes=False)
def record_route(v: str, sobject_type: str, record_id: str) -> Response:
    sobject = org().require_sobject(sobject_type)
    with org().lock:
        record = org().get(sobject, record_id)
        if request.method == "GET":
            return respond(record_json(record, v, _fields_arg()))
        if request.method == "PATCH":
            org().update(record, json_object())
        else:
            org().delete(record)
    return Response(status=204)


@bp.route(f"{DATA}/sobjects/<sobject_type>/<ext_field>/<path:ext_value>", methods=["GET", "PATCH"])
def external_id_route(v: str, sobject_type: str, ext_field: str, ext_value: str) -> Response:
    """GET or upsert by an external id field: 201 created, 204 updated, 300 when several records match."""
    sobject = org().require_sobject(sobject_type)
    if request.method == "GET":
        _, found = org().by_external_id(sobject, ext_field, ext_value)
        if len(found) > 1:
            raise MultipleMatches(sobject, [record.id for record in found])
        if not found:
            raise SalesforceApiError(404, "NOT_FOUND", NOT_FOUND)
        return respond(record_json(found[0], v, _fields_arg()))
    record, created = org().upsert(sobject, ext_field, ext_value, json_object())
    if created:
        return respond({"id": record.id, "success": True, "errors": [], "created": True}, 201)
    return Response(status=204)


# ---- sObject Collections ----------------------------------------------------------------------


def _collection_size(count: int) -> None:
    if count > MAX_COLLECTION_RECORDS:
        raise SalesforceApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} records into this call "
            f"(got {count})",
        )


@bp.route(f"{DATA}/composite/sobjects", methods=["POST", "PATCH"], strict_slashes=False)
def collection_save(v: str) -> Response:
    body = json_object()
    records = body.get("records")
    if not isinstance(records, list) or not records:
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "records must be a non-empty list of sObjects")
    _collection_size(len(records))
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise SalesforceApiError(400, "JSON_PARSER_ERROR", "allOrNone must be true or false")
    return respond(save_collection(org(), records, all_or_none, creating=request.method == "POST"))


@bp.delete(f"{DATA}/composite/sobjects", strict_slashes=False)
def collection_delete(v: str) -> Response:
    ids = [part.strip() for part in request.args.get("ids", "").split(",") if part.strip()]
    if not ids:
        raise SalesforceApiError(400, "MISSING_ARGUMENT", "ids: the list of record ids to delete is required")
    _collection_size(len(ids))
    all_or_none = request.args.get("allOrNone", "false").lower() == "true"
    return respond(delete_collection(org(), ids, all_or_none))


@bp.get(f"{DATA}/composite/sobjects/<sobject_type>", strict_slashes=False)
def collection_retrieve(v: str, sobject_type: str) -> Response:
    sobject = org().require_sobject(sobject_type)
    ids = [part.strip() for part in request.args.get("ids", "").split(",") if part.strip()]
    _collection_size(len(ids))
    fields = _fields_arg()
    if not ids or not fields:
        raise SalesforceApiError(400, "MISSING_ARGUMENT", "ids and fields are both required")
    found = []
    with org().lock:
        for record_id in ids:
            record = org().find(record_id)
            live = record is not None and record.sobject == sobject and not record.deleted
            found.append(record_json(record, v, fields) if live and record is not None else None)
    return respond(found)
