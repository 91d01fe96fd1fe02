"""Background jobs. Module-level functions that take ids, so RQ (or the in-process queue) can run them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from rq import get_current_job
from sqlalchemy import func, select

from connector import runtime
from connector.ingest import attribute_orphans
from connector.models import DirtyAccountDay
from connector.rollups import claim_dirty_days, recompute_rollups
from connector.work_queue import RedisWorkQueue

log = logging.getLogger(__name__)

SWEEP_LOCK_KEY = "healthloop:sweep:lock"
SWEEP_GRACE = timedelta(seconds=30)
"""Outbox rows younger than this are left to the job their request enqueued."""


def rescore_accounts(account_ids: list[str]) -> dict[str, int]:
    """The RQ job: rescore each account in its own transaction (one failure does not undo the rest)."""
    rt = runtime.current()
    job = get_current_job()
    rt.queue.started(account_ids, job.id if job else None)
    days, failed = 0, []
    for account_id in account_ids:
        try:
            days += _rescore(rt, account_id)
        except Exception:
            log.exception("rescore of %s failed; its work stays in the outbox", account_id)
            failed.append(account_id)
    if failed:
        # Retried by RQ (declared on the job); the outbox keeps the work whatever happens.
        raise RescoreFailed(f"{len(failed)} of {len(account_ids)} account(s) failed: {', '.join(failed[:5])}")
    return {"accounts": len(account_ids), "days": days}


def rescore_account(account_id: str) -> dict[str, int]:
    """Rescore one account now (the in-process queue's entry point)."""
    rt = runtime.current()
    rt.queue.started([account_id], None)
    return {"accounts": 1, "days": _rescore(rt, account_id)}


def _rescore(rt: runtime.Runtime, account_id: str) -> int:
    """Roll up the account's outstanding days. (Scoring hooks in here once it lands.)"""
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        days = claim_dirty_days(session, account_id)
        written = recompute_rollups(session, account_id, days, now)
    log.debug("rescored %s: %d day(s) rolled up", account_id, written)
    return written


class RescoreFailed(Exception):
    """Some accounts of a rescore job failed; RQ retries the job."""


def sweep_unprocessed(grace: timedelta = SWEEP_GRACE, lock: bool = True) -> dict[str, int]:
    """Enqueue a rescore for every account whose stored work has waited longer than `grace`.

    This is what makes a Redis outage (or a lost job) harmless: the outbox lives in SQL.
    Several workers may run it; a short Redis lock keeps them from sweeping at the same moment.
    """
    rt = runtime.current()
    if (
        lock
        and rt.redis is not None
        and not rt.redis.set(SWEEP_LOCK_KEY, "1", nx=True, ex=max(5, int(grace.total_seconds())))
    ):
        return {"accounts": 0, "enqueued": 0, "skipped_locked": 1}
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        orphans = attribute_orphans(session, now)
    if orphans:
        log.info(
            "sweeper: attributed earlier events of users who now have an account (%d account(s))",
            len(orphans),
        )
    cutoff = now - grace
    with rt.sessions() as session:
        accounts = session.scalars(
            select(DirtyAccountDay.account_id)
            .group_by(DirtyAccountDay.account_id)
            .having(func.min(DirtyAccountDay.marked_at) < cutoff)
        ).all()
    if isinstance(rt.queue, RedisWorkQueue):
        rt.queue.drop_stale_markers(list(accounts))
    enqueued = rt.queue.request_rescore(accounts)
    if accounts:
        log.info("sweeper: %d account(s) with waiting work, %d job(s) enqueued", len(accounts), enqueued)
    return {"accounts": len(accounts), "enqueued": enqueued}
