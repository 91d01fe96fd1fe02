"""Shared fixtures: real SQLite and PostgreSQL databases, real Redis, the real app over real HTTP.

Storage tests take the `database_url` fixture, which runs them once per backend. PostgreSQL
gets a fresh database per test session (and per xdist worker); Redis a scratch database
number, flushed before and after each test, as rq's own suite does.
"""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Engine, create_engine, text
from werkzeug.serving import make_server

from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.jobs.runtime import Runtime, install
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import make_engine, make_sessionmaker, upgrade
from connector.store.models import Base
from scoring.rules import ScoringRules

POSTGRES_ADMIN_URL = os.environ.get("HEALTHLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("HEALTHLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
WRITE_KEY = "test-write-key"
SECRETS = {
    "zendesk_webhook_secret": "zendesk-test-secret",
    "intercom_client_secret": "intercom-test-secret",
    "freshdesk_webhook_secret": "freshdesk-test-secret",
    "hubspot_client_secret": "hubspot-test-secret",
    "webhook_secret": "generic-test-secret",
}


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "healthloop-test.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"hl_test_{_worker_index()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_ENGINES: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


def _empty(engine: Engine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once on SQLite and once on PostgreSQL, each starting empty."""
    url = request.getfixturevalue(f"{request.param}_url" if request.param == "sqlite" else "postgres_url")
    _empty(_engine_for(url))
    yield url


@pytest.fixture
def engine(database_url: str) -> Engine:
    return _engine_for(database_url)


@pytest.fixture
def redis_url() -> str:
    return f"{REDIS_BASE_URL}/{15 - _worker_index() % 15}"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url, write_keys=f"other-key,{WRITE_KEY}", **SECRETS)


NO_CONTROL = ScoringRules.model_validate({"playbook": {"control_share": 0}})
"""Scoring rules without a control group: which interventions the hash holds back changes with the day,
so tests that follow one intervention to Slack or the CRM pin it off (the control group has its own tests)."""


@pytest.fixture
def config() -> Config:
    return Config(scoring=NO_CONTROL)


@pytest.fixture
def runtime(settings: Settings, engine: Engine, redis_client: Redis, config: Config) -> Iterator[Runtime]:
    """The production wiring (RQ on real Redis), installed as this process's runtime."""
    rt = Runtime(settings, config, engine, make_sessionmaker(engine), RedisWorkQueue(redis_client), redis_client)
    install(rt)
    yield rt
    install(None)


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from webhooks.app import create_app

    return create_app(runtime)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def auth_headers() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a real loopback port (for the official client libraries)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


FIXTURES = Path(__file__).parent / "fixtures"
