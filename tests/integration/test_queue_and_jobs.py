"""Rescore jobs through a real RQ worker, the sweeper, and what happens when Redis or the database is down."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select

from connector.jobs import tasks as jobs
from connector.jobs.runtime import Runtime, install
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import make_engine, make_sessionmaker
from connector.store.models import DailyRollup, DirtyAccountDay, Event

pytestmark = pytest.mark.integration


def _batch(*messages):  # type: ignore[no-untyped-def]
    return {"batch": list(messages)}


def _track(message_id: str, user: str, event: str, when: str, account: str = "acct_1"):  # type: ignore[no-untyped-def]
    return {
        "type": "track",
        "userId": user,
        "event": event,
        "messageId": message_id,
        "timestamp": when,
        "context": {"groupId": account},
    }


def run_worker(runtime: Runtime) -> None:
    SimpleWorker([runtime.queue.queue], connection=runtime.redis).work(burst=True)


def test_the_rescore_job_rolls_up_each_touched_day_from_stored_events(client, auth_headers, runtime):
    client.post(
        "/v1/batch",
        headers=auth_headers,
        json=_batch(
            _track("a", "u1", "Report Created", "2026-11-10T09:00:00Z"),
            _track("b", "u1", "Report Created", "2026-11-10T10:00:00Z"),
            _track("c", "u2", "Export Completed", "2026-11-10T23:59:59Z"),
            _track("d", "u2", "Export Completed", "2026-11-11T00:00:00Z"),
            {
                "type": "page",
                "userId": "u3",
                "name": "Home",
                "messageId": "p",
                "timestamp": "2026-11-10T12:00:00Z",
                "context": {"groupId": "acct_1"},
            },
        ),
    )
    run_worker(runtime)
    with runtime.sessions() as session:
        rollups = {r.day: r for r in session.scalars(select(DailyRollup).where(DailyRollup.account_id == "acct_1"))}
        assert session.scalar(select(func.count()).select_from(DirtyAccountDay)) == 0, "the outbox is drained"
    tenth = rollups[date(2026, 11, 10)]
    assert (tenth.events, tenth.page_views, tenth.active_users) == (4, 1, 3)
    assert tenth.event_counts == {"Report Created": 2, "Export Completed": 1}
    assert tenth.user_counts == {"u1": 2, "u2": 1, "u3": 1}
    eleventh = rollups[date(2026, 11, 11)]
    assert (eleventh.events, eleventh.active_users) == (1, 1)
    assert not runtime.queue.is_pending("acct_1"), "a started job releases the pending marker"


def test_events_arriving_after_a_rescore_get_a_new_job_and_update_the_rollup(client, auth_headers, runtime):
    client.post("/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z")))
    run_worker(runtime)
    client.post("/v1/batch", headers=auth_headers, json=_batch(_track("b", "u2", "X", "2026-11-10T10:00:00Z")))
    assert runtime.queue.queue.count == 1
    run_worker(runtime)
    with runtime.sessions() as session:
        rollup = session.get(DailyRollup, ("acct_1", date(2026, 11, 10)))
    assert (rollup.events, rollup.active_users) == (2, 2)


def test_when_redis_is_down_requests_still_succeed_and_the_sweeper_enqueues_the_work_later(
    client, auth_headers, runtime, redis_client
):
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    runtime.queue = RedisWorkQueue(dead)
    response = client.post(
        "/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z"))
    )
    assert (response.status_code, response.json["stored"]) == (200, 1)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DirtyAccountDay)) == 1, "the work is in the SQL outbox"

    runtime.queue = RedisWorkQueue(redis_client)
    result = jobs.sweep_unprocessed(grace=timedelta(0))
    assert result == {"accounts": 1, "enqueued": 1}
    run_worker(runtime)
    with runtime.sessions() as session:
        assert session.get(DailyRollup, ("acct_1", date(2026, 11, 10))).events == 1


def test_the_sweeper_replaces_a_job_that_redis_lost(client, auth_headers, runtime, redis_client):
    client.post("/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z")))
    assert runtime.queue.is_pending("acct_1")
    for key in redis_client.keys("rq:*"):  # the job vanishes, its pending marker stays
        redis_client.delete(key)
    assert jobs.sweep_unprocessed(grace=timedelta(0))["enqueued"] == 1
    run_worker(runtime)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DirtyAccountDay)) == 0


def test_the_sweeper_leaves_work_that_already_has_a_pending_job(client, auth_headers, runtime):
    client.post("/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z")))
    assert jobs.sweep_unprocessed(grace=timedelta(0)) == {"accounts": 1, "enqueued": 0}
    assert runtime.queue.queue.count == 1


def test_concurrent_sweeps_are_serialised_by_a_lock(runtime):
    assert "skipped_locked" not in jobs.sweep_unprocessed()
    assert jobs.sweep_unprocessed() == {"accounts": 0, "enqueued": 0, "skipped_locked": 1}


def test_a_failed_rescore_leaves_the_work_in_the_outbox(client, auth_headers, runtime, monkeypatch):
    client.post("/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z")))

    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away mid-job")

    monkeypatch.setattr(jobs, "roll_up_outstanding", explode)
    with pytest.raises(RuntimeError):
        jobs.rescore_account("acct_1")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DirtyAccountDay)) == 1, "the claim rolled back"


def test_a_database_outage_answers_503_so_the_sender_retries(runtime, auth_headers):
    from webhooks.app import create_app

    url = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
    dead_engine = make_engine(url)
    down = Runtime(
        runtime.settings, runtime.config, dead_engine, make_sessionmaker(dead_engine), runtime.queue, runtime.redis
    )
    install(down)
    client = create_app(down).test_client()
    response = client.post(
        "/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z"))
    )
    assert response.status_code == 503
    assert response.json["error"] == "storage_unavailable"
    assert response.headers["Retry-After"] == "5"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"].startswith("unreachable")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_the_worker_command_in_burst_mode_sweeps_and_drains_the_queue(
    client, auth_headers, runtime, database_url, redis_url
):
    from click.testing import CliRunner

    from connector.cli.main import cli

    client.post("/v1/batch", headers=auth_headers, json=_batch(_track("a", "u1", "X", "2026-11-10T09:00:00Z")))
    runtime.redis.flushdb()  # the job is lost: only the outbox remembers the work
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": redis_url}
    result = CliRunner().invoke(cli, ["worker", "--burst"], env=env)
    assert result.exit_code == 0, result.output
    with runtime.sessions() as session:
        assert session.get(DailyRollup, ("acct_1", date(2026, 11, 10))).events == 1
        assert session.scalar(select(func.count()).select_from(DirtyAccountDay)) == 0


def test_the_worker_command_refuses_to_start_without_redis(database_url):
    from click.testing import CliRunner

    from connector.cli.main import cli

    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = CliRunner().invoke(cli, ["worker", "--burst"], env=env)
    assert result.exit_code == 1
    assert "Redis is not reachable" in result.output
