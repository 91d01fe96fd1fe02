"""Associations v4 routes: the links between records (default and labelled types, batches, labels).

The spec spells association paths `/crm/associations/v4/...` while the client sends
`/crm/v4/associations/...`; both are served. Guarded like every HubSpot route.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from crm_adapters.sandbox.errors import SandboxError, not_found
from crm_adapters.sandbox.http_json import json_body, json_object, respond
from crm_adapters.sandbox.hubspot import association_types
from crm_adapters.sandbox.hubspot.http import (
    batch_error,
    batch_inputs,
    batch_response,
    cursor_arg,
    int_arg,
    sandbox_state,
)
from crm_adapters.sandbox.hubspot.object_types import OBJECT_TYPE_IDS, canonical_type
from crm_adapters.sandbox.hubspot.timestamps import now

bp = Blueprint("hubspot_associations", __name__)
_PAIR_PREFIXES = ("/crm/v4/associations", "/crm/associations/v4")


def _existing(kind: str, object_id: str) -> None:
    if sandbox_state().find(kind, object_id) is None:
        raise not_found(kind, object_id)


def _specs_with_labels(from_type: str, to_type: str, kinds: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [
        {"category": category, "typeId": type_id, "label": association_types.label_of(from_type, to_type, type_id)}
        for category, type_id in kinds
    ]


def _kinds_for(from_type: str, to_type: str, specs: Any) -> list[tuple[str, int]]:
    """Check `[{associationCategory, associationTypeId}]` against the types valid from `from_type` to `to_type`."""
    if not isinstance(specs, list) or not specs:
        raise SandboxError(400, "VALIDATION_ERROR", "types must be a non-empty list of association specs")
    kinds = []
    for spec in specs:
        try:
            category, type_id = str(spec["associationCategory"]), int(spec["associationTypeId"])
        except (KeyError, TypeError, ValueError):
            raise SandboxError(
                400, "VALIDATION_ERROR", "association specs need associationCategory and an integer associationTypeId"
            ) from None
        if association_types.association_target(from_type, category, type_id) != to_type:
            raise SandboxError(
                400,
                "VALIDATION_ERROR",
                f"{category} association type {type_id} does not link {from_type} to {to_type}; "
                f"see GET /crm/v4/associations/{from_type}/{to_type}/labels",
            )
        kinds.append((category, type_id))
    return kinds


def _default_kind(from_type: str, to_type: str) -> tuple[str, int]:
    type_id = association_types.default_type_id(from_type, to_type)
    if type_id is None:
        raise SandboxError(400, "VALIDATION_ERROR", f"{from_type} cannot be associated with {to_type}")
    return "HUBSPOT_DEFINED", type_id


def _pair_json(from_type: str, from_id: str, to_type: str, to_id: str) -> dict[str, Any]:
    kinds = sandbox_state().associated(from_type, from_id, to_type).get(to_id, [])
    labels = [label for _, type_id in kinds if (label := association_types.label_of(from_type, to_type, type_id))]
    return {
        "fromObjectTypeId": OBJECT_TYPE_IDS[from_type],
        "fromObjectId": int(from_id),
        "toObjectTypeId": OBJECT_TYPE_IDS[to_type],
        "toObjectId": int(to_id),
        "labels": labels,
    }


@bp.put("/crm/v4/objects/<from_type>/<from_id>/associations/default/<to_type>/<to_id>")
def associate_default(from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    source, target = canonical_type(from_type), canonical_type(to_type)
    started, state = now(), sandbox_state()
    with state.lock:
        _existing(source, from_id)
        _existing(target, to_id)
        category, type_id = _default_kind(source, target)
        state.associate(source, from_id, target, to_id, [(category, type_id)])
    result = {
        "from": {"id": from_id},
        "to": {"id": to_id},
        "associationSpec": {"associationCategory": category, "associationTypeId": type_id},
    }
    return batch_response([result], started, [], 200)


@bp.put("/crm/v4/objects/<from_type>/<from_id>/associations/<to_type>/<to_id>")
def associate_labelled(from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    source, target = canonical_type(from_type), canonical_type(to_type)
    kinds = _kinds_for(source, target, json_body())
    state = sandbox_state()
    with state.lock:
        _existing(source, from_id)
        _existing(target, to_id)
        state.associate(source, from_id, target, to_id, kinds)
        return respond(_pair_json(source, from_id, target, to_id), 201)


@bp.get("/crm/v4/objects/<from_type>/<from_id>/associations/<to_type>")
def list_associations(from_type: str, from_id: str, to_type: str) -> Response:
    source, target = canonical_type(from_type), canonical_type(to_type)
    limit = int_arg("limit", 500, 500)
    after = cursor_arg()
    state = sandbox_state()
    with state.lock:
        _existing(source, from_id)
        links = [(to_id, kinds) for to_id, kinds in state.associated(source, from_id, target).items()]
    links = [(to_id, kinds) for to_id, kinds in links if int(to_id) > after]
    body: dict[str, Any] = {
        "results": [
            {"toObjectId": int(to_id), "associationTypes": _specs_with_labels(source, target, kinds)}
            for to_id, kinds in links[:limit]
        ]
    }
    if len(links) > limit:
        body["paging"] = {"next": {"after": links[limit - 1][0]}}
    return respond(body)


def _batch_create(from_type: str, to_type: str) -> Response:
    source, target = canonical_type(from_type), canonical_type(to_type)
    inputs = batch_inputs(json_object())
    started, state = now(), sandbox_state()
    results, errors = [], []
    with state.lock:
        for item in inputs:
            from_id = str((item.get("from") or {}).get("id", ""))
            to_id = str((item.get("to") or {}).get("id", ""))
            kinds = _kinds_for(source, target, item.get("types"))
            missing = [f"{k}:{i}" for k, i in ((source, from_id), (target, to_id)) if state.find(k, i) is None]
            if missing:
                message = f"Could not associate: {', '.join(missing)} not found (archived records count as missing)"
                errors.append(batch_error("OBJECT_NOT_FOUND", message, {"ids": missing}))
                continue
            state.associate(source, from_id, target, to_id, kinds)
            results.append(_pair_json(source, from_id, target, to_id))
    return batch_response(results, started, errors, 201)


def _batch_read(from_type: str, to_type: str) -> Response:
    source, target = canonical_type(from_type), canonical_type(to_type)
    inputs = batch_inputs(json_object(), 1000)
    started, state = now(), sandbox_state()
    results, errors = [], []
    with state.lock:
        for item in inputs:
            from_id = str(item.get("id", ""))
            links = state.associated(source, from_id, target) if state.find(source, from_id) else {}
            if not links:
                message = f"No {target} is associated with {source} {from_id}."
                context = {"fromObjectId": [from_id]}
                errors.append(
                    batch_error("OBJECT_NOT_FOUND", message, context, "crm.associations.NO_ASSOCIATIONS_FOUND")
                )
                continue
            to = [
                {"toObjectId": int(to_id), "associationTypes": _specs_with_labels(source, target, kinds)}
                for to_id, kinds in links.items()
            ]
            results.append({"from": {"id": from_id}, "to": to})
    return batch_response(results, started, errors, 200)


def _batch_default(from_type: str, to_type: str) -> Response:
    source, target = canonical_type(from_type), canonical_type(to_type)
    inputs = batch_inputs(json_object())
    started, state = now(), sandbox_state()
    category, type_id = _default_kind(source, target)
    results, errors = [], []
    with state.lock:
        for item in inputs:
            from_id = str((item.get("from") or {}).get("id", ""))
            to_id = str((item.get("to") or {}).get("id", ""))
            missing = [f"{k}:{i}" for k, i in ((source, from_id), (target, to_id)) if state.find(k, i) is None]
            if missing:
                errors.append(batch_error("OBJECT_NOT_FOUND", f"{', '.join(missing)} not found", {"ids": missing}))
                continue
            state.associate(source, from_id, target, to_id, [(category, type_id)])
            spec = {"associationCategory": category, "associationTypeId": type_id}
            results.append({"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": spec})
    return batch_response(results, started, errors, 200)


def _labels(from_type: str, to_type: str) -> Response:
    return respond({"results": association_types.labels(canonical_type(from_type), canonical_type(to_type))})


for _prefix in _PAIR_PREFIXES:
    _pair = f"{_prefix}/<from_type>/<to_type>"
    bp.add_url_rule(f"{_pair}/batch/create", f"batch_create{_prefix}", _batch_create, methods=["POST"])
    bp.add_url_rule(f"{_pair}/batch/read", f"batch_read{_prefix}", _batch_read, methods=["POST"])
    bp.add_url_rule(f"{_pair}/batch/associate/default", f"batch_default{_prefix}", _batch_default, methods=["POST"])
    bp.add_url_rule(f"{_pair}/labels", f"labels{_prefix}", _labels, methods=["GET"])
