"""Operations routes: liveness, readiness, Prometheus metrics and the OpenAPI document.

- `/healthz` is liveness only: it touches nothing, so it answers while the database hangs.
- `/readyz` checks the database and that its schema is at the latest migration (naming
  `healthloop db upgrade` when it is not): 503 when either fails, so a load balancer stops sending
  traffic that could only be refused. A Redis outage is reported as `degraded` with 200: ingestion
  keeps working (events are stored in SQL and the sweeper enqueues them once Redis is back).
- `/metrics` (Prometheus text) needs `Authorization: Bearer HEALTHLOOP_ADMIN_TOKEN`, like `/api/`.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from connector.jobs.live_metrics import LiveMetrics
from connector.jobs.runtime import Runtime
from connector.store.db import UPGRADE_FIX, database_problem, reader, schema_state
from connector.telemetry.metrics import exposition
from webhooks.admin_api import require_admin
from webhooks.openapi import openapi_document

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


def _database_check(rt: Runtime) -> tuple[bool, str]:
    try:
        with reader(rt.engine).connect() as connection:
            connection.execute(text("SELECT 1"))
        current, latest = schema_state(rt.engine)
    except SQLAlchemyError as exc:
        problem = database_problem(exc)
        return False, f"{problem.kind}: {problem.message}" if problem else f"error ({type(exc).__name__})"
    if current != latest:
        state = "no schema" if current is None else f"schema at {current}"
        return False, f"{state}, latest is {latest}: {UPGRADE_FIX}"
    return True, f"ok (schema {current})"


def _queue_check(rt: Runtime) -> tuple[bool, str]:
    if rt.redis is None:
        return True, f"ok ({rt.queue.name})"
    try:
        rt.redis.ping()
    except (RedisError, OSError) as exc:
        return False, (
            f"unreachable ({type(exc).__name__}): events are still stored; rescoring waits until Redis is back "
            "and the sweeper enqueues it"
        )
    return True, "ok (redis)"


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    rt: Runtime = current_app.extensions["healthloop"]
    database_ok, database = _database_check(rt)
    queue_ok, queue = _queue_check(rt)
    status = "ready" if database_ok and queue_ok else ("degraded" if database_ok else "not_ready")
    return jsonify(status=status, checks={"database": database, "queue": queue}), 200 if database_ok else 503


@bp.get("/metrics")
def metrics_endpoint() -> ResponseReturnValue:
    rt: Runtime = current_app.extensions["healthloop"]
    require_admin(rt)
    return Response(exposition([LiveMetrics(rt)]), mimetype="text/plain; version=0.0.4; charset=utf-8")


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())
