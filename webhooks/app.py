"""The Flask app factory: the HTTP edge (tracking API, ticket webhooks, health checks).

Served by gunicorn in production (`gunicorn 'webhooks.app:create_app()'`) and by
`healthloop serve` locally. Only this module maps errors to HTTP status codes.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from connector.console.setup import init_console
from connector.errors import InputError
from connector.jobs import runtime as runtime_module
from connector.jobs.runtime import Runtime, build_runtime
from connector.store.db import reader

log = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str) -> Response:
    body = {"error": code, "detail": detail}
    if request.path.startswith("/v1/"):
        # The Segment SDKs log `code` and `message` from an error body.
        body |= {"code": code, "message": detail}
    response = jsonify(body)
    response.status_code = status
    return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(InputError)
    def _input_error(exc: InputError) -> ResponseReturnValue:
        return _error(exc.status, exc.code, exc.detail)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        code = (exc.name or "error").lower().replace(" ", "_")
        return _error(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: DBAPIError) -> ResponseReturnValue:
        log.error("database unavailable while handling %s: %s", request.path, type(exc.orig).__name__)
        response = _error(503, "storage_unavailable", "the database is not reachable; nothing was stored, retry later")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unexpected error while handling %s", request.path)
        return _error(500, "internal_error", "an unexpected error occurred; nothing was acknowledged, retry later")


def create_app(rt: Runtime | None = None) -> Flask:
    """Build the web app around `rt` (default: built from the environment, Redis queue)."""
    if rt is None:
        rt = runtime_module.install(build_runtime())
    app = Flask("healthloop")
    app.extensions["healthloop"] = rt
    app.json.sort_keys = False  # type: ignore[attr-defined]
    _register_error_handlers(app)

    from webhooks.admin_api import bp as admin_bp
    from webhooks.registry import SOURCES
    from webhooks.segment.routes import bp as segment_bp
    from webhooks.ticket_routes import bp as tickets_bp

    app.register_blueprint(segment_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(admin_bp)
    init_console(app, rt, {name: (s.secret_setting, s.secret_variable) for name, s in SOURCES.items()})

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        checks: dict[str, str] = {}
        try:
            with reader(rt.engine).connect() as connection:
                connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except SQLAlchemyError as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        if rt.redis is None:
            checks["queue"] = f"ok ({rt.queue.name})"
        else:
            try:
                rt.redis.ping()
                checks["queue"] = "ok (redis)"
            except (RedisError, OSError) as exc:
                checks["queue"] = f"unreachable ({type(exc).__name__})"
        ready = all(value.startswith("ok") for value in checks.values())
        return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503

    return app
