"""Background jobs. Module-level functions that take ids, so RQ (or the in-process queue) can run them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from rq import get_current_job
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from connector.crm import outcomes as crm_outcomes
from connector.crm.sync import CrmSync, accounts_needing_sync
from connector.health.scores import score_account, score_accounts
from connector.ingest.product_events import attribute_orphans
from connector.ingest.rollups import roll_up_outstanding
from connector.jobs import crm_health, runtime
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import database_problem
from connector.store.models import Account, DirtyAccountDay
from crm_adapters.errors import CrmError

log = logging.getLogger(__name__)

SWEEP_LOCK_KEY = "healthloop:sweep:lock"


def rescore_accounts(account_ids: list[str]) -> dict[str, int]:
    """The RQ job: roll up each account's outstanding days, then score them all as a batch.

    Roll-ups commit per account (one failure does not undo the rest); scoring runs as one
    batch and falls back to one account at a time if the batch fails. Failures re-raise so
    RQ retries the job; the outbox and the daily rescore cover anything still missed.
    """
    rt = runtime.current()
    job = get_current_job()
    rt.queue.started(account_ids, job.id if job else None)
    now = datetime.now(UTC)
    days, failed = 0, []
    if rt.crm_enabled:
        crm_health.remember_arrivals(rt, _waiting_since(rt, account_ids))
    for account_id in account_ids:
        try:
            with rt.sessions.begin() as session:
                days += len(roll_up_outstanding(session, account_id, now))
        except Exception as exc:
            _raise_if_unreachable(exc)
            log.exception("roll-up of %s failed; its work stays in the outbox", account_id)
            failed.append(account_id)
    ready = [account_id for account_id in account_ids if account_id not in failed]
    try:
        with rt.readers() as reading, rt.sessions.begin() as session:
            scored = score_accounts(session, ready, now.date(), rt.config.scoring, now, read_session=reading)
    except Exception as exc:
        _raise_if_unreachable(exc)
        log.exception("batch scoring of %d account(s) failed; scoring them one by one", len(ready))
        scored = {}
        for account_id in ready:
            try:
                with rt.sessions.begin() as session:
                    scored |= score_accounts(session, [account_id], now.date(), rt.config.scoring, now)
            except Exception as exc:
                _raise_if_unreachable(exc)
                log.exception("scoring %s failed", account_id)
                failed.append(account_id)
    _alert_on_slack(rt, [i for s in scored.values() for i in s.slack_interventions])
    _request_sync(rt, list(scored))
    if failed:
        raise RescoreFailed(f"{len(failed)} of {len(account_ids)} account(s) failed: {', '.join(failed[:5])}")
    return {"accounts": len(account_ids), "days": days}


def _raise_if_unreachable(exc: Exception) -> None:
    """A database outage fails the whole job at once (RQ retries it), not every account with a traceback."""
    if isinstance(exc, SQLAlchemyError):
        problem = database_problem(exc)
        if problem is not None:
            raise exc


def _waiting_since(rt: runtime.Runtime, account_ids: list[str]) -> dict[str, datetime]:
    """When each account's oldest waiting work was stored (the start of its event-to-CRM freshness)."""
    with rt.readers() as session:
        rows = session.execute(
            select(DirtyAccountDay.account_id, func.min(DirtyAccountDay.marked_at))
            .where(DirtyAccountDay.account_id.in_(account_ids))
            .group_by(DirtyAccountDay.account_id)
        ).all()
    return {account_id: marked_at for account_id, marked_at in rows if marked_at is not None}


def rescore_account(account_id: str) -> dict[str, int]:
    """Rescore one account now (the in-process queue's entry point)."""
    rt = runtime.current()
    rt.queue.started([account_id], None)
    return {"accounts": 1, "days": _rescore(rt, account_id)}


def _rescore(rt: runtime.Runtime, account_id: str) -> int:
    """Roll up the account's outstanding days, then score it as of today, in one transaction."""
    now = datetime.now(UTC)
    with rt.sessions.begin() as session:
        rows = roll_up_outstanding(session, account_id, now)
        scored = score_account(session, account_id, now.date(), rt.config.scoring, now)
    _alert_on_slack(rt, list(scored.slack_interventions) if scored else [])
    _request_sync(rt, [account_id] if scored else [])
    return len(rows)


def _request_sync(rt: runtime.Runtime, account_ids: list[str]) -> None:
    if rt.crm_enabled and account_ids:
        rt.queue.request_sync(account_ids, delay=rt.config.crm.sync_delay_seconds)


