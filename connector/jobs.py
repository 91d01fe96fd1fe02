"""Background jobs. Module-level functions that take ids, so RQ (or the in-process queue) can run them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from rq import get_current_job
from sqlalchemy import func, select

from connector import runtime
from connector.models import DirtyAccountDay
from connector.rollups import claim_dirty_days, recompute_rollups
from connector.work_queue import RedisWorkQueue

log = logging.getLogger(__name__)

SWEEP_LOCK_KEY = "healthloop:sweep:lock"
SWEEP_GRACE = timedelta(seconds=30)
"""Outbox rows younger than this are left to the job their request enqueued."""


def rescore_account(account_id: str) -> dict[str, object]:
    """Roll up the account's outstanding days. (Scoring hooks in here once it lands.)"""
    rt = runtime.current()
    job = get_current_job()
    rt.queue.started(account_id, job.id if job else None)
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        days = claim_dirty_days(session, account_id)
        written = recompute_rollups(session, account_id, days, now)
    log.info("rescored %s: %d day(s) rolled up", account_id, written)
    return {"account_id": account_id, "days": written}


def sweep_unprocessed(grace: timedelta = SWEEP_GRACE, lock: bool = True) -> dict[str, int]:
    """Enqueue a rescore for every account whose stored work has waited longer than `grace`.

    This is what makes a Redis outage (or a lost job) harmless: the outbox lives in SQL.
    Several workers may run it; a short Redis lock keeps them from sweeping at the same moment.
    """
    rt = runtime.current()
    if lock and rt.redis is not None and not rt.redis.set(SWEEP_LOCK_KEY, "1", nx=True, ex=max(5, int(grace.seconds))):
        return {"accounts": 0, "enqueued": 0, "skipped_locked": 1}
    cutoff = datetime.now(UTC) - grace
    with rt.sessions() as session:
        accounts = session.scalars(
            select(DirtyAccountDay.account_id)
            .group_by(DirtyAccountDay.account_id)
            .having(func.min(DirtyAccountDay.marked_at) < cutoff)
        ).all()
    if isinstance(rt.queue, RedisWorkQueue):
        for account in accounts:
            rt.queue.drop_stale_marker(account)
    enqueued = rt.queue.request_rescore(accounts)
    if accounts:
        log.info("sweeper: %d account(s) with waiting work, %d job(s) enqueued", len(accounts), enqueued)
    return {"accounts": len(accounts), "enqueued": enqueued}
