"""The HubSpot portal's control routes under `/_sandbox/` (the sandbox token; never limited or faulted).

Tests and the demo read the portal's state, seed it in one call, and change or expire its OAuth app here;
the shared routes (request counts, faults, rate limits, reset) are in `crm_adapters/sandbox/control.py`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.http_json import json_body, json_object, respond
from crm_adapters.sandbox.hubspot.http import sandbox_state
from crm_adapters.sandbox.hubspot.object_types import OBJECT_TYPE_IDS, canonical_type
from crm_adapters.sandbox.hubspot.seeding import seed

bp = Blueprint("hubspot_control", __name__, url_prefix="/_sandbox")


@bp.get("/state")
def dump_state() -> Response:
    object_type = request.args.get("object")
    return respond(sandbox_state().dump(canonical_type(object_type) if object_type else None))


@bp.post("/oauth")
def oauth() -> Response:
    """`{ttl_seconds?, client_id?, client_secret?, refresh_token?, expire_tokens?}`: change the OAuth app."""
    body, state = json_object(), sandbox_state()
    for key in ("ttl_seconds", "client_id", "client_secret", "refresh_token"):
        if key in body:
            setattr(state.oauth, key, int(body[key]) if key == "ttl_seconds" else str(body[key]))
    if body.get("expire_tokens"):
        state.tokens.expire_all()
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
    return respond(seed(sandbox_state(), body), 201)
