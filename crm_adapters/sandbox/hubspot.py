"""The HubSpot REST routes healthloop uses: CRM objects, properties, search, owners, pipelines, OAuth.

Associations and sequences live in `hubspot_links.py`. Every route runs behind the guards in `server.py`
(auth, rate limit, injected faults) and answers errors with HubSpot's `Error` body.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from crm_adapters.sandbox import hubspot_catalog as catalog
from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.search import run_search
from crm_adapters.sandbox.state import Record, SandboxState, canonical_type, iso, now

bp = Blueprint("hubspot", __name__)
MAX_BATCH_INPUTS = 100
MAX_BATCH_INPUTS_WITH_HISTORY = 50


def sandbox_state() -> SandboxState:
    return current_app.extensions["sandbox.state"]  # type: ignore[no-any-return]


def json_body() -> Any:
    """The parsed JSON body, or a HubSpot-style 400 that says where the JSON broke."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise SandboxError(400, "VALIDATION_ERROR", "Invalid input JSON: the request body is empty")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SandboxError(
            400, "VALIDATION_ERROR", f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise SandboxError(400, "VALIDATION_ERROR", "Invalid input JSON: the body is not UTF-8") from None


def json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise SandboxError(400, "VALIDATION_ERROR", "Invalid input JSON: expected an object at the top level")
    return body


