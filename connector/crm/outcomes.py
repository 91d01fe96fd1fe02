"""Read outcomes back from the CRM: the status of every open task healthloop created, where each
sequence / cadence enrollment stands, and the renewal deals / opportunities of every account with a
CRM record (`healthloop outcomes pull`, hourly in the worker, and at once for the tasks and deals a
CRM webhook names). Idempotent: a renewal is keyed by (source, deal id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.store.bulk import insert_ignore_many
from connector.store.models import CrmRecord, Intervention, Renewal
from connector.store.sql import chunks
from crm_adapters.base import CrmAdapter
from crm_adapters.base import Renewal as CrmRenewal


@dataclass
class PullReport:
    tasks_read: int = 0
    tasks_completed: int = 0
    tasks_missing: int = 0
    renewals: int = 0
    renewals_closed: int = 0
    enrollments_replied: int = 0
    failures: list[str] = field(default_factory=list)


def pull_outcomes(sessions: sessionmaker[Session], adapter: CrmAdapter, now: datetime | None = None) -> PullReport:
    """Read the status of healthloop's open tasks and the accounts' renewals from the CRM, in batches."""
    now = now or datetime.now(UTC)
    report = PullReport()
    with sessions() as session:
        open_tasks = list(
            session.execute(
                select(Intervention.id, Intervention.crm_task_id).where(
                    Intervention.crm_task_id.is_not(None), Intervention.task_completed_at.is_(None)
                )
            )
        )
        records = _records(session, adapter.name)
    _read_tasks(sessions, adapter, [(i, t) for i, t in open_tasks if t], now, report)
    _read_renewals(sessions, adapter, records, list(records), now, report)
    _read_enrollments(sessions, adapter, now, report)
    return report


def _read_enrollments(sessions: sessionmaker[Session], adapter: CrmAdapter, now: datetime, report: PullReport) -> None:
    """Where sequence / cadence enrollments stand; a reply is a response like a completed task."""
    with sessions() as session:
        waiting = list(
            session.execute(
                select(Intervention.id, Intervention.enrollment_id).where(
                    Intervention.enrollment_id.is_not(None), Intervention.enrollment_replied_at.is_(None)
                )
            )
        )
    for batch in chunks(waiting, 200):
        states = adapter.enrollment_states([enrollment_id for _, enrollment_id in batch])
        with sessions.begin() as session:
            for intervention_id, enrollment_id in batch:
                status = states.get(enrollment_id)
                if status is None:
                    continue
                values: dict[str, object] = {"enrollment_state": status.state[:64]}
                if status.replied:
                    report.enrollments_replied += 1
                    values["enrollment_replied_at"] = now
                session.execute(update(Intervention).where(Intervention.id == intervention_id).values(**values))


def refresh_outcomes(
    sessions: sessionmaker[Session],
    adapter: CrmAdapter,
    task_ids: Sequence[str],
    deal_ids: Sequence[str],
    now: datetime | None = None,
) -> PullReport:
    """Read back just the tasks and deals a CRM webhook said changed (near-real-time outcomes)."""
    now = now or datetime.now(UTC)
    report = PullReport()
    with sessions() as session:
        tasks = list(
            session.execute(
                select(Intervention.id, Intervention.crm_task_id).where(Intervention.crm_task_id.in_(list(task_ids)))
            )
        ) if task_ids else []  # fmt: skip
        records = _records(session, adapter.name)
    _read_tasks(sessions, adapter, [(i, t) for i, t in tasks if t], now, report)
    if deal_ids:
        owners = [record for record in adapter.renewal_records(deal_ids).values() if record in records]
        _read_renewals(sessions, adapter, records, sorted(set(owners)), now, report)
    return report


def _records(session: Session, crm: str) -> dict[str, str]:
    """CRM record id -> account id, for the accounts resolved in this CRM."""
    rows = session.execute(
        select(CrmRecord.record_id, CrmRecord.account_id).where(CrmRecord.crm == crm, CrmRecord.record_id.is_not(None))
    )
    return {record_id: account_id for record_id, account_id in rows if record_id}


def _read_tasks(
    sessions: sessionmaker[Session],
    adapter: CrmAdapter,
    tasks: list[tuple[int, str]],
    now: datetime,
    report: PullReport,
) -> None:
    for batch in chunks(tasks, 200):
        statuses = adapter.read_tasks([task_id for _, task_id in batch])
        report.tasks_read += len(batch)
        with sessions.begin() as session:
            for intervention_id, task_id in batch:
                status = statuses.get(task_id)
                if status is None:
                    report.tasks_missing += 1
                    values: dict[str, object] = {"task_status": "deleted", "outcome_checked_at": now}
                else:
                    values = {"task_status": status.status, "outcome_checked_at": now}
                    if status.completed:
                        report.tasks_completed += 1
                        values["task_completed_at"] = status.completed_at or now
                session.execute(update(Intervention).where(Intervention.id == intervention_id).values(**values))


def _read_renewals(
    sessions: sessionmaker[Session],
    adapter: CrmAdapter,
    records: dict[str, str],
    record_ids: list[str],
    now: datetime,
    report: PullReport,
) -> None:
    for batch in chunks(record_ids, 200):
        renewals = adapter.read_renewals(batch)
        with sessions.begin() as session:
            report.renewals += store_renewals(session, adapter.name, records, renewals, now)
        report.renewals_closed += sum(1 for r in renewals if r.closed)


def store_renewals(
    session: Session, source: str, accounts: dict[str, str], renewals: Iterable[CrmRenewal], now: datetime
) -> int:
    """Upsert renewals read from the CRM (record id -> account id through `accounts`)."""
    rows = []
    for renewal in renewals:
        account_id = accounts.get(renewal.record_id)
        if account_id is None or renewal.close_date is None:
            continue
        status = "open" if not renewal.closed else ("won" if renewal.won else "lost")
        rows.append(
            (
                source,
                renewal.deal_id,
                account_id,
                renewal.name,
                renewal.close_date,
                status,
                renewal.amount,
                now,
            )
        )
    columns = ("source", "external_id", "account_id", "name", "close_date", "status", "amount", "updated_at")
    return insert_ignore_many(
        session,
        Renewal.__table__,
        columns,
        rows,
        replace=(("source", "external_id"), ("account_id", "name", "close_date", "status", "amount", "updated_at")),
    )
