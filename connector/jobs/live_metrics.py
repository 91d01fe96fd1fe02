"""Series read from stored state when `/metrics` is scraped: queue depth and age, backlog, unmatched
accounts and tickets, interventions by trigger, CRM sync health.

They describe the whole deployment (every worker, every web process), so they are read from Redis
and SQL at scrape time instead of being counted by one process. A scrape that cannot reach Redis or
the database still answers, without those series (`healthloop_scrape_error` says which part failed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import reader
from connector.store.models import CrmRecord, DirtyAccountDay, Intervention, Ticket

log = logging.getLogger(__name__)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class LiveMetrics(Collector):
    """A scrape-time collector over one runtime (see the module docstring)."""

    def __init__(self, rt) -> None:  # type: ignore[no-untyped-def]  # a Runtime; not imported: runtime imports us
        self.rt = rt

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        errors = GaugeMetricFamily(
            "healthloop_scrape_error", "1 when this scrape could not read a source.", labels=["source"]
        )
        now = datetime.now(UTC)
        try:
            yield from self._queue(now)
            errors.add_metric(["redis"], 0)
        except (RedisError, OSError) as exc:
            log.debug("scrape: Redis unreadable (%s)", type(exc).__name__)
            errors.add_metric(["redis"], 1)
        try:
            yield from self._stored(now)
            errors.add_metric(["database"], 0)
        except SQLAlchemyError as exc:
            log.debug("scrape: database unreadable (%s)", type(exc).__name__)
            errors.add_metric(["database"], 1)
        yield errors

    def _queue(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        queue = self.rt.queue
        depth = GaugeMetricFamily("healthloop_queue_depth", "Jobs waiting in the queue.", labels=["queue"])
        age = GaugeMetricFamily(
            "healthloop_queue_oldest_job_age_seconds", "Age of the oldest job waiting in the queue.", labels=["queue"]
        )
        if isinstance(queue, RedisWorkQueue):
            rq_queue = queue.queue
            depth.add_metric([rq_queue.name], rq_queue.count)
            oldest = 0.0
            ids = rq_queue.get_job_ids(0, 0)
            if ids:
                job = Job.fetch(ids[0], connection=queue.redis)
                enqueued = _aware(job.enqueued_at)
                oldest = max(0.0, (now - enqueued).total_seconds()) if enqueued else 0.0
            age.add_metric([rq_queue.name], oldest)
            failed = GaugeMetricFamily(
                "healthloop_queue_failed_jobs", "Jobs RQ gave up on (kept 7 days).", labels=["queue"]
            )
            failed.add_metric([rq_queue.name], rq_queue.failed_job_registry.count)
            scheduled = GaugeMetricFamily(
                "healthloop_queue_scheduled_jobs", "Jobs waiting for a retry or a delayed start.", labels=["queue"]
            )
            scheduled.add_metric([rq_queue.name], rq_queue.scheduled_job_registry.count)
            yield from (depth, age, failed, scheduled)
        else:
            depth.add_metric([queue.name], queue.depth() or 0)
            yield depth

    def _stored(self, now: datetime) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        rt = self.rt
        with reader(rt.engine).connect() as connection:
            outbox_rows, oldest = connection.execute(select(func.count(), func.min(DirtyAccountDay.marked_at))).one()
            unmatched_tickets = connection.scalar(select(func.count()).where(Ticket.account_id.is_(None)))
            by_trigger = connection.execute(
                select(func.coalesce(Intervention.trigger_id, "tier_entry"), func.count()).group_by(
                    Intervention.trigger_id
                )
            ).all()
            crm = connection.execute(
                select(
                    CrmRecord.crm,
                    func.count().filter(CrmRecord.record_id.is_(None)),
                    func.count().filter(CrmRecord.last_error.is_not(None)),
                    func.max(CrmRecord.synced_at),
                ).group_by(CrmRecord.crm)
            ).all()
            failed_tasks = connection.scalar(select(func.count()).where(Intervention.crm_status == "failed"))
        lag = GaugeMetricFamily(
            "healthloop_rescore_lag_seconds",
            "Age of the oldest stored work not yet rolled up and rescored (0 when none is waiting).",
        )
        oldest = _aware(oldest)
        lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        backlog = GaugeMetricFamily("healthloop_outbox_account_days", "(account, day) pairs waiting to be rescored.")
        backlog.add_metric([], outbox_rows)
        tickets = GaugeMetricFamily("healthloop_unmatched_tickets", "Stored tickets not matched to any account.")
        tickets.add_metric([], unmatched_tickets or 0)
        interventions = CounterMetricFamily(
            "healthloop_interventions",
            "Interventions decided, by trigger (tier_entry: entering a tier).",
            labels=["trigger"],
        )
        for trigger, count in by_trigger:
            interventions.add_metric([trigger], count)
        unmatched = GaugeMetricFamily(
            "healthloop_unmatched_accounts", "Accounts with no record in the CRM when last looked up.", labels=["crm"]
        )
        failing = GaugeMetricFamily(
            "healthloop_crm_failing_accounts", "Accounts whose last CRM write failed.", labels=["crm"]
        )
        last_sync = GaugeMetricFamily(
            "healthloop_crm_last_sync_timestamp_seconds",
            "When a record last got values from us (Unix time).",
            labels=["crm"],
        )
        for name, no_record, with_error, synced_at in crm:
            unmatched.add_metric([name], no_record)
            failing.add_metric([name], with_error)
            synced = _aware(synced_at)
            if synced is not None:
                last_sync.add_metric([name], synced.timestamp())
        tasks = GaugeMetricFamily("healthloop_crm_failed_tasks", "Interventions whose CRM task could not be created.")
        tasks.add_metric([], failed_tasks or 0)
        yield from (lag, backlog, tickets, interventions, unmatched, failing, last_sync, tasks)
