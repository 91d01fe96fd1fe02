"""The sandbox's shared control API under `/_sandbox/` (same bearer token, never limited or faulted).

Tests and benchmarks read request counts here, switch faults and rate limits on, and reset the sandbox.
Each CRM adds its own control routes (`hubspot/control_routes.py`, `salesforce/control_routes.py`).
Assembly: may import the shared modules and the HubSpot package; nothing in the CRM packages imports it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request

from crm_adapters.sandbox.http_json import json_object, respond
from crm_adapters.sandbox.hubspot.seeding import seed_defaults
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.request_log import RequestLog

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


def _requests() -> RequestLog:
    return current_app.extensions["sandbox.requests"]  # type: ignore[no-any-return]


@bp.get("/requests")
def request_counts() -> Response:
    return respond(_requests().snapshot())


@bp.delete("/requests")
def clear_requests() -> Response:
    _requests().clear()
    return respond(_requests().snapshot())


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


def reset_sandbox(app: Flask) -> None:
    """Empty portal (re-seeded with the default owners and sequences), no faults, fresh counters."""
    state: SandboxState = app.extensions["sandbox.state"]
    state.reset()
    if app.extensions["sandbox.seed"]:
        seed_defaults(state)
    app.extensions["sandbox.requests"].clear()
    app.extensions["sandbox.guards"].faults.reset()
    app.extensions["sandbox.guards"].limiter.reset()


@bp.post("/reset")
def reset() -> Response:
    reset_sandbox(current_app)  # type: ignore[arg-type]
    return respond({"status": "reset"})
