"""The worker process: an RQ worker with RQ's scheduler, and the cron child that sweeps the outbox,
rescores every account daily and pulls outcomes hourly (`healthloop worker` runs it).

It rides out outages instead of exiting: it starts while Redis is down and waits for it; when Redis
drops (or comes back empty) it reconnects with backoff and resumes; jobs that fail on a database
outage are retried by RQ and the sweeper. Each outage is one WARNING line and one INFO line when it
ends (`connector/telemetry/outages.py`), not a traceback per attempt. Jobs run in the worker process
itself (RQ's `SimpleWorker`): the CRM adapter, its rate limiter and the database pool live across
jobs, and the job metrics are this process's.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.exceptions import SchedulerNotFound
from rq.job import Job
from rq.scheduler import RQScheduler
from sqlalchemy.exc import SQLAlchemyError

from connector.config.settings import Settings
from connector.errors import ConfigurationError
from connector.jobs import tasks
from connector.jobs.runtime import build_runtime, install, redis_reachable
from connector.jobs.work_queue import QUEUE_NAME, RedisWorkQueue
from connector.store.db import database_problem
from connector.telemetry.logs import job_context
from connector.telemetry.metrics import configure_metrics, metrics
from connector.telemetry.outages import Outage
from crm_adapters.errors import CrmError

log = logging.getLogger(__name__)

OUTCOMES_CRON = "40 * * * *"
"""Read task completion and renewals back every hour."""
DAILY_RESCORE_CRON = "15 0 * * *"
WORKER_TTL = 60
"""Seconds RQ's registration lives without a heartbeat; the worker blocks on the queue for 45 s at most,
so it notices a vanished Redis within a minute even when no connection reset tells it."""
BACKOFF_START, BACKOFF_MAX = 0.5, 30.0

REDIS = Outage("redis", "the worker waits and reconnects with backoff; the web tier keeps storing events")
DATABASE = Outage("database", "jobs fail and are retried; the sweeper re-enqueues what they left undone")


def failure_reason(exc: BaseException) -> str:
    """A small fixed label for why a job failed: database, redis, crm or other."""
    if isinstance(exc, SQLAlchemyError) and database_problem(exc) is not None:
        return "database"
    if isinstance(exc, RedisError | ConnectionError):
        return "redis"
    if isinstance(exc, CrmError):
        return "crm"
    return "other"


class HealthloopJob(Job):
    """An RQ job that logs with its id (and the request id that asked for it) and is timed and counted."""

    def perform(self) -> Any:
        name = (self.func_name or "unknown").rpartition(".")[2]
        started = time.perf_counter()
        with job_context(self.id, (self.meta or {}).get("request_id")):
            try:
                result = super().perform()
            except BaseException as exc:
                reason = failure_reason(exc)
                metrics().job_failures.labels(name, reason).inc()
                metrics().job_duration.labels(name, "failed").observe(time.perf_counter() - started)
                if reason == "database":
                    DATABASE.failed(exc.orig if getattr(exc, "orig", None) is not None else exc)  # type: ignore[attr-defined]
                raise
        metrics().job_duration.labels(name, "ok").observe(time.perf_counter() - started)
        DATABASE.recovered()
        return result


class HealthloopWorker(SimpleWorker):
    """RQ's in-process worker, quiet about outages (one line each) and touching a heartbeat file."""

    job_class = HealthloopJob
    heartbeat_file: Path | None = None

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        super().heartbeat(*args, **kwargs)
        REDIS.recovered()
        touch(self.heartbeat_file)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        if failure_reason(exc_info[1]) in {"database", "redis"}:
            # Already reported once for the whole outage; RQ's retry and the sweeper take it from here.
            log.info("job %s (%s) failed on an outage; it will be retried", job.id, job.func_name)
            for handler in self._exc_handlers:
                if not handler(job, *exc_info):
                    break
            return
        super().handle_exception(job, *exc_info)


class _RedisNoise(logging.Filter):
    """RQ logs every reconnection attempt; fold them into the one outage line (children stay silent)."""

    MARKERS = ("could not connect to Redis", "Redis connection timeout", "found an unhandled exception")

    def __init__(self, main_pid: int) -> None:
        super().__init__()
        self.main_pid = main_pid

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if not any(marker in message for marker in self.MARKERS):
            return True
        error = record.exc_info[1] if record.exc_info else None
        if "unhandled exception" in message and not isinstance(error, RedisError | OSError):
            return True
        if os.getpid() == self.main_pid:
            REDIS.failed(error or "connection lost")
        return False


def touch(path: Path | None) -> None:
    if path is None:
        return
    try:
        path.touch()
    except OSError as exc:
        log.debug("cannot touch the heartbeat file %s (%s)", path, exc)


