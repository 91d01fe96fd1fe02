"""The Salesforce query routes: SOQL (`query`, `queryAll`) with `nextRecordsUrl` paging, and the Tooling
API's `CustomField` records and query, which is how healthloop provisions its fields.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce.custom_fields import (
    create_custom_field,
    delete_custom_field,
    get_custom_field,
    update_custom_field,
)
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.http import DATA, api_version, guarded_blueprint, json_object, org
from crm_adapters.sandbox.salesforce.queries import run_query

bp = guarded_blueprint("salesforce_query", __name__)


# ---- SOQL -------------------------------------------------------------------------------------


def _page(v: str, kind: str, total: int, records: list[dict[str, Any]], extra: dict[str, Any]) -> Response:
    size = org().settings.page_size
    body: dict[str, Any] = {"totalSize": total, "done": len(records) <= size}
    if len(records) > size:
        cursor = org().cursors.open(records, size)
        body["nextRecordsUrl"] = f"/services/data/{v}/{kind}/{cursor}-{size}"
    return respond(extra | body | {"records": records[:size]})


@bp.get(f"{DATA}/query", strict_slashes=False)
@bp.get(f"{DATA}/queryAll", strict_slashes=False)
def query(v: str) -> Response:
    text = request.args.get("q", "")
    if not text.strip():
        raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    include_deleted = request.path.rstrip("/").endswith("queryAll")
    total, records = run_query(org(), text, include_deleted=include_deleted, version=api_version(v))
    return _page(v, "queryAll" if include_deleted else "query", total, records, {})


@bp.get(f"{DATA}/query/<locator>")
@bp.get(f"{DATA}/queryAll/<locator>")
def query_more(v: str, locator: str) -> Response:
    cursor_id, _, offset_text = locator.rpartition("-")
    if not cursor_id or not offset_text.isdigit():
        raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    cursor, offset = org().cursors.get(cursor_id), int(offset_text)
    end = offset + cursor.page_size
    body: dict[str, Any] = {"totalSize": len(cursor.records), "done": end >= len(cursor.records)}
    if end < len(cursor.records):
        kind = "queryAll" if "/queryAll/" in request.path else "query"
        body["nextRecordsUrl"] = f"/services/data/{v}/{kind}/{cursor_id}-{end}"
    return respond(body | {"records": cursor.records[offset:end]})


# ---- Tooling API ------------------------------------------------------------------------------


@bp.post(f"{DATA}/tooling/sobjects/<tooling_type>", strict_slashes=False)
def tooling_create(v: str, tooling_type: str) -> Response:
    org().require_sobject(tooling_type, tooling=True)
    record = create_custom_field(org(), json_object())
    return respond({"id": record.id, "success": True, "errors": [], "warnings": [], "infos": []}, 201)


@bp.route(
    f"{DATA}/tooling/sobjects/<tooling_type>/<record_id>", methods=["GET", "PATCH", "DELETE"], strict_slashes=False
)
def tooling_record(v: str, tooling_type: str, record_id: str) -> Response:
    org().require_sobject(tooling_type, tooling=True)
    if request.method == "PATCH":
        update_custom_field(org(), record_id, json_object())
        return Response(status=204)
    if request.method == "DELETE":
        delete_custom_field(org(), record_id)
        return Response(status=204)
    record = get_custom_field(org(), record_id)
    url = f"/services/data/{v}/tooling/sobjects/CustomField/{record.id}"
    return respond({"attributes": {"type": "CustomField", "url": url}} | record.values)


@bp.get(f"{DATA}/tooling/query", strict_slashes=False)
def tooling_query(v: str) -> Response:
    text = request.args.get("q", "")
    if not text.strip():
        raise SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    total, records = run_query(org(), text, tooling=True, version=api_version(v))
    extra = {"size": total, "entityTypeName": "CustomField", "queryLocator": None}
    return _page(v, "tooling/query", total, records, extra)
