"""What every HubSpot route shares: the portal of the current app, query arguments and batch inputs as
HubSpot reads them, and HubSpot's response shapes (SimplePublicObject, BatchResponse, batch errors).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, request

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.hubspot import association_types, catalog
from crm_adapters.sandbox.hubspot.object_types import canonical_type
from crm_adapters.sandbox.hubspot.record import Record
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.hubspot.timestamps import iso, now

MAX_BATCH_INPUTS = 100
MAX_BATCH_INPUTS_WITH_HISTORY = 50


def sandbox_state() -> SandboxState:
    return current_app.extensions["sandbox.state"]  # type: ignore[no-any-return]


def list_arg(name: str) -> list[str]:
    """Query lists arrive repeated (`properties=a&properties=b`, as the client sends) or comma-separated."""
    return [part for value in request.args.getlist(name) for part in value.split(",") if part]


def int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SandboxError(400, "VALIDATION_ERROR", f"{name} must be an integer, got {raw!r}") from None
    if not 1 <= value <= maximum:
        raise SandboxError(400, "VALIDATION_ERROR", f"{name} must be between 1 and {maximum}, got {value}")
    return value


def cursor_arg() -> int:
    """The `after` paging cursor: the sandbox hands out record ids, so anything else is a client bug."""
    raw = request.args.get("after") or "0"
    if not raw.isdigit():
        raise SandboxError(400, "VALIDATION_ERROR", f"after must be a cursor from paging.next.after, got {raw!r}")
    return int(raw)


def batch_inputs(body: dict[str, Any], limit: int = MAX_BATCH_INPUTS) -> list[dict[str, Any]]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(item, dict) for item in inputs):
        raise SandboxError(400, "VALIDATION_ERROR", "inputs must be a list of objects")
    if len(inputs) > limit:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"Batch input limit exceeded: got {len(inputs)} inputs, the limit is {limit} per request. Split the batch.",
            context={"limit": [str(limit)], "received": [str(len(inputs))]},
        )
    return inputs


def batch_response(results: list[Any], started: datetime, errors: list[dict[str, Any]], ok_status: int) -> Response:
    """HubSpot's BatchResponse, or 207 Multi-Status with `numErrors` and `errors` when some inputs failed."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        body |= {"numErrors": len(errors), "errors": errors}
    body |= {"startedAt": iso(started), "completedAt": iso(now())}
    return respond(body, 207 if errors else ok_status)


def batch_error(category: str, message: str, context: dict[str, list[str]], sub_category: str | None = None) -> dict:
    error: dict[str, Any] = {"status": "error", "category": category, "message": message, "context": context}
    if sub_category:
        error["subCategory"] = sub_category
    return error | {"errors": [], "links": {}}


def object_json(
    record: Record,
    properties: list[str] | None = None,
    with_history: list[str] | None = None,
    associations: list[str] | None = None,
) -> dict[str, Any]:
    """A SimplePublicObject: requested (or default) properties plus the three HubSpot always returns."""
    state = sandbox_state()
    definitions = state.properties[record.object_type]
    names = properties or catalog.DEFAULT_PROPERTIES[record.object_type]
    shown = {name: record.properties.get(name) for name in names if name in definitions}
    shown |= {name: record.properties.get(name) for name in catalog.ALWAYS_RETURNED}
    body: dict[str, Any] = {"id": record.id, "properties": shown}
    if with_history:
        body["propertiesWithHistory"] = {
            name: [
                {"value": value, "timestamp": iso(moment), "sourceType": "API", "sourceId": "sandbox"}
                for value, moment in reversed(record.history.get(name, []))
            ]
            for name in with_history
            if name in definitions
        }
    body |= {"createdAt": iso(record.created_at), "updatedAt": iso(record.updated_at), "archived": record.archived}
    if associations:
        body["associations"] = v3_associations(record, associations)
    return body


def v3_associations(record: Record, to_types: list[str]) -> dict[str, Any]:
    state = sandbox_state()
    found: dict[str, Any] = {}
    for name in to_types:
        to_type = canonical_type(name)
        links = state.associated(record.object_type, record.id, to_type)
        results = [
            {"id": to_id, "type": _v3_type_name(record.object_type, to_type, type_id)}
            for to_id, kinds in links.items()
            for _, type_id in kinds
        ]
        if results:
            found[name] = {"results": results}
    return found


def _v3_type_name(from_type: str, to_type: str, type_id: int) -> str:
    base = f"{from_type.removesuffix('s').replace('companie', 'company')}_to_"
    base += to_type.removesuffix("s").replace("companie", "company")
    labelled = any(spec["label"] for spec in association_types.labels(from_type, to_type))
    if labelled and association_types.label_of(from_type, to_type, type_id) is None:
        return base + "_unlabeled"
    return base
