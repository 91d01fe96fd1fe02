"""`healthloop worker` and `healthloop sweep`: RQ workers, RQ's scheduler, and the outbox sweeper."""

from __future__ import annotations

import logging
import multiprocessing
import sys
from datetime import timedelta

import click
from rq import Worker
from rq.cron import CronScheduler

from connector import jobs
from connector.config.settings import load_settings
from connector.runtime import build_runtime, install, redis_reachable
from connector.work_queue import QUEUE_NAME, RedisWorkQueue

log = logging.getLogger(__name__)


OUTCOMES_CRON = "40 * * * *"
"""Read task completion and renewals back every hour."""
DAILY_RESCORE_CRON = "15 0 * * *"


def _run_cron(redis_url: str, interval: int) -> None:
    """Child process: the sweeper every `interval` seconds (several are harmless: it locks) and the daily rescore."""
    from redis import Redis

    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name=f"healthloop-sweeper-{interval}s")
    scheduler.register(jobs.sweep_unprocessed, queue_name=QUEUE_NAME, interval=interval, result_ttl=600)
    # Every account once a day, after midnight UTC: inactivity must be noticed without any new event.
    scheduler.register(jobs.rescore_all, queue_name=QUEUE_NAME, cron=DAILY_RESCORE_CRON, result_ttl=86400)
    scheduler.register(jobs.pull_outcomes, queue_name=QUEUE_NAME, cron=OUTCOMES_CRON, result_ttl=86400)
    scheduler.start()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Sweep once, work until the queue is empty, then exit.")
@click.option("--cron/--no-cron", default=True, show_default=True, help="Also run the periodic sweeper.")
def worker_command(burst: bool, cron: bool) -> None:
    """Run an RQ worker (with RQ's scheduler) for rescore jobs, plus the periodic outbox sweeper."""
    settings = load_settings()
    rt = install(build_runtime(settings, queue_mode="redis"))
    if rt.redis is None or not redis_reachable(rt.redis):
        raise click.ClickException("Redis is not reachable at HEALTHLOOP_REDIS_URL; the worker needs it")
    assert isinstance(rt.queue, RedisWorkQueue)
    if rt.crm_enabled:
        # Built once here, so every forked job inherits it instead of paying for a new client each time
        # (and a wrong CRM setting stops the worker at start, not at its first sync).
        rt.crm_adapter()
    sweeper: multiprocessing.Process | None = None
    if burst:
        jobs.sweep_unprocessed(grace=timedelta(0), lock=False)
    elif cron:
        sweeper = multiprocessing.Process(
            target=_run_cron, args=(settings.redis_url, settings.sweep_interval_seconds), daemon=True
        )
        sweeper.start()
    try:
        worker = Worker([rt.queue.queue], connection=rt.redis)
        worker.work(burst=burst, with_scheduler=not burst, logging_level=settings.log_level)
    finally:
        if sweeper is not None:
            sweeper.terminate()
            sweeper.join(timeout=5)


@click.command("sweep")
@click.option("--grace", default=30, show_default=True, help="Only work older than this many seconds.")
def sweep_command(grace: int) -> None:
    """Enqueue a rescore for every account whose stored work was never processed."""
    rt = install(build_runtime(queue_mode="auto"))
    result = jobs.sweep_unprocessed(grace=timedelta(seconds=grace), lock=False)
    click.echo(f"{result['accounts']} account(s) with waiting work; {result['enqueued']} rescore job(s) enqueued")
    if rt.redis is None:
        click.echo("(no Redis: ran them in this process)", err=True)
        rt.queue.join()  # type: ignore[attr-defined]
    sys.stdout.flush()
