"""Logging for every process (web, gunicorn, worker, CLI) in one format: `text` (logfmt) or `json`.

Our modules keep using the standard library's `logging.getLogger(__name__)`; structlog's
`ProcessorFormatter` renders every record, ours and the libraries' (gunicorn, rq, alembic), with
the same keys. A request id bound in the web process rides into the jobs it enqueues (RQ job
meta) and is bound again while the job runs, so one id follows an event from HTTP to the CRM.
"""

from __future__ import annotations

import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import structlog

LogFormat = Literal["text", "json"]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
QUIET_LOGGERS = {
    "alembic": "WARNING",  # "Context impl ..." on every command that looks at the schema
    "urllib3": "WARNING",
    "hubspot": "WARNING",
    "simple_salesforce": "WARNING",
}


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]


def _renderer(fmt: LogFormat) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer()
    return structlog.processors.LogfmtRenderer(key_order=["time", "level", "logger", "event"], bool_as_flag=False)


def logging_config(level: str = "INFO", fmt: LogFormat = "text") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary: one stderr handler, our formatter, quiet libraries."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "healthloop": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared_processors(),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _renderer(fmt),
                ],
            }
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "healthloop", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # gunicorn's own loggers carry no handlers of their own: everything goes through the root's.
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            "rq.worker": {"level": level.upper(), "handlers": [], "propagate": True},
            **{name: {"level": quiet, "propagate": True} for name, quiet in QUIET_LOGGERS.items()},
        },
    }


def configure_logging(level: str = "INFO", fmt: LogFormat = "text") -> None:
    """Install the one format on the root logger of this process (safe to call again)."""
    logging.config.dictConfig(logging_config(level, fmt))
    logging.captureWarnings(True)


def new_request_id(given: str | None = None) -> str:
    """The caller's X-Request-ID when it is a plausible id, else a fresh one."""
    if given and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


@contextmanager
def job_context(job_id: str | None, request_id: str | None) -> Iterator[None]:
    """Bind a job's id (and the id of the request that asked for it) to every line it logs."""
    values = {key: value for key, value in (("job_id", job_id), ("request_id", request_id)) if value}
    with structlog.contextvars.bound_contextvars(**values):
        yield