class _Stop:
    """SIGTERM/SIGINT while the worker waits (RQ installs its own handlers while it works)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        self.event.set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


def wait_until(check: Callable[[], bool], outage: Outage, stop: _Stop, heartbeat: Path | None) -> bool:
    """Block until `check()` holds, backing off up to 30 s; False if asked to stop meanwhile."""
    delay = BACKOFF_START
    while not check():
        outage.failed("no answer")
        touch(heartbeat)
        if stop.wait(delay):
            return False
        delay = min(delay * 2, BACKOFF_MAX)
    outage.recovered()
    return True


def _run_cron(redis_url: str, interval: int) -> None:
    """Child process: the sweeper every `interval` seconds (several are harmless: it locks), the daily
    rescore and the hourly outcome pull; it outlives Redis outages (the main process reports them)."""
    delay = BACKOFF_START
    while True:
        try:
            scheduler = CronScheduler(connection=Redis.from_url(redis_url), name=f"healthloop-sweeper-{interval}s")
            scheduler.register(tasks.sweep_unprocessed, queue_name=QUEUE_NAME, interval=interval, result_ttl=600)
            # Every account once a day, after midnight UTC: inactivity must be noticed without any new event.
            scheduler.register(tasks.rescore_all, queue_name=QUEUE_NAME, cron=DAILY_RESCORE_CRON, result_ttl=86400)
            scheduler.register(tasks.pull_outcomes, queue_name=QUEUE_NAME, cron=OUTCOMES_CRON, result_ttl=86400)
            delay = BACKOFF_START
            scheduler.start()
            return
        except SchedulerNotFound:
            return  # stopping after Redis came back empty: nothing of ours left to unregister
        except (RedisError, OSError) as exc:
            log.debug("cron: Redis unavailable (%s); retrying in %.1f s", type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


def _run_scheduler(redis_url: str) -> None:
    """Child process: move due retries and delayed jobs onto the queue, every second.

    RQ's own scheduler loop tries for a lock it missed only every two minutes, and loses it silently when
    Redis comes back empty; this one asks for (or refreshes) the lock on every tick, so a worker that
    replaces a killed one schedules again as soon as the dead one's lock expires (at most 61 s), and at
    once after Redis restarts.
    """
    delay = BACKOFF_START
    while True:
        try:
            scheduler = RQScheduler([QUEUE_NAME], connection=Redis.from_url(redis_url), interval=1)
            while True:
                if scheduler.acquire_locks():
                    scheduler.enqueue_scheduled_jobs()
                delay = BACKOFF_START
                time.sleep(1)
        except (RedisError, OSError) as exc:
            log.debug("scheduler: Redis unavailable (%s); retrying in %.1f s", type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


def _start(target: Callable[..., None], *args: Any) -> multiprocessing.Process:
    process = multiprocessing.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def run_worker(settings: Settings, *, burst: bool, cron: bool) -> None:
    """An RQ worker (with RQ's scheduler) for every job, plus the periodic sweeper in a child process.

    Runs until SIGTERM/SIGINT (or, with `burst`, until the queue is empty), whatever Redis and the
    database do meanwhile.
    """
    configure_metrics(settings.metrics_dir, "worker", wipe=True)
    rt = install(build_runtime(settings, queue_mode="redis"))
    assert rt.redis is not None and isinstance(rt.queue, RedisWorkQueue)
    noise = _RedisNoise(os.getpid())
    for name in ("rq.worker", "rq.scheduler", "rq.queue"):
        logging.getLogger(name).addFilter(noise)
    if rt.crm_enabled:
        # Built once here, so every job reuses it (and a wrong CRM setting stops the worker at start).
        rt.crm_adapter()
    if burst and not redis_reachable(rt.redis):
        raise ConfigurationError("Redis is not reachable at HEALTHLOOP_REDIS_URL; `worker --burst` needs it now")
    stop = _Stop()
    sweeper: multiprocessing.Process | None = None
    scheduler: multiprocessing.Process | None = None
    heartbeat = settings.worker_heartbeat_file
    redis = rt.redis
    log.info("worker starting: queue %s, sweeping every %d s", QUEUE_NAME, settings.sweep_interval_seconds)
    try:
        while True:
            stop.install()
            touch(heartbeat)
            if not wait_until(lambda: redis_reachable(redis), REDIS, stop, heartbeat):
                break
            if burst:
                tasks.sweep_unprocessed(grace=timedelta(0), lock=False)
            else:
                if scheduler is None or not scheduler.is_alive():
                    scheduler = _start(_run_scheduler, settings.redis_url)
                if cron and (sweeper is None or not sweeper.is_alive()):
                    sweeper = _start(_run_cron, settings.redis_url, settings.sweep_interval_seconds)
            worker = HealthloopWorker(
                [rt.queue.queue], connection=redis, job_class=HealthloopJob, worker_ttl=WORKER_TTL
            )
            worker.heartbeat_file = heartbeat
            try:
                worker.work(burst=burst, logging_level=settings.log_level)
            except (RedisError, OSError) as exc:
                REDIS.failed(exc)
            # RQ marks a stop asked for mid-job in `_stop_requested`, and one asked for while idle only by the date.
            if burst or worker._stop_requested or worker._shutdown_requested_date is not None:
                break
            # RQ gave up on a lost connection (it logs and returns): wait for Redis and start over.
            REDIS.failed("connection lost")
    finally:
        for child in (sweeper, scheduler):
            if child is not None:
                child.terminate()
                child.join(timeout=5)
    log.info("worker stopped")
