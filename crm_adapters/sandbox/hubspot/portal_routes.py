"""What the portal answers about itself: owners (its users), deal pipelines and their stages, and the OAuth
token endpoint (refresh-token grants; healthloop never runs the browser half of the flow).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, request

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.hubspot.http import cursor_arg, int_arg, sandbox_state
from crm_adapters.sandbox.hubspot.object_types import canonical_type

bp = Blueprint("hubspot_portal", __name__)


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
    return respond(sandbox_state().tokens.issue())


def _correlation_id() -> str:
    return str(uuid.uuid4())
