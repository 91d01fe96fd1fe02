"""Faults are ridden out, not escalated: a hung or missing database, a missing schema, Redis and
database restarts under a running worker, and what the CLI says about them. Real processes throughout.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from connector.config.settings import Settings
from connector.jobs.runtime import Runtime, build_runtime, install
from connector.store.db import make_engine, make_sessionmaker, upgrade
from connector.store.models import AccountScore, DirtyAccountDay, Event
from tests.conftest import WRITE_KEY, _empty, _engine_for
from tests.integration.processes import (
    Healthloop,
    RedisServer,
    SilentDatabase,
    TcpProxy,
    free_port,
    run_cli,
    wait_for,
)

pytestmark = pytest.mark.integration

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


def track(account: str, message_id: str) -> dict:
    return {"userId": f"{account}-u1", "event": "Signed In", "messageId": message_id, "context": {"groupId": account}}


@pytest.fixture
def installed() -> Iterator[list[Runtime]]:
    """Runtimes a test builds, installed while it runs and closed after it."""
    built: list[Runtime] = []
    yield built
    install(None)
    for rt in built:
        rt.close()


def app_for(settings: Settings, installed: list[Runtime]):  # type: ignore[no-untyped-def]
    from webhooks.app import create_app

    rt = install(build_runtime(settings))
    installed.append(rt)
    return create_app(rt).test_client()


def test_a_hung_database_answers_json_503_with_retry_after_in_under_five_seconds(installed):
    silent = SilentDatabase()
    try:
        settings = Settings(
            database_url=f"postgresql://healthloop@127.0.0.1:{silent.port}/healthloop",
            redis_url=f"redis://127.0.0.1:{free_port()}/0",
            write_keys=WRITE_KEY,
        )
        client = app_for(settings, installed)
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 0.5, "liveness must not touch the database"
        for path, call in (("/v1/track", client.post), ("/readyz", client.get)):
            started = time.monotonic()
            response = call(path, json=track("acct_hung", "m1"), headers=AUTH) if path != "/readyz" else call(path)
            elapsed = time.monotonic() - started
            assert elapsed < 5, f"{path} took {elapsed:.1f} s"
            assert response.status_code == 503
            assert response.mimetype == "application/json"
        track_response = client.post("/v1/track", json=track("acct_hung", "m2"), headers=AUTH)
        assert track_response.headers["Retry-After"] == "5"
        assert track_response.get_json()["error"] == "storage_unavailable"
        assert silent.accepted, "the test database never saw a connection"
    finally:
        silent.close()


def test_a_database_without_the_schema_is_not_ready_and_names_the_upgrade(tmp_path, installed):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        write_keys=WRITE_KEY,
    )
    client = app_for(settings, installed)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "healthloop db upgrade" in ready.get_json()["checks"]["database"]
    refused = client.post("/v1/track", json=track("acct_1", "m1"), headers=AUTH)
    assert refused.status_code == 503
    assert refused.get_json()["error"] == "schema_not_ready"
    assert "healthloop db upgrade" in refused.get_json()["detail"]
    assert refused.headers["Retry-After"]


def test_a_redis_outage_is_degraded_not_unready_and_ingestion_keeps_working(tmp_path, installed):
    url = f"sqlite:///{tmp_path / 'ok.db'}"
    upgrade(make_engine(url))
    settings = Settings(database_url=url, redis_url=f"redis://127.0.0.1:{free_port()}/0", write_keys=WRITE_KEY)
    client = app_for(settings, installed)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["queue"].startswith("unreachable")
    stored = client.post("/v1/track", json=track("acct_1", "m1"), headers=AUTH)
    assert stored.status_code == 200 and stored.get_json()["stored"] == 1


def _one_line_error(result, fix: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fix in lines[0], lines[0]


@pytest.mark.parametrize("command", [["status"], ["accounts", "list"], ["score", "--all"], ["db", "current"]])
def test_cli_commands_on_a_database_without_the_schema_say_run_db_upgrade(tmp_path, command):
    env = {"PATH": "/usr/bin:/bin", "HEALTHLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = run_cli(command, env, tmp_path)
    if command == ["db", "current"]:
        assert result.returncode == 0 and "healthloop db upgrade" in result.stdout
        return
    _one_line_error(result, "run `healthloop db upgrade`")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["status"], ["accounts", "list"]])
def test_cli_commands_on_an_unreachable_or_hung_database_print_one_line_with_the_fix(tmp_path, command):
    silent = SilentDatabase()
    try:
        for port in (free_port(), silent.port):
            env = {
                "PATH": "/usr/bin:/bin",
                "HEALTHLOOP_DATABASE_URL": f"postgresql://healthloop:hunter2@127.0.0.1:{port}/healthloop",
            }
            started = time.monotonic()
            result = run_cli(command, env, tmp_path)
            assert time.monotonic() - started < 15
            _one_line_error(result, "check HEALTHLOOP_DATABASE_URL and that the server is up")
            assert "hunter2" not in result.stderr
    finally:
        silent.close()


# --- the worker through outages ------------------------------------------------------------------


def worker_env(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HEALTHLOOP_DATABASE_URL": database_url,
        "HEALTHLOOP_REDIS_URL": redis_url,
        "HEALTHLOOP_SWEEP_INTERVAL_SECONDS": "5",
        "HEALTHLOOP_LOG_FORMAT": "json",
        "HEALTHLOOP_WORKER_HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
        "HEALTHLOOP_METRICS_DIR": str(tmp_path / "metrics"),
    }


def log_events(worker: Healthloop) -> list[dict]:
    lines = [line for line in worker.output().splitlines() if line.strip()]
    parsed = [orjson.loads(line) for line in lines]  # every line is one JSON object
    return parsed


def count_lines(worker: Healthloop, text: str) -> int:
    return sum(1 for event in log_events(worker) if text in str(event.get("event")))


def processed(sessions, account: str) -> bool:  # type: ignore[no-untyped-def]
    with sessions() as session:
        waiting = session.scalar(select(func.count()).where(DirtyAccountDay.account_id == account))
        scored = session.scalar(select(func.count()).where(AccountScore.account_id == account))
    return waiting == 0 and scored > 0


def test_the_worker_starts_while_redis_is_down_and_survives_redis_restarting_empty(tmp_path, installed):
    database_url = f"sqlite:///{tmp_path / 'hl.db'}"
    upgrade(make_engine(database_url))
    redis = RedisServer(tmp_path)
    env = worker_env(database_url, redis.url, tmp_path)
    worker = Healthloop(["worker"], env, tmp_path / "worker.log", tmp_path).start()
    try:
        wait_for(lambda: count_lines(worker, "redis unreachable") == 1, 30, "the worker to notice Redis is down")
        time.sleep(1)
        assert worker.alive(), worker.output()
        assert count_lines(worker, "redis unreachable") == 1, "one line per outage, however long it waits"

        redis.start()
        client = app_for(Settings(database_url=database_url, redis_url=redis.url, write_keys=WRITE_KEY), installed)
        sessions = make_sessionmaker(make_engine(database_url))
        assert client.post("/v1/track", json=track("acct_r", "r1"), headers=AUTH).status_code == 200
        wait_for(lambda: processed(sessions, "acct_r"), 30, "the first rescore")
        assert count_lines(worker, "redis reachable again") == 1

        redis.stop()
        down = client.post("/v1/track", json=track("acct_r", "r2"), headers=AUTH)
        assert down.status_code == 200, "ingestion keeps working without Redis"
        time.sleep(2)
        redis.start()  # empty: every job and marker is gone
        assert client.post("/v1/track", json=track("acct_r", "r3"), headers=AUTH).status_code == 200
        wait_for(lambda: processed(sessions, "acct_r"), 60, "the rescore after Redis came back empty")
        wait_for(lambda: count_lines(worker, "redis reachable again") == 2, 30, "the recovery line")
        assert worker.alive(), worker.output()
        assert count_lines(worker, "redis unreachable") == 2, "one line per outage"
        assert "Traceback" not in worker.output()
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Event)) == 3
        assert (tmp_path / "heartbeat").stat().st_mtime > time.time() - 120
    finally:
        worker.stop()
        redis.stop()


def test_the_worker_survives_a_database_restart_and_logs_it_once(tmp_path, postgres_url, installed):
    _empty(_engine_for(postgres_url))
    proxy = TcpProxy(("127.0.0.1", 5432)).up()
    proxied_url = _engine_for(postgres_url).url.set(port=proxy.port).render_as_string(hide_password=False)
    redis = RedisServer(tmp_path).start()
    worker = Healthloop(["worker"], worker_env(proxied_url, redis.url, tmp_path), tmp_path / "worker.log", tmp_path)
    worker.start()
    try:
        client = app_for(Settings(database_url=postgres_url, redis_url=redis.url, write_keys=WRITE_KEY), installed)
        sessions = make_sessionmaker(_engine_for(postgres_url))
        assert client.post("/v1/track", json=track("acct_d", "d1"), headers=AUTH).status_code == 200
        wait_for(lambda: processed(sessions, "acct_d"), 30, "the first rescore")

        proxy.down()
        assert client.post("/v1/track", json=track("acct_d", "d2"), headers=AUTH).status_code == 200
        wait_for(lambda: count_lines(worker, "database unreachable") == 1, 20, "the outage line")
        time.sleep(2)
        proxy.up()
        wait_for(lambda: processed(sessions, "acct_d"), 60, "the retried rescore")
        wait_for(lambda: count_lines(worker, "database reachable again") == 1, 20, "the recovery line")
        assert worker.alive(), worker.output()
        assert count_lines(worker, "database unreachable") == 1
        assert "Traceback" not in worker.output()
    finally:
        worker.stop()
        redis.stop()
        proxy.down()
