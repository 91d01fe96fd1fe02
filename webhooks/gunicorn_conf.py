"""Gunicorn, made to speak like the app: our log format, an access log without credentials, JSON errors.

Used by `healthloop serve` and, in production, as gunicorn's config module:

    gunicorn -c python:webhooks.gunicorn_conf 'webhooks.app:create_app()'

- `HealthloopLogger`: gunicorn's error and access logs go through the one formatter
  (`HEALTHLOOP_LOG_FORMAT`). The access line carries method, path (never the query string), status,
  duration, size, client address and request id, and never the HTTP Basic user: that is where every
  Segment SDK puts its write key.
- `JsonSyncWorker` / `JsonThreadWorker`: errors gunicorn answers itself, before the app sees the
  request (414 URI too long, 431 header fields too large, 400 malformed request line or header),
  answer the app's JSON shape instead of gunicorn's HTML page. What gunicorn cannot answer: a worker
  killed on `timeout` closes the connection without a response.
- Hooks: the master clears the web tier's metric files at start; `child_exit` forgets a dead worker's
  live gauges (prometheus-client's multi-process mode).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from gunicorn import glogging, util
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from connector.telemetry.logs import configure_logging
from connector.telemetry.metrics import configure_metrics, process_exited

_DETAILS = {
    400: "the request line or a header is malformed",
    403: "the request was refused",
    414: "the URL is too long (at most 4094 bytes); send data in the body, not in the URL",
    417: "the Expect header is not supported",
    431: "too many header fields, or one is too large",
    500: "the server could not handle the request; retry later",
    501: "the transfer coding is not supported",
}


def _json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Replaces gunicorn's HTML error page (`gunicorn.util.write_error`) with the app's JSON shape.

    The request's own text (`mesg`) is not echoed: it may hold a URL with credentials in it.
    """
    body = orjson.dumps({"error": reason.lower().replace(" ", "_"), "detail": _DETAILS.get(status_int, reason)})
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class _JsonErrors:
    def init_process(self) -> None:
        util.write_error = _json_error
        super().init_process()  # type: ignore[misc]


class JsonSyncWorker(_JsonErrors, SyncWorker):
    """gunicorn's sync worker, answering its own errors in JSON."""


class JsonThreadWorker(_JsonErrors, ThreadWorker):
    """gunicorn's threaded worker, answering its own errors in JSON."""


class HealthloopLogger(glogging.Logger):
    """gunicorn's logger on our formatter, with an access line that never names the Basic user."""

    def setup(self, cfg: Any) -> None:
        configure_logging(cfg.loglevel.upper(), _log_format())
        self.error_log.setLevel(cfg.loglevel.upper())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        headers = dict(resp.headers) if isinstance(resp.headers, list) else {}
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else str(resp.status)
        self.access_log.info(
            "request",
            extra={
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "status": int(status) if status.isdigit() else status,
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "bytes": getattr(resp, "sent", None),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "request_id": headers.get("X-Request-ID") or headers.get("x-request-id"),
            },
        )


def _log_format() -> str:
    return "json" if os.environ.get("HEALTHLOOP_LOG_FORMAT", "text").lower() == "json" else "text"


def metrics_root() -> Path:
    """HEALTHLOOP_METRICS_DIR, or a private temporary directory for this server's workers."""
    configured = os.environ.get("HEALTHLOOP_METRICS_DIR")
    if not configured:
        configured = tempfile.mkdtemp(prefix="healthloop-metrics-")
        os.environ["HEALTHLOOP_METRICS_DIR"] = configured  # the workers read it after the fork
    return Path(configured)


def on_starting(_server: Any) -> None:
    configure_metrics(metrics_root(), "web", wipe=True)


def child_exit(_server: Any, worker: Any) -> None:
    process_exited(worker.pid)


# --- settings (gunicorn reads the module's lowercase names) -------------------------------------
logger_class = HealthloopLogger
worker_class = "webhooks.gunicorn_conf.JsonThreadWorker"
threads = 2
workers = 2
accesslog = "-"
timeout = 30
graceful_timeout = 20
control_socket_disable = True  # gunicorn 24+: one shared socket path per user would clash between servers
