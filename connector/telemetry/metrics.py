"""Every Prometheus series healthloop exports, defined once, with labels from small fixed sets.

Counted where the thing happens (the HTTP edge, the jobs, the CRM calls); series that describe
stored state (queue depth, backlog, unmatched accounts, interventions) are read when `/metrics`
is scraped (`connector/jobs/live_metrics.py`). No label ever holds an account id, user id or URL.

Multi-process: gunicorn's workers and the worker process each write their samples to files under
`HEALTHLOOP_METRICS_DIR/<role>/` (prometheus-client's multi-process mode), and `/metrics` merges
every role's files, so one scrape of the web tier shows the worker's series too when both share
the directory (compose mounts one volume into both). Without the setting a process keeps its
samples in memory (the demo, tests, one-process runs). Metrics are built on first use, never at
import time, so the mode is decided by the process before any sample is taken.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

ROLES = ("web", "worker")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
FRESHNESS_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)


@dataclass(frozen=True)
class Metrics:
    events: Counter
    webhook_deliveries: Counter
    request_duration: Histogram
    job_duration: Histogram
    job_failures: Counter
    crm_calls: Counter
    crm_quota_remaining: Gauge
    event_to_crm: Histogram
    crm_sync_failures: Counter
    slack_alerts: Counter
    outages: Counter
    dependency_up: Gauge


def _build() -> Metrics:
    return Metrics(
        events=Counter(
            "healthloop_events_total",
            "Segment messages received, by outcome (stored, duplicate, rejected) and reason (the error code, or none).",
            ["outcome", "reason"],
        ),
        webhook_deliveries=Counter(
            "healthloop_webhook_deliveries_total",
            "Ticket webhook deliveries by source and outcome (handled, ignored, unsupported, duplicate, "
            "unauthorized, invalid, unmatched).",
            ["source", "outcome"],
        ),
        request_duration=Histogram(
            "healthloop_request_duration_seconds",
            "HTTP request latency by route template, method and status class.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
        ),
        job_duration=Histogram(
            "healthloop_job_duration_seconds",
            "Background job run time by job and outcome (ok, failed).",
            ["job", "outcome"],
            buckets=JOB_BUCKETS,
        ),
        job_failures=Counter(
            "healthloop_job_failures_total",
            "Background jobs that raised, by job and reason (database, redis, crm, other).",
            ["job", "reason"],
        ),
        crm_calls=Counter(
            "healthloop_crm_calls_total",
            "CRM API calls by CRM, kind (e.g. companies.batch.update) and status (ok, an HTTP status, connection).",
            ["crm", "kind", "status"],
        ),
        crm_quota_remaining=Gauge(
            "healthloop_crm_quota_remaining",
            "CRM API calls left, as the CRM last reported them, by window (interval, daily).",
            ["crm", "window"],
            multiprocess_mode="mostrecent",
        ),
        event_to_crm=Histogram(
            "healthloop_event_to_crm_seconds",
            "Freshness: from the newest event an account's score used being received to that score landing in the CRM.",
            ["crm"],
            buckets=FRESHNESS_BUCKETS,
        ),
        crm_sync_failures=Counter(
            "healthloop_crm_sync_failures_total",
            "Per-record CRM sync failures by CRM and what failed (fields, task, note, enrollment).",
            ["crm", "what"],
        ),
        slack_alerts=Counter(
            "healthloop_slack_alerts_total",
            "Slack alerts by outcome (sent, failed, not_configured, retry).",
            ["outcome"],
        ),
        outages=Counter(
            "healthloop_outages_total",
            "Outages of a dependency (database, redis) noticed by this process.",
            ["dependency"],
        ),
        dependency_up=Gauge(
            "healthloop_dependency_up",
            "1 while the dependency answers, 0 during an outage (as this process last saw it).",
            ["dependency"],
            multiprocess_mode="mostrecent",
        ),
    )


_metrics: Metrics | None = None
_directory: Path | None = None


def metrics() -> Metrics:
    """This process's metrics, built on first use (after `configure_metrics`, if the process calls it)."""
    global _metrics
    if _metrics is None:
        _metrics = _build()
    return _metrics


def configure_metrics(directory: Path | None, role: str, *, wipe: bool = False) -> Path | None:
    """Write this process's samples under `directory/role` (multi-process mode), or keep them in memory.

    Call before the first sample. `wipe` clears the role's files of an earlier run (the process that
    owns the role does it once at start: gunicorn's master, the worker).
    """
    global _directory
    if directory is None:
        return None
    if role not in ROLES:
        raise ValueError(f"unknown metrics role {role!r}")
    path = directory / role
    path.mkdir(parents=True, exist_ok=True)
    if wipe:
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    if _metrics is None:
        values.ValueClass = values.MultiProcessValue()
    _directory = directory
    return path


def process_exited(pid: int) -> None:
    """Forget a dead process's live gauges (gunicorn's `child_exit` hook)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mark_process_dead(pid)


class _EveryRole(Collector):
    """Every role's sample files merged, as one multi-process collector would merge one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterable:  # type: ignore[override]
        files = [name for role in ROLES for name in glob.glob(str(self.directory / role / "*.db"))]
        return MultiProcessCollector.merge(files, accumulate=True)


class _ThisProcess(Collector):
    def collect(self) -> Iterable:  # type: ignore[override]
        return REGISTRY.collect()


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text a scrape gets: every process's samples (or this process's) plus `extra` collectors."""
    metrics()  # built, so the help and type of every family are there from the first scrape
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_EveryRole(_directory) if _directory is not None else _ThisProcess())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
