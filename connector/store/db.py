"""Database engine, sessions and migrations (the `healthloop db` commands live in connector/cli/db.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import Session, sessionmaker

from connector.store.sqlite_lock import WriterLockingConnection, writer_locking_connection

MIGRATIONS = Path(__file__).parent / "migrations"
_READ_ONLY = "healthloop_read_only"
CONNECT_TIMEOUT_SECONDS = 3.0
"""How long opening a PostgreSQL connection may take (the whole handshake, not just TCP): a database
that accepts connections and never answers fails a request in seconds, not minutes."""
STATEMENT_TIMEOUT_SECONDS = 30.0
"""How long one PostgreSQL statement may run (server side); locks are waited for at most this long too."""
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(
    database_url: str,
    *,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    statement_timeout: float | None = STATEMENT_TIMEOUT_SECONDS,
    **kwargs: Any,
) -> Engine:
    """An engine tuned for our workload: see `_tune_sqlite`; on PostgreSQL pre-ping, and a timeout on
    every connection (`connect_timeout`), every statement and lock wait (`statement_timeout`, None for
    none: migrations) and every wait for a pooled connection."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        factory = writer_locking_connection(f"{path}-writer.lock") if path and path != ":memory:" else None
        connect_args: dict[str, Any] = {
            "timeout": statement_timeout or SQLITE_BUSY_TIMEOUT_SECONDS,
            "isolation_level": None,
            "check_same_thread": False,
        }
        if factory is not None:
            connect_args["factory"] = factory
        engine = create_engine(
            database_url,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args=connect_args,
            **kwargs,
        )
        _tune_sqlite(engine)
        return engine
    # psycopg applies connect_timeout to the whole connection attempt (at least 2 s), handshake included.
    pg_args: dict[str, Any] = {"connect_timeout": max(2, round(connect_timeout))}
    if statement_timeout:
        milliseconds = int(statement_timeout * 1000)
        pg_args["options"] = f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}"
    kwargs.setdefault("pool_timeout", connect_timeout + 2)
    engine = create_engine(
        database_url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_pre_ping=True,
        connect_args=pg_args | kwargs.pop("connect_args", {}),
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _fast_json(dbapi_connection: Any, _record: Any) -> None:
        # Rows read straight from the driver (the scoring hot path) decode JSONB with orjson too.
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads, dbapi_connection)

    return engine


def _tune_sqlite(engine: Engine) -> None:
    """WAL, durable commits, and write transactions that take their locks up front."""

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed (acknowledged) event survives power loss, not just a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoint every ~40 MB of WAL instead of 4 MB: hot index pages rewritten by many
        # commits are copied into the database once per checkpoint, not once per few commits.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB page cache per connection
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that reads then writes can
        # fail with SQLITE_BUSY instead of waiting when another process committed in between.
        # Readers (see `reader`) stay deferred so they never queue behind writers (WAL).
        if connection.get_execution_options().get(_READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        if isinstance(dbapi_connection, WriterLockingConnection):
            dbapi_connection.acquire_writer_lock()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            if isinstance(dbapi_connection, WriterLockingConnection):
                dbapi_connection.release_writer_lock()
            raise


def reader(engine: Engine) -> Engine:
    """The same engine for read-only work: on SQLite its transactions take no write lock."""
    return engine.execution_options(**{_READ_ONLY: True})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to `revision` ("base" removes every table)."""
    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with reader(engine).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    script = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))
    return script.get_current_head()


UPGRADE_FIX = "run `healthloop db upgrade`"


@dataclass(frozen=True)
class DatabaseProblem:
    """Why a database call failed, for people: `kind` is `unreachable` or `schema`; `message` names the fix."""

    kind: str
    message: str


def _schema_missing(text: str) -> bool:
    lowered = text.lower()
    return any(
        marker in lowered
        for marker in ("no such table", "no such column", "undefinedtable", "undefinedcolumn", "does not exist")
    ) and ("relation" in lowered or "column" in lowered or "no such" in lowered)


def database_problem(exc: BaseException, url: str | None = None) -> DatabaseProblem | None:
    """Classify a SQLAlchemy error as an unreachable database or a missing/old schema; None for anything else."""
    where = f" at {make_url(url).render_as_string(hide_password=True)}" if url else ""
    if isinstance(exc, SATimeoutError):
        return DatabaseProblem(
            "unreachable", f"no database connection came free in time{where}; it is overloaded or hung"
        )
    if not isinstance(exc, DBAPIError):
        return None
    original = exc.orig if exc.orig is not None else exc
    text = f"{type(original).__name__}: {original}"
    if _schema_missing(text):
        return DatabaseProblem(
            "schema", f"the database{where} has no healthloop schema, or an older one: {UPGRADE_FIX}"
        )
    if isinstance(exc, OperationalError | InterfaceError):
        lines = [line.strip() for line in str(original).splitlines() if line.strip()]
        reason = lines[0].rsplit(": ", 1)[-1][:160] if lines else type(original).__name__
        return DatabaseProblem(
            "unreachable",
            f"the database{where} is not reachable ({reason}); check HEALTHLOOP_DATABASE_URL and that the server is up",
        )
    return None


def schema_state(engine: Engine) -> tuple[str | None, str | None]:
    """(applied revision, latest revision); the applied one is None on an empty database."""
    return current_revision(engine), head_revision()
