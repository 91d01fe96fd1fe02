"""Doing the planned work (`connector.crm.work`): create the tasks and enrollments, update the cleared tasks,
mark the stale and the unowned, and record every outcome, commit by commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from connector.crm.owners import NO_OWNER_ERROR
from connector.crm.sync_report import Failure, SyncReport
from connector.crm.work import PlannedTask, Work, work_items
from connector.store.models import Intervention
from crm_adapters.base import CrmAdapter, Outcome, TaskUpdate


def do_work(
    sessions: sessionmaker[Session], adapter: CrmAdapter, work: Work, now: datetime, report: SyncReport
) -> None:
    """Create the planned tasks and enrollments, update the cleared tasks, and record every outcome."""
    with sessions.begin() as session:
        if work.stale:
            stale = [i.id for i in work.stale]
            session.execute(update(Intervention).where(Intervention.id.in_(stale)).values(crm_status="stale"))
        for intervention in work.no_owner:
            reason = f"{NO_OWNER_ERROR}: the CRM record has none and crm.owners sets no default or escalation owner"
            session.execute(
                update(Intervention)
                .where(Intervention.id == intervention.id)
                .values(crm_status="failed", crm_error=reason, crm_synced_at=now)
            )
            report.failures.append(Failure(intervention.account_id, None, "task", reason))
    report.no_owner += len(work.no_owner)
    report.too_old += len(work.stale)
    done = _create_tasks(sessions, adapter, work.tasks, now, report)
    _enroll(sessions, adapter, [t for t in done if t.enrollment is not None], report)
    unconfigured = [t.intervention.id for t in done if t.intervention in work.unconfigured]
    if unconfigured:
        with sessions.begin() as session:
            session.execute(
                update(Intervention)
                .where(Intervention.id.in_(unconfigured))
                .values(enrollment_status="not_configured", enrollment_error="no sequence in crm.sequences")
            )
    if work.clears:
        _clear(sessions, adapter, work.clears, now, report)


def _create_tasks(
    sessions: sessionmaker[Session], adapter: CrmAdapter, tasks: list[PlannedTask], now: datetime, report: SyncReport
) -> list[PlannedTask]:
    if not tasks:
        return []
    outcomes = {o.key: o for o in adapter.upsert_tasks([t.spec for t in tasks])}
    done: list[PlannedTask] = []
    with sessions.begin() as session:
        for task in tasks:
            intervention, spec = task.intervention, task.spec
            outcome = outcomes.get(spec.key) or Outcome(spec.key, False, retryable=True, reason="no result")
            if outcome.ok:
                done.append(task)
                values: dict[str, Any] = {
                    "crm_task_id": outcome.remote_id,
                    "crm_status": "created",
                    "crm_error": None,
                    "status": "sent",
                    "crm_due_at": spec.due_at,
                    "crm_owner_id": spec.owner_id,
                }
            else:
                values = {"crm_status": "failed", "crm_error": outcome.reason[:2000]}
                if outcome.retryable:
                    report.retry_later.append(intervention.account_id)
                else:
                    report.failures.append(Failure(intervention.account_id, spec.record_id, "task", outcome.reason))
            session.execute(
                update(Intervention).where(Intervention.id == intervention.id).values(crm_synced_at=now, **values)
            )
    report.tasks_created += len(done)
    report.task_accounts += len({t.intervention.account_id for t in done})
    report.items += [item for item in work_items(Work(tasks=done)) if item.kind == "task"]
    return done


def _enroll(sessions: sessionmaker[Session], adapter: CrmAdapter, tasks: list[PlannedTask], report: SyncReport) -> None:
    if not tasks:
        return
    outcomes = {o.key: o for o in adapter.enroll([t.enrollment for t in tasks if t.enrollment is not None])}
    with sessions.begin() as session:
        for task in tasks:
            intervention, spec = task.intervention, task.enrollment
            assert spec is not None
            outcome = outcomes.get(spec.key) or Outcome(spec.key, False, reason="no result")
            if outcome.ok:
                report.enrolled += 1
                report.items += [i for i in work_items(Work(tasks=[task])) if i.kind == "enrollment"]
            else:
                report.failures.append(Failure(intervention.account_id, spec.record_id, "sequence", outcome.reason))
            session.execute(
                update(Intervention)
                .where(Intervention.id == intervention.id)
                .values(
                    enrollment_status="enrolled" if outcome.ok else ("retry" if outcome.retryable else "failed"),
                    enrollment_error=None if outcome.ok else outcome.reason[:2000],
                    enrollment_id=outcome.remote_id if outcome.ok else None,
                )
            )


def _clear(
    sessions: sessionmaker[Session],
    adapter: CrmAdapter,
    clears: list[tuple[Intervention, TaskUpdate]],
    now: datetime,
    report: SyncReport,
) -> None:
    outcomes = {o.key: o for o in adapter.update_tasks([task_update for _, task_update in clears])}
    with sessions.begin() as session:
        for intervention, task_update in clears:
            outcome = outcomes.get(task_update.task_id)
            if outcome is not None and outcome.ok:
                report.tasks_updated += 1
                report.items += [i for i in work_items(Work(clears=[(intervention, task_update)]))]
                session.execute(
                    update(Intervention)
                    .where(Intervention.id == intervention.id)
                    .values(crm_status="cleared", crm_synced_at=now)
                )
            elif outcome is not None and not outcome.retryable:
                report.failures.append(Failure(intervention.account_id, None, "task update", outcome.reason))