def respond(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


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
    labelled = any(spec["label"] for spec in catalog.labels(from_type, to_type))
    if labelled and catalog.label_of(from_type, to_type, type_id) is None:
        return base + "_unlabeled"
    return base


# ---- single objects -------------------------------------------------------------------------


@bp.get("/crm/v3/objects/<object_type>")
def list_objects(object_type: str) -> Response:
    kind = canonical_type(object_type)
    limit = int_arg("limit", 10, 100)
    after = cursor_arg()
    archived = request.args.get("archived", "false").lower() == "true"
    with sandbox_state().lock:
        records = [r for r in sandbox_state().records[kind].values() if r.archived == archived and int(r.id) > after]
        records.sort(key=lambda r: int(r.id))
        page = records[:limit]
        properties, associations = list_arg("properties"), list_arg("associations")
        history = list_arg("propertiesWithHistory")
        body: dict[str, Any] = {"results": [object_json(r, properties, history, associations) for r in page]}
    if len(records) > limit:
        body["paging"] = {"next": {"after": page[-1].id, "link": f"{request.base_url}?after={page[-1].id}"}}
    return respond(body)


@bp.post("/crm/v3/objects/<object_type>")
def create_object(object_type: str) -> Response:
    kind = canonical_type(object_type)
    body = json_object()
    associations = body.get("associations") or []
    if not isinstance(associations, list):
        raise SandboxError(400, "VALIDATION_ERROR", "associations must be a list of {to:{id}, types:[...]}")
    record = sandbox_state().create(kind, body.get("properties") or {}, associations)
    return respond(object_json(record, list(body.get("properties") or {})), 201)


@bp.get("/crm/v3/objects/<object_type>/<object_id>")
def get_object(object_type: str, object_id: str) -> Response:
    kind = canonical_type(object_type)
    record = sandbox_state().get(kind, object_id, request.args.get("idProperty"))
    return respond(
        object_json(record, list_arg("properties"), list_arg("propertiesWithHistory"), list_arg("associations"))
    )


@bp.patch("/crm/v3/objects/<object_type>/<object_id>")
def update_object(object_type: str, object_id: str) -> Response:
    kind = canonical_type(object_type)
    body = json_object()
    state = sandbox_state()
    with state.lock:
        record = state.update(state.get(kind, object_id, request.args.get("idProperty")), body.get("properties") or {})
        return respond(object_json(record, list(body.get("properties") or {})))


@bp.delete("/crm/v3/objects/<object_type>/<object_id>")
def archive_object(object_type: str, object_id: str) -> Response:
    sandbox_state().archive(canonical_type(object_type), object_id)
    return Response(status=204)


# ---- batches --------------------------------------------------------------------------------


@bp.post("/crm/v3/objects/<object_type>/batch/read")
def batch_read(object_type: str) -> Response:
    kind = canonical_type(object_type)
    body = json_object()
    with_history = [str(name) for name in body.get("propertiesWithHistory") or []]
    inputs = batch_inputs(body, MAX_BATCH_INPUTS_WITH_HISTORY if with_history else MAX_BATCH_INPUTS)
    started, state = now(), sandbox_state()
    properties = [str(name) for name in body.get("properties") or []]
    results, missing, seen = [], [], set()
    with state.lock:
        for item in inputs:
            key = str(item.get("id", ""))
            record = state.find(kind, key, body.get("idProperty"))
            if record is None:
                missing.append(key)
            elif record.id not in seen:
                seen.add(record.id)
                results.append(object_json(record, properties, with_history))
    errors = []
    if missing:
        message = f"Could not get some {kind} objects, they may be deleted or not exist. Check that ids are valid."
        errors.append(batch_error("OBJECT_NOT_FOUND", message, {"ids": missing}))
    return batch_response(results, started, errors, 200)


@bp.post("/crm/v3/objects/<object_type>/batch/create")
def batch_create(object_type: str) -> Response:
    kind = canonical_type(object_type)
    inputs = batch_inputs(json_object())
    started, state = now(), sandbox_state()
    with state.lock:
        # HubSpot validates the whole batch first: one bad input and nothing is created.
        for index, item in enumerate(inputs):
            with _input_context(index):
                state.prepare(kind, item.get("properties") or {})
                state.check_inline_associations(kind, item.get("associations") or [])
        _refuse_duplicate_unique_values(kind, [item.get("properties") or {} for item in inputs])
        created = [state.create(kind, item.get("properties") or {}, item.get("associations")) for item in inputs]
        results = [object_json(r, list(item.get("properties") or {})) for r, item in zip(created, inputs, strict=True)]
    return batch_response(results, started, [], 201)


@bp.post("/crm/v3/objects/<object_type>/batch/update")
def batch_update(object_type: str) -> Response:
    kind = canonical_type(object_type)
    inputs = batch_inputs(json_object())
    started, state = now(), sandbox_state()
    _refuse_duplicate_ids([str(item.get("id", "")) for item in inputs])
    with state.lock:
        found: list[tuple[Record, dict[str, Any]]] = []
        missing = []
        for index, item in enumerate(inputs):
            with _input_context(index):
                record = state.find(kind, str(item.get("id", "")), item.get("idProperty"))
                if record is None:
                    missing.append(str(item.get("id", "")))
                    continue
                state.prepare(kind, item.get("properties") or {}, record=record)
                found.append((record, item.get("properties") or {}))
        for record, values in found:
            state.update(record, values)
        results = [object_json(record, list(values)) for record, values in found]
    errors = []
    if missing:
        message = f"Could not update some {kind} objects, they may be deleted or not exist. Check that ids are valid."
        errors.append(batch_error("OBJECT_NOT_FOUND", message, {"ids": missing}))
    return batch_response(results, started, errors, 200)


@bp.post("/crm/v3/objects/<object_type>/batch/upsert")
def batch_upsert(object_type: str) -> Response:
    kind = canonical_type(object_type)
    inputs = batch_inputs(json_object())
    started, state = now(), sandbox_state()
    _refuse_duplicate_ids([f"{item.get('idProperty')}={item.get('id')}" for item in inputs])
    with state.lock:
        plan: list[tuple[Record | None, dict[str, Any]]] = []
        for index, item in enumerate(inputs):
            with _input_context(index):
                id_property, key = item.get("idProperty"), str(item.get("id", ""))
                if not id_property or id_property == "hs_object_id" or not key:
                    raise SandboxError(
                        400, "VALIDATION_ERROR", "upsert inputs need idProperty (a unique property) and id"
                    )
                record = state.find(kind, key, id_property)
                values = dict(item.get("properties") or {})
                if record is None:
                    values[id_property] = key
                state.prepare(kind, values, record=record)
                plan.append((record, values))
        _refuse_duplicate_unique_values(kind, [values for record, values in plan if record is None])
        results = []
        for record, values in plan:
            written = state.update(record, values) if record else state.create(kind, values)
            results.append(object_json(written, list(values)) | {"new": record is None})
    return batch_response(results, started, [], 200)


@bp.post("/crm/v3/objects/<object_type>/batch/archive")
def batch_archive(object_type: str) -> Response:
    kind = canonical_type(object_type)
    inputs = batch_inputs(json_object())
    state = sandbox_state()
    with state.lock:
        for item in inputs:
            if state.find(kind, str(item.get("id", ""))) is not None:  # archiving a missing id is not an error
                state.archive(kind, str(item.get("id", "")))
    return Response(status=204)


class _input_context:  # a `with` block that reads like a function call
    """Tag errors raised while checking `inputs[index]` with that index."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, SandboxError):
            exc.context = (exc.context or {}) | {"inputIndex": [str(self.index)]}


def _refuse_duplicate_ids(keys: list[str]) -> None:
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise SandboxError(
            400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique"
        )


def _refuse_duplicate_unique_values(kind: str, batches: list[dict[str, Any]]) -> None:
    for name in sandbox_state().unique_properties(kind) - {"hs_object_id"}:
        values = [str(values[name]).lower() for values in batches if values.get(name)]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise SandboxError(
                400, "VALIDATION_ERROR", f"Duplicate values for unique property {name} in one batch: {duplicates}"
            )


@bp.post("/crm/v3/objects/<object_type>/search")
def search(object_type: str) -> Response:
    kind = canonical_type(object_type)
    body = json_object()
    state = sandbox_state()
    with state.lock:
        total, page, next_after = run_search(state, kind, body)
        properties = [str(name) for name in body.get("properties") or []]
        result: dict[str, Any] = {"total": total, "results": [object_json(r, properties) for r in page]}
    if next_after is not None:
        result["paging"] = {"next": {"after": next_after}}
    return respond(result)


# ---- properties -----------------------------------------------------------------------------


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


# ---- owners, pipelines ----------------------------------------------------------------------


@bp.get("/crm/v3/owners")
@bp.get("/crm/v3/owners/")
def list_owners() -> Response:
    limit = int_arg("limit", 100, 500)
    after = cursor_arg()
    email = (request.args.get("email") or "").lower()
    with sandbox_state().lock:
        owners = [
            o
            for o in sandbox_state().owners.values()
            if int(o["id"]) > after and (not email or o["email"].lower() == email)
        ]
    body: dict[str, Any] = {"results": owners[:limit]}
    if len(owners) > limit:
        body["paging"] = {"next": {"after": owners[limit - 1]["id"]}}
    return respond(body)


@bp.get("/crm/v3/owners/<owner_id>")
def get_owner(owner_id: str) -> Response:
    state = sandbox_state()
    by_user = request.args.get("idProperty") == "userId"
    owner = state.owner_by_user(owner_id) if by_user else state.owners.get(owner_id)
    if owner is None:
        raise SandboxError(404, "OBJECT_NOT_FOUND", f"No owner with id {owner_id}", context={"id": [owner_id]})
    return respond(owner)


@bp.get("/crm/v3/pipelines/<object_type>")
def list_pipelines(object_type: str) -> Response:
    return respond({"results": sandbox_state().pipelines.get(canonical_type(object_type), [])})


@bp.get("/crm/v3/pipelines/<object_type>/<pipeline_id>")
def get_pipeline(object_type: str, pipeline_id: str) -> Response:
    for pipeline in sandbox_state().pipelines.get(canonical_type(object_type), []):
        if pipeline["id"] == pipeline_id:
            return respond(pipeline)
    raise SandboxError(404, "OBJECT_NOT_FOUND", f"No {object_type} pipeline with id {pipeline_id}")


@bp.get("/crm/v3/pipelines/<object_type>/<pipeline_id>/stages")
def list_stages(object_type: str, pipeline_id: str) -> Response:
    pipeline = get_pipeline(object_type, pipeline_id).get_json()
    return respond({"results": pipeline["stages"]})


# ---- OAuth ----------------------------------------------------------------------------------


@bp.post("/oauth/v1/token")
@bp.post("/oauth/v3/token")
def oauth_token() -> Response:
    """Refresh-token grant only: healthloop never runs the browser half of the OAuth flow."""
    app = sandbox_state().oauth
    form = request.form
    checks = (
        (form.get("grant_type") == "refresh_token", "BAD_GRANT_TYPE", "grant_type must be refresh_token"),
        (form.get("client_id") == app.client_id, "BAD_CLIENT_ID", "missing or unknown client id"),
        (form.get("client_secret") == app.client_secret, "BAD_CLIENT_SECRET", "missing or invalid client secret"),
        (form.get("refresh_token") == app.refresh_token, "BAD_REFRESH_TOKEN", "missing or unknown refresh token"),
    )
    for ok, status, message in checks:
        if not ok:
            return respond({"status": status, "message": message, "correlationId": _correlation_id()}, 400)
    return respond(sandbox_state().issue_access_token())


def _correlation_id() -> str:
    return str(uuid.uuid4())
