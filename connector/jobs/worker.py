"""The worker process: an RQ worker with RQ's scheduler, and the cron child that sweeps the outbox,
rescores every account daily and pulls outcomes hourly (`healthloop worker` runs it)."""

from __future__ import annotations

import logging
import multiprocessing
from datetime import timedelta

from rq import Worker
from rq.cron import CronScheduler

from connector.config.settings import Settings
from connector.errors import ConfigurationError
from connector.jobs import tasks
from connector.jobs.runtime import build_runtime, install, redis_reachable
from connector.jobs.work_queue import QUEUE_NAME, RedisWorkQueue

log = logging.getLogger(__name__)


OUTCOMES_CRON = "40 * * * *"
"""Read task completion and renewals back every hour."""
DAILY_RESCORE_CRON = "15 0 * * *"


def _run_cron(redis_url: str, interval: int) -> None:
    """Child process: the sweeper every `interval` seconds (several are harmless: it locks) and the daily rescore."""
    from redis import Redis

    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name=f"healthloop-sweeper-{interval}s")
    scheduler.register(tasks.sweep_unprocessed, queue_name=QUEUE_NAME, interval=interval, result_ttl=600)
    # Every account once a day, after midnight UTC: inactivity must be noticed without any new event.
    scheduler.register(tasks.rescore_all, queue_name=QUEUE_NAME, cron=DAILY_RESCORE_CRON, result_ttl=86400)
    scheduler.register(tasks.pull_outcomes, queue_name=QUEUE_NAME, cron=OUTCOMES_CRON, result_ttl=86400)
    scheduler.start()


def run_worker(settings: Settings, *, burst: bool, cron: bool) -> None:
    """An RQ worker (with RQ's scheduler) for every job, plus the periodic sweeper in a child process."""
    rt = install(build_runtime(settings, queue_mode="redis"))
    if rt.redis is None or not redis_reachable(rt.redis):
        raise ConfigurationError("Redis is not reachable at HEALTHLOOP_REDIS_URL; the worker needs it")
    assert isinstance(rt.queue, RedisWorkQueue)
    if rt.crm_enabled:
        # Built once here, so every forked job inherits it instead of paying for a new client each time
        # (and a wrong CRM setting stops the worker at start, not at its first sync).
        rt.crm_adapter()
    sweeper: multiprocessing.Process | None = None
    if burst:
        tasks.sweep_unprocessed(grace=timedelta(0), lock=False)
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
