"""The Flask app factory: the HTTP edge (tracking API, ticket webhooks, admin API, operations routes).

Served by gunicorn in production (`gunicorn -c python:webhooks.gunicorn_conf 'webhooks.app:create_app()'`)
and by `healthloop serve` locally. Only this module maps errors to HTTP status codes: every error,
ours or werkzeug's, answers the same JSON shape `{"error", "detail"}`.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from werkzeug.exceptions import HTTPException

from connector.console.setup import init_console
from connector.errors import AuthenticationError, InputError
from connector.jobs import runtime as runtime_module
from connector.jobs.runtime import Runtime, build_runtime
from connector.store.db import database_problem
from connector.telemetry.logs import bind_request_id, clear_context, new_request_id
from connector.telemetry.metrics import configure_metrics, metrics
from connector.telemetry.outages import Outage

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
REQUEST_ID_HEADER = "X-Request-ID"
_ROUTE_VARIABLE = re.compile(r"<(?:[^>:]*:)?(\w+)>")
"""`/v1/<any(track, ...):call_type>` -> `/v1/<call_type>`: a route template, never the path itself."""
_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


def _error(status: int, code: str, detail: str) -> Response:
    body = {"error": code, "detail": detail}
    if request.path.startswith("/v1/"):
        # The Segment SDKs log `code` and `message` from an error body.
        body |= {"code": code, "message": detail}
    response = jsonify(body)
    response.status_code = status
    return response


def _count_refusal(code: str, status: int) -> None:
    """A request refused as a whole: counted once, by reason (tracking) or outcome (webhooks)."""
    path = request.path
    if path.startswith("/v1/"):
        metrics().events.labels("rejected", code).inc()
    elif path.startswith("/webhooks/"):
        from webhooks.registry import SOURCES

        source = (request.view_args or {}).get("source_name", "")
        outcome = "unauthorized" if status == 401 else "invalid"
        metrics().webhook_deliveries.labels(source if source in SOURCES else "unknown", outcome).inc()


def _register_error_handlers(app: Flask, database: Outage) -> None:
    @app.errorhandler(InputError)
    def _input_error(exc: InputError) -> ResponseReturnValue:
        _count_refusal(exc.code, exc.status)
        if isinstance(exc, AuthenticationError):
            log.info("refused %s %s: %s", request.method, request.path, exc.code)
        return _error(exc.status, exc.code, exc.detail)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        code = (exc.name or "error").lower().replace(" ", "_")
        return _error(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(SATimeoutError)
    def _database_error(exc: SQLAlchemyError) -> ResponseReturnValue:
        problem = database_problem(exc)
        if problem is None:
            return _unexpected(exc)
        if problem.kind == "schema":
            log.error("refused %s %s: %s", request.method, request.path, problem.message)
            response = _error(
                503,
                "schema_not_ready",
                "the server's database is not set up yet (an operator must "
                "run `healthloop db upgrade`); nothing was stored, retry later",
            )
        else:
            database.failed(exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc)
            response = _error(
                503, "storage_unavailable", "the database is not reachable; nothing was stored, retry later"
            )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        return _error(500, "internal_error", "an unexpected error occurred; nothing was acknowledged, retry later")


def _register_request_hooks(app: Flask, database: Outage) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))
        bind_request_id(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        started = g.get("started")
        if started is not None:
            route = _ROUTE_VARIABLE.sub(r"<\1>", request.url_rule.rule) if request.url_rule is not None else "unmatched"
            method = request.method if request.method in _METHODS else "OTHER"
            metrics().request_duration.labels(route, method, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started
            )
        if database.down and response.status_code < 500 and request.endpoint not in _NO_DATABASE:
            database.recovered()
        return response

    @app.teardown_request
    def _clear(_exc: BaseException | None) -> None:
        clear_context()


_NO_DATABASE = frozenset({"ops.healthz", "ops.metrics_endpoint", "ops.openapi", None})


def create_app(rt: Runtime | None = None) -> Flask:
    """Build the web app around `rt` (default: built from the environment, Redis queue)."""
    if rt is None:
        rt = runtime_module.install(build_runtime())
    configure_metrics(rt.settings.metrics_dir, "web")
    app = Flask("healthloop")
    # No automatic OPTIONS answers (an empty text/html 200): this API has no browser clients; 405 JSON.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.extensions["healthloop"] = rt
    app.json.sort_keys = False  # type: ignore[attr-defined]
    database = Outage("database", "requests that need it answer 503 with Retry-After until it is back")
    _register_error_handlers(app, database)
    _register_request_hooks(app, database)

    from webhooks.admin_api import bp as admin_bp
    from webhooks.ops_routes import bp as ops_bp
    from webhooks.registry import SOURCES
    from webhooks.segment.routes import bp as segment_bp
    from webhooks.ticket_routes import bp as tickets_bp

    app.register_blueprint(segment_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(ops_bp)
    init_console(app, rt, {name: (s.secret_setting, s.secret_variable) for name, s in SOURCES.items()})
    return app
