"""Read outcomes back: task completion and renewals from the CRM, past renewals from a CSV.

`healthloop outcomes pull` (and the worker, hourly) reads the status of every open task healthloop
created and the renewal deals / opportunities of every account with a CRM record; `healthloop
outcomes import FILE` loads past renewals and churns so measurement and backtests have outcomes
from day one. Both are idempotent: a renewal is keyed by (source, deal id) or (import, account:date).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import click
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.errors import InputError
from connector.store.bulk import insert_ignore_many
from connector.store.models import CrmRecord, Intervention, Renewal
from connector.store.sql import chunks, in_list
from crm_adapters.base import CrmAdapter
from crm_adapters.base import Renewal as CrmRenewal
from scoring.outcomes import RenewalFact

OUTCOMES = ("won", "lost", "churned")
STATUSES = ("open", *OUTCOMES)


@dataclass(frozen=True)
class OutcomeRow:
    account_id: str
    day: date
    outcome: str


def read_outcome_csv(path: Path) -> list[OutcomeRow]:
    """Rows of `account_id,date,outcome` (won / lost / churned); a bad row names its line and the fix."""
    rows: list[OutcomeRow] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"account_id", "date", "outcome"} - set(reader.fieldnames or ())
        if missing:
            raise InputError("bad_csv", f"{path}: the header needs account_id,date,outcome (missing {sorted(missing)})")
        for number, row in enumerate(reader, start=2):
            account, outcome = (row["account_id"] or "").strip(), (row["outcome"] or "").strip().lower()
            try:
                day = date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise InputError("bad_csv", f"{path}:{number}: date must be YYYY-MM-DD, not {row['date']!r}") from None
            if not account:
                raise InputError("bad_csv", f"{path}:{number}: account_id is empty")
            if outcome not in OUTCOMES:
                raise InputError("bad_csv", f"{path}:{number}: outcome must be won, lost or churned, not {outcome!r}")
            rows.append(OutcomeRow(account, day, outcome))
    return rows


def import_outcomes(session: Session, rows: Sequence[OutcomeRow], now: datetime) -> int:
    """Store imported outcomes (a row already imported is left alone); returns how many were new."""
    return insert_ignore_many(
        session,
        Renewal.__table__,
        ("source", "external_id", "account_id", "close_date", "status", "updated_at"),
        [("import", f"{r.account_id}:{r.day.isoformat()}", r.account_id, r.day, r.outcome, now) for r in rows],
    )


def known_losses(session: Session) -> dict[str, tuple[date, str]]:
    """account_id -> (close date, outcome) of its latest lost or churned renewal, from every source."""
    losses: dict[str, tuple[date, str]] = {}
    for account_id, day, status in session.execute(
        select(Renewal.account_id, Renewal.close_date, Renewal.status).where(Renewal.status.in_(("lost", "churned")))
    ):
        if account_id not in losses or day > losses[account_id][0]:
            losses[account_id] = (day, status)
    return losses


def stored_renewals(session: Session, account_ids: Sequence[str] | None = None) -> list[RenewalFact]:
    """Stored renewals (of `account_ids`, or all) as scoring sees them: won True, lost or churned False, open None."""
    columns = select(Renewal.account_id, Renewal.close_date, Renewal.status)
    queries = [columns] if account_ids is None else [
        columns.where(in_list(session, Renewal.account_id, chunk)) for chunk in chunks(list(account_ids))
    ]  # fmt: skip
    return [
        RenewalFact(account_id, close_date, None if status == "open" else status == "won")
        for query in queries
        for account_id, close_date, status in session.execute(query)
    ]


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


@click.group("outcomes")
def outcomes_cli() -> None:
    """Read outcomes back: task completion and renewals from the CRM, or past renewals from a CSV."""


@outcomes_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Load a CSV of past renewals and churns: account_id,date (YYYY-MM-DD),outcome (won/lost/churned)."""
    from connector.config.settings import load_settings
    from connector.store.db import make_engine, make_sessionmaker

    rows = read_outcome_csv(path)
    engine = make_engine(load_settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            added = import_outcomes(session, rows, datetime.now(UTC))
    finally:
        engine.dispose()
    accounts = len({r.account_id for r in rows})
    click.echo(f"{len(rows)} outcome(s) for {accounts} account(s): {added} new, {len(rows) - added} already imported")


@outcomes_cli.command("pull")
def pull_command() -> None:
    """Read task status and renewals from the CRM now (the worker also does it every hour)."""
    from connector.crm import wiring
    from connector.store.db import make_engine, make_sessionmaker

    settings, _, adapter = wiring()
    engine = make_engine(settings.database_url)
    try:
        report = pull_outcomes(make_sessionmaker(engine), adapter)
    finally:
        engine.dispose()
    click.echo(
        f"{report.tasks_read} open task(s) read: {report.tasks_completed} completed, {report.tasks_missing} deleted "
        f"in the CRM; {report.renewals} renewal(s) stored ({report.renewals_closed} closed); "
        f"{report.enrollments_replied} enrollment(s) answered"
    )
