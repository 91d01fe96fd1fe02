"""The process-wide wiring (settings, config, database, queue), built once and never at import time."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config.settings import Settings, load_settings
from connector.config.yaml_config import Config, load_config
from connector.crm.wiring import build_adapter
from connector.ingest.product_events import KnownRows
from connector.jobs.work_queue import QUEUE_NAME, InProcessWorkQueue, RedisWorkQueue, WorkQueue
from connector.store.db import make_engine, make_sessionmaker, reader
from connector.telemetry.metrics import metrics
from crm_adapters.base import CrmAdapter

log = logging.getLogger(__name__)

QueueMode = Literal["redis", "in-process", "auto"]
R = TypeVar("R", "Runtime", None)


@dataclass
class Runtime:
    settings: Settings
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    queue: WorkQueue
    redis: Redis | None
    known: KnownRows = field(default_factory=KnownRows)
    """Rows this process knows exist (skips no-op upserts on steady traffic)."""

    _crm: object | None = None

    @property
    def crm_enabled(self) -> bool:
        return self.settings.crm != "none"

    def crm_adapter(self) -> CrmAdapter:
        """This process's CRM adapter (built once; its rate limiter is shared through Redis)."""
        if self._crm is None:
            adapter = build_adapter(
                self.settings, self.config, redis_url=self.settings.redis_url if self.redis is not None else None
            )
            calls = metrics().crm_calls
            adapter.usage.on_call = lambda kind, status: calls.labels(adapter.name, kind, status).inc()
            self._crm = adapter
        return self._crm  # type: ignore[return-value]

    @property
    def readers(self) -> sessionmaker[Session]:
        """Read-only sessions (on SQLite they take no write lock)."""
        return make_sessionmaker(reader(self.engine))

    def close(self) -> None:
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


_current: Runtime | None = None


def redis_reachable(redis: Redis) -> bool:
    try:
        return bool(redis.ping())
    except (RedisError, OSError):
        return False


def build_runtime(
    settings: Settings | None = None, *, queue_mode: QueueMode = "redis", queue_name: str = QUEUE_NAME
) -> Runtime:
    """Wire everything from settings. `auto` falls back to an in-process queue without Redis."""
    settings = settings or load_settings()
    config = load_config(settings.config_path)
    engine = engine_for(settings)
    sessions = make_sessionmaker(engine)
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    queue: WorkQueue
    if queue_mode == "in-process" or (queue_mode == "auto" and not redis_reachable(redis)):
        if queue_mode == "auto":
            log.warning(
                "Redis is not reachable at %s; using an in-process queue (fine for the demo, "
                "not for production: start Redis and `healthloop worker`)",
                _redacted(settings.redis_url),
            )
        redis.close()
        redis = None
        queue = InProcessWorkQueue()
    else:
        queue = RedisWorkQueue(redis, queue_name)
    return Runtime(settings, config, engine, sessions, queue, redis)


def engine_for(settings: Settings) -> Engine:
    """The database engine with the deployment's connection and statement timeouts."""
    return make_engine(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
    )


def _redacted(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def install(runtime: R) -> R:
    """Make `runtime` the one `current()` returns in this process (jobs use it); None resets."""
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    """This process's runtime, built from the environment on first use (the RQ worker path)."""
    global _current
    if _current is None:
        _current = build_runtime()
    return _current


@contextmanager
def open_database(settings: Settings | None = None) -> Iterator[sessionmaker[Session]]:
    """Read-only sessions on the configured database, for CLI commands that only look."""
    settings = settings or load_settings()
    engine = engine_for(settings)
    try:
        yield make_sessionmaker(reader(engine))
    finally:
        engine.dispose()


def _after_fork_in_child() -> None:
    # A forked RQ work-horse must not share the parent's pooled database connections.
    if _current is not None:
        _current.engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)
