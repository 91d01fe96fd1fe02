"""The CRM object routes healthloop uses: single objects, the batch endpoints and search.

Every route runs behind the guards in `crm_adapters/sandbox/app.py` (auth, rate limit, injected faults)
and answers errors with HubSpot's `Error` body.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.http_json import json_object, respond
from crm_adapters.sandbox.hubspot.http import (
    MAX_BATCH_INPUTS,
    MAX_BATCH_INPUTS_WITH_HISTORY,
    batch_error,
    batch_inputs,
    batch_response,
    cursor_arg,
    int_arg,
    list_arg,
    object_json,
    sandbox_state,
)
from crm_adapters.sandbox.hubspot.object_types import canonical_type
from crm_adapters.sandbox.hubspot.record import Record
from crm_adapters.sandbox.hubspot.search import run_search
from crm_adapters.sandbox.hubspot.timestamps import now

bp = Blueprint("hubspot", __name__)


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
