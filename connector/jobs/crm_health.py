"""The CRM side's health as the sync jobs see it: last run, last success, the last whole-sync failure
with its fix, the quota the CRM reported, and event-to-CRM freshness.

Kept in one Redis hash (`healthloop status` reads it, whichever worker wrote it) and exported as
metrics. Per-account failures and unmatched accounts live in SQL (`crm_records`), not here.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from connector.crm.fixes import fix_for
from connector.crm.sync_report import SyncReport
from connector.telemetry.metrics import metrics
from crm_adapters.base import CrmAdapter
from crm_adapters.errors import CrmError

log = logging.getLogger(__name__)

HEALTH_KEY = "healthloop:crm:health"
ARRIVALS_KEY = "healthloop:crm:arrivals"
LOGGED_KEY = "healthloop:crm:logged:{digest}"
REPEAT_LOG_AFTER_SECONDS = 3600
"""The same whole-sync failure is logged once an hour, not at every sweep."""

__all__ = ["fix_for", "read_health", "record_failure", "record_success", "remember_arrivals"]

_memory: dict[str, str] = {}
"""Where the health lives without Redis (the demo's in-process queue)."""


def _redis(rt) -> Redis | None:  # type: ignore[no-untyped-def]
    return rt.redis  # type: ignore[no-any-return]


def _store(rt, values: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    text = {key: "" if value is None else str(value) for key, value in values.items()}
    redis = _redis(rt)
    if redis is None:
        _memory.update(text)
        return
    try:
        redis.hset(HEALTH_KEY, mapping=text)
    except RedisError as exc:
        log.debug("CRM health not recorded (%s)", type(exc).__name__)


def _quota(rt, adapter: CrmAdapter) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    usage = adapter.usage
    gauge = metrics().crm_quota_remaining
    if usage.remaining is not None:
        gauge.labels(adapter.name, "interval").set(usage.remaining)
    if usage.daily_remaining is not None:
        gauge.labels(adapter.name, "daily").set(usage.daily_remaining)
    return {
        "crm": adapter.name,
        "remaining": usage.remaining,
        "interval_max": usage.interval_max,
        "daily_remaining": usage.daily_remaining,
        "daily_max": usage.daily_max,
        "quota_seen_at": datetime.now(UTC).isoformat(),
    }


def remember_arrivals(rt, arrivals: dict[str, datetime]) -> None:  # type: ignore[no-untyped-def]
    """Note when each account's oldest unsynced work arrived (kept until that account's next CRM write)."""
    redis = _redis(rt)
    if redis is None or not arrivals:
        return
    try:
        pipe = redis.pipeline(transaction=False)
        for account_id, moment in arrivals.items():
            stamp = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            pipe.hsetnx(ARRIVALS_KEY, account_id, f"{stamp.timestamp():.3f}")
        pipe.execute()
    except RedisError as exc:
        log.debug("arrival times not recorded (%s)", type(exc).__name__)


def _observe_freshness(rt, crm: str, written: list[str]) -> None:  # type: ignore[no-untyped-def]
    redis = _redis(rt)
    if redis is None or not written:
        return
    try:
        arrived = redis.hmget(ARRIVALS_KEY, written)
        redis.hdel(ARRIVALS_KEY, *written)
    except RedisError:
        return
    now = time.time()
    histogram = metrics().event_to_crm.labels(crm)
    for value in arrived:
        if value is not None:
            histogram.observe(max(0.0, now - float(value)))


def record_success(rt, adapter: CrmAdapter, report: SyncReport) -> None:  # type: ignore[no-untyped-def]
    """A sync ran to the end (per-record failures are in the report and in `crm_records`)."""
    now = datetime.now(UTC).isoformat()
    for failure in report.failures:
        metrics().crm_sync_failures.labels(adapter.name, failure.what).inc()
    _observe_freshness(rt, adapter.name, sorted({account_id for account_id, _, _ in report.changes}))
    _store(
        rt,
        _quota(rt, adapter)
        | {
            "last_run_at": now,
            "last_success_at": now,
            "last_error": None,
            "last_error_fix": None,
            "last_error_at": None,
        },
    )


def record_failure(rt, adapter: CrmAdapter, error: CrmError) -> None:  # type: ignore[no-untyped-def]
    """A whole sync stopped: one ERROR line with the fix (once an hour per distinct failure)."""
    fix = fix_for(error)
    metrics().crm_sync_failures.labels(adapter.name, "sync").inc()
    now = datetime.now(UTC).isoformat()
    _store(
        rt,
        _quota(rt, adapter)
        | {"last_run_at": now, "last_error": str(error), "last_error_fix": fix, "last_error_at": now},
    )
    # By the kind and its fix, not the message: a vendor's error text carries request ids that differ
    # from one attempt to the next, which would log "once an hour" at every attempt.
    digest = hashlib.sha256(f"{type(error).__name__}:{fix}".encode()).hexdigest()[:16]
    redis = _redis(rt)
    first = True
    if redis is not None:
        try:
            first = bool(redis.set(LOGGED_KEY.format(digest=digest), "1", nx=True, ex=REPEAT_LOG_AFTER_SECONDS))
        except RedisError:
            first = True
    level = logging.WARNING if error.retryable else logging.ERROR
    if first:
        log.log(level, "CRM sync stopped: %s; fix: %s", error, fix)
    else:
        log.debug("CRM sync stopped again: %s", error)


def read_health(redis: Redis | None) -> dict[str, str] | None:
    """What the jobs recorded (None when Redis cannot be read)."""
    if redis is None:
        return dict(_memory)
    try:
        raw = redis.hgetall(HEALTH_KEY)
    except RedisError:
        return None
    return {
        (key.decode() if isinstance(key, bytes) else key): (value.decode() if isinstance(value, bytes) else value)
        for key, value in raw.items()
    }
