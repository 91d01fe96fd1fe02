"""The Salesforce org's control routes under `/_sandbox/salesforce/` (the sandbox token, checked by the
app's guards; never metered or faulted): state, seed, settings, expiring sessions, reset, and finishing a
cadence tracker as Sales Engagement would.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.http import json_object, json_payload, org
from crm_adapters.sandbox.salesforce.seeding import seed

bp = Blueprint("salesforce_control", __name__, url_prefix="/_sandbox/salesforce")


@bp.errorhandler(SalesforceApiError)
def _api_error(exc: SalesforceApiError) -> Response:
    return respond(exc.body(), exc.status)


@bp.get("/state")
def control_state() -> Response:
    return respond(org().dump(request.args.get("object") or None))


@bp.post("/seed")
def control_seed() -> Response:
    return respond(seed(org(), json_object()), 201)


@bp.get("/settings")
@bp.post("/settings")
def control_settings() -> Response:
    """`{page_size?, daily_limit?, session_ttl_seconds?, sales_engagement?, username?, password?, ...}`."""
    changes = json_object() if request.method == "POST" else {}
    return respond(org().configure(**changes))


@bp.post("/expire_sessions")
def control_expire_sessions() -> Response:
    org().access.expire_sessions()
    return respond({"expired": True})


@bp.post("/reset")
def control_reset() -> Response:
    org().reset()
    return respond({"status": "reset"})


@bp.post("/cadence_trackers/<tracker_id>/finish")
def control_finish_tracker(tracker_id: str) -> Response:
    """`{reason?: NoMoreSteps, disposition?: "Customer Engaged", state?: Complete}`: end a cadence for a target."""
    body = json_payload() or {}
    options = {key: body[key] for key in ("reason", "disposition", "state") if key in body}
    record = org().finish_tracker(tracker_id, **options)
    return respond(record.values)
