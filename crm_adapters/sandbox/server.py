"""The sandbox app factory, the request guards (auth, rate limit, faults, request log) and `SandboxServer`.

`SandboxServer` runs the app on a loopback port in a background thread, for tests and the demo;
`healthloop sandbox` serves the same app in the foreground.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from types import TracebackType
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from crm_adapters.sandbox.control import bp as control_bp
from crm_adapters.sandbox.control import reset_sandbox
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
from crm_adapters.sandbox.hubspot.seeding import seed, seed_defaults
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.hubspot.tokens import OAuthApp
from crm_adapters.sandbox.request_log import RequestLog
from crm_adapters.sandbox.salesforce import action_routes, oauth_routes, query_routes, sobject_routes
from crm_adapters.sandbox.salesforce import control_routes as salesforce_control
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.seeding import seed as seed_org
from crm_adapters.sandbox.salesforce.settings import SalesforceCredentials
from crm_adapters.sandbox.tls import SandboxCertificate, create_certificate

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


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log from a background test server."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SandboxServer:
    """The sandbox on 127.0.0.1 in a background thread: `with SandboxServer() as server: server.url`.

    With `tls=True` the same app is also served over HTTPS on a second port (`salesforce_url`), with a
    throwaway CA whose certificate is `ca_file`: simple-salesforce only speaks https to its instance.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: RateLimitConfig | None = None,
        oauth: OAuthApp | None = None,
        fault_seed: int = 0,
        seed: bool = True,
        tls: bool = False,
        tls_port: int = 0,
        salesforce_credentials: SalesforceCredentials | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.salesforce = SalesforceOrg(salesforce_credentials, seed_defaults=seed)
        self.app = create_sandbox_app(
            token, rate_limit=rate_limit, oauth=oauth, fault_seed=fault_seed, seed=seed, salesforce=self.salesforce
        )
        self.state: SandboxState = self.app.extensions["sandbox.state"]
        self.requests: RequestLog = self.app.extensions["sandbox.requests"]
        self.guards: Guards = self.app.extensions["sandbox.guards"]
        self.certificate: SandboxCertificate | None = create_certificate() if tls else None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tls_server: BaseWSGIServer | None = None
        self._tls_thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() or use it as a context manager")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> SandboxServer:
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler)
            # A short poll interval keeps stop() fast (serve_forever checks for shutdown between polls).
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="hubspot-sandbox", daemon=True
            )
            self._thread.start()
        if self.certificate is not None and self._tls_server is None:
            self._tls_server = make_server(
                self.host,
                self.tls_port,
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                ssl_context=self.certificate.server_context(),
            )
            self.app.extensions["salesforce.instance_url"] = f"https://{self.host}:{self._tls_server.server_port}"
            self._tls_thread = threading.Thread(
                target=self._tls_server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="salesforce-sandbox",
                daemon=True,
            )
            self._tls_thread.start()
        return self

    def stop(self) -> None:
        if self._tls_server is not None:
            self._tls_server.shutdown()
            self._tls_server.server_close()
            if self._tls_thread is not None:
                self._tls_thread.join(timeout=5)
            self._tls_server = self._tls_thread = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """error_rate (0..1), latency_ms, burst, fail_after_commit, seed; returns the resulting settings."""
        return self.guards.faults.configure(**changes)

    def set_rate_limit(self, **changes: Any) -> dict[str, Any]:
        """max_requests, interval_ms, search_per_second, daily (None or 0 disables); returns the settings."""
        return self.guards.limiter.configure(**changes)

    def set_token_ttl(self, seconds: int) -> None:
        """Lifetime of access tokens issued from now on by POST /oauth/v1/token."""
        self.state.oauth.ttl_seconds = seconds

    def expire_tokens(self) -> None:
        """Make every OAuth-issued access token expired (the configured token keeps working)."""
        self.state.tokens.expire_all()

    def request_counts(self) -> dict[str, Any]:
        return self.requests.snapshot()

    def reset(self) -> None:
        """Empty portal and org (re-seeded with their defaults), no faults, fresh counters."""
        reset_sandbox(self.app)
        self.salesforce.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Bulk-create owners, records and sequences (the POST /_sandbox/seed payload); returns their ids."""
        return seed(self.state, payload)

    # ---- Salesforce ---------------------------------------------------------------------------

    @property
    def salesforce_url(self) -> str:
        """`https://127.0.0.1:<port>`: the instance URL (and login URL) of the Salesforce org."""
        if self._tls_server is None:
            raise RuntimeError("Salesforce needs HTTPS: create the server with tls=True and start it")
        return f"https://{self.host}:{self._tls_server.server_port}"

    @property
    def ca_file(self) -> str:
        """PEM file of the CA that signed the HTTPS certificate (`requests.Session().verify = ca_file`)."""
        if self.certificate is None:
            raise RuntimeError("no TLS: create the server with tls=True")
        return self.certificate.ca_file

    def seed_salesforce(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Bulk-create users, accounts, contacts, opportunities, tasks, cadences, custom_fields; returns ids."""
        return seed_org(self.salesforce, payload)

    def salesforce_state(self, sobject: str | None = None) -> dict[str, Any]:
        return self.salesforce.dump(sobject)

    def configure_salesforce(self, **changes: Any) -> dict[str, Any]:
        """page_size, daily_limit, session_ttl_seconds, sales_engagement, or a credential (jwt_public_key, ...)."""
        return self.salesforce.configure(**changes)

    def expire_sessions(self) -> None:
        """Make every issued Salesforce session expired (the next REST call answers 401 INVALID_SESSION_ID)."""
        self.salesforce.access.expire_sessions()

    def issue_salesforce_session(self) -> str:
        """A valid session id without the token endpoint (the tests of the OAuth flow use the endpoint)."""
        return self.salesforce.access.issue_session()
