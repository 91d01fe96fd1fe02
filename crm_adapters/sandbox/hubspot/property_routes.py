"""The property routes: definitions (one, batches, PATCH, archive) and property groups, per object type."""

from __future__ import annotations

from flask import Blueprint, Response

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.http_json import json_body, json_object, respond
from crm_adapters.sandbox.hubspot.http import batch_error, batch_inputs, batch_response, sandbox_state
from crm_adapters.sandbox.hubspot.object_types import canonical_type
from crm_adapters.sandbox.hubspot.timestamps import iso, now

bp = Blueprint("hubspot_properties", __name__)


@bp.get("/crm/v3/properties/<object_type>")
def list_properties(object_type: str) -> Response:
    kind = canonical_type(object_type)
    with sandbox_state().lock:
        results = [d for d in sandbox_state().properties[kind].values() if not d["archived"]]
        return respond({"results": results})


@bp.post("/crm/v3/properties/<object_type>")
def create_property(object_type: str) -> Response:
    return respond(sandbox_state().create_property(canonical_type(object_type), json_body()), 201)


@bp.post("/crm/v3/properties/<object_type>/batch/create")
def batch_create_properties(object_type: str) -> Response:
    kind = canonical_type(object_type)
    inputs = batch_inputs(json_object())
    started, results, errors = now(), [], []
    for item in inputs:
        try:
            results.append(sandbox_state().create_property(kind, item))
        except SandboxError as exc:
            errors.append(batch_error(exc.category, exc.message, {"name": [str(item.get("name"))]}))
    return batch_response(results, started, errors, 201)


@bp.post("/crm/v3/properties/<object_type>/batch/read")
def batch_read_properties(object_type: str) -> Response:
    kind = canonical_type(object_type)
    inputs = batch_inputs(json_object(), 1000)
    started, results, missing = now(), [], []
    for item in inputs:
        definition = sandbox_state().properties[kind].get(str(item.get("name")))
        if definition is None or definition["archived"]:
            missing.append(str(item.get("name")))
        else:
            results.append(definition)
    errors = [batch_error("OBJECT_NOT_FOUND", f"Unknown {kind} properties", {"names": missing})] if missing else []
    return batch_response(results, started, errors, 200)


@bp.get("/crm/v3/properties/<object_type>/<name>")
def get_property(object_type: str, name: str) -> Response:
    return respond(sandbox_state().property_definition(canonical_type(object_type), name))


@bp.patch("/crm/v3/properties/<object_type>/<name>")
def update_property(object_type: str, name: str) -> Response:
    return respond(sandbox_state().update_property(canonical_type(object_type), name, json_body()))


@bp.delete("/crm/v3/properties/<object_type>/<name>")
def archive_property(object_type: str, name: str) -> Response:
    state = sandbox_state()
    with state.lock:
        definition = state.property_definition(canonical_type(object_type), name)
        if definition["hubspotDefined"]:
            raise SandboxError(400, "VALIDATION_ERROR", f"Property {name} is HubSpot-defined and cannot be archived")
        definition.update(archived=True, archivedAt=iso(now()))
    return Response(status=204)


@bp.get("/crm/v3/properties/<object_type>/groups")
def list_groups(object_type: str) -> Response:
    return respond({"results": list(sandbox_state().groups[canonical_type(object_type)].values())})


@bp.post("/crm/v3/properties/<object_type>/groups")
def create_group(object_type: str) -> Response:
    return respond(sandbox_state().create_group(canonical_type(object_type), json_body()), 201)


@bp.get("/crm/v3/properties/<object_type>/groups/<name>")
def get_group(object_type: str, name: str) -> Response:
    group = sandbox_state().groups[canonical_type(object_type)].get(name)
    if group is None:
        raise SandboxError(404, "OBJECT_NOT_FOUND", f"Property group {name} does not exist")
    return respond(group)