def sync_pending() -> dict[str, int]:
    """The RQ job: sync every account asked for since the last run to the CRM, in one batch.

    Accounts whose write hit a rate limit or an outage are asked for again; the sweeper also
    finds any account whose latest score never reached the CRM (a lost job loses nothing).
    """
    rt = runtime.current()
    accounts = rt.queue.take_sync_requests()
    if not accounts or not rt.crm_enabled:
        return {"accounts": 0}
    adapter = rt.crm_adapter()
    try:
        sync = CrmSync(rt.sessions, adapter, rt.config.crm, settings=rt.settings, rules=rt.config.scoring)
        report = sync.sync(accounts)
    except CrmError as exc:
        # The whole sync stopped (credentials, an unprovisioned field, an outage that outlasted the retries):
        # one line with the fix (`status` shows it too); the sweeper asks again for every unsynced account.
        crm_health.record_failure(rt, adapter, exc)
        if exc.retryable:
            rt.queue.request_sync(accounts, delay=max(60.0, rt.config.crm.sync_delay_seconds))
        return {"accounts": len(accounts), "failed": len(accounts)}
    crm_health.record_success(rt, adapter, report)
    if report.retry_later:
        rt.queue.request_sync(report.retry_later, delay=max(30.0, rt.config.crm.sync_delay_seconds))
    for failure in report.failures:
        log.warning(
            "CRM %s for %s (record %s) failed: %s; fix: %s",
            failure.what,
            failure.account_id,
            failure.record_id,
            failure.reason,
            crm_health.fix_for(failure.reason),
        )
    return {
        "accounts": report.accounts,
        "written": report.written,
        "tasks": report.tasks_created,
        "failures": len(report.failures),
        "retry_later": len(report.retry_later),
    }


def _alert_on_slack(rt: runtime.Runtime, intervention_ids: list[int]) -> None:
    if intervention_ids:
        rt.queue.enqueue_call("connector.jobs.slack.deliver_slack_alerts", intervention_ids)


class RescoreFailed(Exception):
    """Some accounts of a rescore job failed; RQ retries the job."""


def rescore_all() -> dict[str, int]:
    """Daily: queue every account for rescoring (scores decay with silence, events or not)."""
    rt = runtime.current()
    with rt.sessions() as session:
        accounts = list(session.scalars(select(Account.account_id)))
    enqueued = rt.queue.request_rescore(accounts)
    log.info("daily rescore: %d account(s), %d newly queued", len(accounts), enqueued)
    return {"accounts": len(accounts), "enqueued": enqueued}


def sweep_unprocessed(grace: timedelta | None = None, lock: bool = True) -> dict[str, int]:
    """Enqueue a rescore for every account whose stored work has waited longer than `grace`
    (default: HEALTHLOOP_SWEEP_GRACE_SECONDS).

    This is what makes a Redis outage (or a lost job) harmless: the outbox lives in SQL.
    Several workers may run it; a short Redis lock keeps them from sweeping at the same moment.
    """
    rt = runtime.current()
    if grace is None:
        grace = timedelta(seconds=rt.settings.sweep_grace_seconds)
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
    result = {"accounts": len(accounts), "enqueued": enqueued}
    if rt.crm_enabled:
        with rt.sessions() as session:
            unsynced = accounts_needing_sync(session, rt.settings.crm)
        _request_sync(rt, unsynced)
        result["unsynced"] = len(unsynced)
    return result


def pull_outcomes() -> dict[str, int]:
    """Hourly: read task completion and renewals back from the CRM (nothing when no CRM is configured)."""
    rt = runtime.current()
    if not rt.crm_enabled:
        return {"tasks": 0, "renewals": 0}
    report = crm_outcomes.pull_outcomes(rt.sessions, rt.crm_adapter())
    return {"tasks": report.tasks_read, "completed": report.tasks_completed, "renewals": report.renewals}


def refresh_outcomes(hints: list[list[str]]) -> dict[str, int]:
    """Read the tasks and deals a CRM webhook named (["task", id] / ["deal", id]) back now."""
    rt = runtime.current()
    if not rt.crm_enabled:
        return {"tasks": 0, "renewals": 0}
    tasks = sorted({object_id for kind, object_id in hints if kind == "task"})
    deals = sorted({object_id for kind, object_id in hints if kind == "deal"})
    report = crm_outcomes.refresh_outcomes(rt.sessions, rt.crm_adapter(), tasks, deals)
    return {"tasks": report.tasks_read, "completed": report.tasks_completed, "renewals": report.renewals}
