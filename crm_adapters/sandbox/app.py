"""The sandbox app factory: one Flask app serving the HubSpot portal and the Salesforce org, with the
HubSpot request guards (auth, rate limit, faults), the request log and the control API.

Assembly: it imports the shared modules and both CRM packages, and nothing in them imports it.
`server.SandboxServer` runs this app in a background thread; `healthloop sandbox` in the foreground.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from crm_adapters.sandbox.control import bp as control_bp
from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.faults import FaultInjector, RateLimitConfig, RateLimiter, rate_limit_error, server_error
from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.hubspot import (
    association_routes,
    object_routes,
    portal_routes,
    property_routes,
    sequence_routes,
)
from crm_adapters.sandbox.hubspot import control_routes as hubspot_control
from crm_adapters.sandbox.hubspot.seeding import seed_defaults
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.hubspot.tokens import OAuthApp
from crm_adapters.sandbox.request_log import RequestLog
from crm_adapters.sandbox.salesforce import action_routes, oauth_routes, query_routes, sobject_routes
from crm_adapters.sandbox.salesforce import control_routes as salesforce_control
from crm_adapters.sandbox.salesforce.org import SalesforceOrg

log = logging.getLogger(__name__)
DEFAULT_TOKEN = "sandbox-token"
_HUBSPOT_ROUTES = (object_routes, property_routes, portal_routes, association_routes, sequence_routes)
_HUBSPOT_BLUEPRINTS = tuple(module.bp.name for module in _HUBSPOT_ROUTES)
# The Salesforce blueprints guard themselves (sessions, API allocation, faults): `salesforce/http.py`.
_SALESFORCE_ROUTES = (sobject_routes, oauth_routes, query_routes, action_routes)
# Control routes: the sandbox token, never limited or faulted.
_CONTROL_BLUEPRINTS = (control_bp.name, hubspot_control.bp.name, salesforce_control.bp.name)
_UNAUTHENTICATED = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class Guards:
    """The per-app rate limiter and fault injector (control routes bypass both)."""

    def __init__(self, rate_limit: RateLimitConfig | None = None, fault_seed: int = 0) -> None:
        self.limiter = RateLimiter(rate_limit)
        self.faults = FaultInjector(fault_seed)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _authenticate(app: Flask) -> str:
    """The rate-limit key of the caller: the private-app token, or the OAuth app for issued tokens."""
    token = _bearer()
    if token and token == app.extensions["sandbox.token"]:
        return "private-app"
    status = app.extensions["sandbox.state"].tokens.status(token) if token else "unknown"
    if status == "valid":
        return "oauth-app"
    if status == "expired":
        raise SandboxError(
            401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired; refresh it and retry."
        )
    raise SandboxError(401, "INVALID_AUTHENTICATION", _UNAUTHENTICATED)


def _route_key() -> str:
    """`METHOD /path`, object types filled in and ids as `{name}`: `PATCH /crm/v3/objects/tasks/{object_id}`."""
    rule = request.url_rule
    if rule is None:
        return f"{request.method} (no such route)"
    values = request.view_args or {}

    def fill(match: re.Match[str]) -> str:  # `<name>` or `<converter:name>`
        name = match.group(1)
        return str(values.get(name, name)) if name.endswith("type") else "{" + name + "}"

    return f"{request.method} {re.sub(r'<(?:[^:<>]+:)?([^:<>]+)>', fill, rule.rule)}"


def _install_guards(app: Flask) -> None:
    @app.before_request
    def _guard() -> Response | None:
        if request.blueprint in _CONTROL_BLUEPRINTS:
            _authenticate(app)
            return None
        if request.blueprint not in _HUBSPOT_BLUEPRINTS:
            return None  # no route: werkzeug's 404/405 is rendered below
        guards: Guards = app.extensions["sandbox.guards"]
        if request.endpoint != "hubspot_portal.oauth_token":
            key = _authenticate(app)
            verdict = guards.limiter.check(key, search=request.endpoint == "hubspot.search")
            g.rate_headers = verdict.headers
            if not verdict.allowed:
                response = respond(rate_limit_error(verdict).body(), 429)
                if verdict.policy != "DAILY":  # hours away: a client honouring it would just hang
                    response.headers["Retry-After"] = str(verdict.retry_after_s)
                return response
        if guards.faults.latency_s:
            time.sleep(guards.faults.latency_s)
        injected = guards.faults.draw()
        if injected is not None:
            if not guards.faults.config.fail_after_commit:
                raise server_error(injected)
            g.fail_after_commit = injected  # run the request, then lose its response
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        if request.blueprint in _CONTROL_BLUEPRINTS:
            return response
        injected = g.pop("fail_after_commit", None)
        if injected is not None and response.status_code < 500:
            response = respond(server_error(injected).body(), injected)
        for name, value in g.get("rate_headers", {}).items():
            response.headers[name] = value
        app.extensions["sandbox.requests"].record(_route_key(), response.status_code)
        return response


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(SandboxError)
    def _sandbox_error(exc: SandboxError) -> Response:
        return respond(exc.body(), exc.status)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 404:
            error = SandboxError(404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path} here")
        elif status == 405:
            error = SandboxError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}")
        else:
            error = SandboxError(status, "VALIDATION_ERROR", exc.description or exc.name)
        return respond(error.body(), status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("sandbox failed on %s %s", request.method, request.path)
        return respond(SandboxError(500, "INTERNAL_ERROR", f"sandbox bug: {type(exc).__name__}: {exc}").body(), 500)


def create_sandbox_app(
    token: str = DEFAULT_TOKEN,
    *,
    state: SandboxState | None = None,
    rate_limit: RateLimitConfig | None = None,
    oauth: OAuthApp | None = None,
    fault_seed: int = 0,
    seed: bool = True,
    salesforce: SalesforceOrg | None = None,
    salesforce_instance_url: str | None = None,
) -> Flask:
    """A sandbox portal accepting `token` (and tokens its OAuth endpoint issues), seeded with owners and sequences.

    The same app serves the Salesforce org (`/services/...`, its own sessions); serve it over HTTPS.
    """
    if not token:
        raise ValueError("the sandbox needs a non-empty access token")
    app = Flask("healthloop_sandbox")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if state is None:
        state = SandboxState(oauth)
        if seed:
            seed_defaults(state)
    app.extensions["sandbox.token"] = token
    app.extensions["sandbox.state"] = state
    app.extensions["sandbox.requests"] = RequestLog()
    app.extensions["sandbox.guards"] = Guards(rate_limit, fault_seed)
    app.extensions["sandbox.seed"] = seed
    for module in _HUBSPOT_ROUTES:
        app.register_blueprint(module.bp)
    app.register_blueprint(control_bp)
    app.register_blueprint(hubspot_control.bp)
    app.extensions["salesforce.org"] = salesforce or SalesforceOrg(seed_defaults=seed)
    app.extensions["salesforce.instance_url"] = salesforce_instance_url
    for module in _SALESFORCE_ROUTES:
        app.register_blueprint(module.bp)
    app.register_blueprint(salesforce_control.bp)
    _install_guards(app)
    _install_error_handlers(app)
    return app
