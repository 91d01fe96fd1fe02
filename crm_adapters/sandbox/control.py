"""The sandbox's own control and inspection API under `/_sandbox/` (same bearer token, never limited or faulted).

Tests and benchmarks read request counts and state here and switch faults and limits on; the demo
seeds a portal with companies, contacts and deals in one call.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from crm_adapters.sandbox import hubspot_catalog as catalog
from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.hubspot import json_body, json_object, respond
from crm_adapters.sandbox.state import OBJECT_TYPE_IDS, SandboxState, canonical_type

bp = Blueprint("control", __name__, url_prefix="/_sandbox")
_SEEDED_OBJECT_TYPES = ("companies", "contacts", "deals", "tasks", "notes")
_DEFAULT_OWNERS = (
    ("ana.csm@example.com", "Ana", "Lima"),
    ("ben.csm@example.com", "Ben", "Okafor"),
    ("carla.vp@example.com", "Carla", "Diaz"),
)
_DEFAULT_SEQUENCES = (("Re-engagement: at risk", 0), ("Onboarding nudge", 0), ("Executive save", 2))


def seed_defaults(state: SandboxState) -> None:
    """A fresh portal's users: three owners, and sequences owned by two of them."""
    owners = [state.add_owner(*owner) for owner in _DEFAULT_OWNERS]
    for name, owner_index in _DEFAULT_SEQUENCES:
        state.add_sequence(name, owners[owner_index]["userId"])


def seed(state: SandboxState, payload: dict[str, Any]) -> dict[str, Any]:
    """Bulk-create from JSON (see the README of `healthloop sandbox`); returns the ids in input order.

    Objects are `{properties, associations?, associate?: {companies: [index, ...]}}` or flat property maps;
    `associate` points at records created earlier in the same payload, by their index.
    """
    created: dict[str, Any] = {}
    with state.lock:
        for object_type, groups in (payload.get("groups") or {}).items():
            for group in groups:
                state.create_group(canonical_type(object_type), group)
        for object_type, definitions in (payload.get("properties") or {}).items():
            for definition in definitions:
                state.create_property(canonical_type(object_type), definition)
        owners = [
            state.add_owner(str(o["email"]), str(o.get("firstName", "")), str(o.get("lastName", "")))
            for o in payload.get("owners") or []
        ]
        created["owners"] = [{"id": o["id"], "userId": o["userId"], "email": o["email"]} for o in owners]
        for object_type in _SEEDED_OBJECT_TYPES:
            ids: list[str] = []
            for index, item in enumerate(payload.get(object_type) or []):
                if not isinstance(item, dict):
                    raise SandboxError(400, "VALIDATION_ERROR", f"{object_type}[{index}] must be an object")
                properties = item.get("properties", item)
                associations = list(item.get("associations") or [])
                for to_type, indexes in (item.get("associate") or {}).items():
                    target = canonical_type(to_type)
                    type_id = catalog.default_type_id(object_type, target)
                    for position in indexes:
                        to_id = created[target][int(position)]
                        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
                        associations.append({"to": {"id": to_id}, "types": [spec]})
                ids.append(state.create(object_type, properties, associations, trusted=True).id)
            created[object_type] = ids
        sequences = []
        for item in payload.get("sequences") or []:
            user_id = item.get("userId")
            if user_id is None and item.get("ownerEmail"):
                owner = next((o for o in state.owners.values() if o["email"] == item["ownerEmail"]), None)
                if owner is None:
                    raise SandboxError(400, "VALIDATION_ERROR", f"no owner with email {item['ownerEmail']}")
                user_id = owner["userId"]
            if user_id is None:
                user_id = next(iter(state.owners.values()))["userId"]
            sequences.append(state.add_sequence(str(item["name"]), user_id))
        created["sequences"] = [s["id"] for s in sequences]
    return created


def _state() -> SandboxState:
    return current_app.extensions["sandbox.state"]  # type: ignore[no-any-return]


@bp.get("/state")
def dump_state() -> Response:
    object_type = request.args.get("object")
    return respond(_state().dump(canonical_type(object_type) if object_type else None))


@bp.get("/requests")
def request_counts() -> Response:
    return respond(_state().requests.snapshot())


@bp.delete("/requests")
def clear_requests() -> Response:
    _state().requests.clear()
    return respond(_state().requests.snapshot())


@bp.get("/faults")
@bp.post("/faults")
def faults() -> Response:
    injector = current_app.extensions["sandbox.guards"].faults
    changes = json_object() if request.method == "POST" else {}
    return respond(injector.configure(**changes))


@bp.get("/rate_limit")
@bp.post("/rate_limit")
def rate_limit() -> Response:
    limiter = current_app.extensions["sandbox.guards"].limiter
    changes = json_object() if request.method == "POST" else {}
    return respond(limiter.configure(**changes))


@bp.post("/oauth")
def oauth() -> Response:
    """`{ttl_seconds?, client_id?, client_secret?, refresh_token?, expire_tokens?}`: change the OAuth app."""
    body, state = json_object(), _state()
    for key in ("ttl_seconds", "client_id", "client_secret", "refresh_token"):
        if key in body:
            setattr(state.oauth, key, int(body[key]) if key == "ttl_seconds" else str(body[key]))
    if body.get("expire_tokens"):
        state.expire_access_tokens()
    return respond({"client_id": state.oauth.client_id, "ttl_seconds": state.oauth.ttl_seconds})


@bp.post("/seed")
def seed_route() -> Response:
    body = json_body()
    if not isinstance(body, dict) or not set(body) <= {"owners", "sequences", "properties", "groups", *OBJECT_TYPE_IDS}:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            "seed takes an object with any of: owners, companies, contacts, deals, tasks, notes, sequences, "
            "properties, groups",
        )
    return respond(seed(_state(), body), 201)


def reset_sandbox(app: Flask) -> None:
    """Empty portal (re-seeded with the default owners and sequences), no faults, fresh counters."""
    state: SandboxState = app.extensions["sandbox.state"]
    state.reset()
    if app.extensions["sandbox.seed"]:
        seed_defaults(state)
    state.requests.clear()
    app.extensions["sandbox.guards"].faults.reset()
    app.extensions["sandbox.guards"].limiter.reset()


@bp.post("/reset")
def reset() -> Response:
    reset_sandbox(current_app)  # type: ignore[arg-type]
    return respond({"status": "reset"})
