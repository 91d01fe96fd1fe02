"""Sync health to the CRM: values that changed, tasks for interventions, tier-change notes, sequences.

The connector keeps the bookkeeping (`crm_records`: each account's record id and what that record
last got; `interventions.crm_*`: each task's id and state), so a sync writes only differences,
and every CRM call is followed by its own commit: a crash loses at most the call in flight, and
the adapter's idempotency (values are values; tasks and notes carry unique keys) makes redoing it
harmless.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.config.crm_section import CrmConfig
from connector.crm.pending_work import TASK_MAX_AGE, split_by_age
from connector.crm.record_values import (
    diff,
    health_values,
    story_of,
    task_body,
    task_key,
    task_type,
    tier_note,
)
from connector.crm.sync_report import Failure, SyncReport, used_since
from connector.health.scores import latest_scores
from connector.store.bulk import insert_ignore_many, update_many
from connector.store.models import Account, AccountScore, Alert, CrmRecord, Intervention
from connector.store.sql import chunks, in_list
from crm_adapters.base import (
    AccountKey,
    CrmAdapter,
    EnrollmentSpec,
    NoteSpec,
    Outcome,
    RecordUpdate,
    TaskSpec,
    TaskUpdate,
)
from scoring.rules import TIER_LABELS, TIERS

log = logging.getLogger(__name__)

BATCH = 600
"""Accounts read per sync step (bounded memory); a multiple of every CRM's lookup batch (HubSpot 100,
Salesforce 200), so resolving ids takes the fewest calls."""
RESOLVE_AGAIN_AFTER = timedelta(hours=1)
"""An account without a CRM record is looked up again after this long (the record may be created)."""


@dataclass(frozen=True)
class _Write:
    """One record's pending write, with what it needs once the CRM has answered."""

    update: RecordUpdate
    synced_before: dict[str, Any]
    story_before: dict[str, Any]
    story: dict[str, Any]
    name: str


class CrmSync:
    """One sync run's wiring: the database, the adapter, the crm config and the clock."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        adapter: CrmAdapter,
        config: CrmConfig,
        now: datetime | None = None,
    ) -> None:
        self.sessions, self.adapter, self.config = sessions, adapter, config
        self.mapping = config.mapping(adapter.name)
        self.crm = adapter.name
        self.now = now or datetime.now(UTC)
        self._buffer: list[_Write] = []

    # --- entry points ---------------------------------------------------------------------
    def sync(
        self,
        account_ids: Sequence[str] | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> SyncReport:
        """Sync these accounts (every scored account when None), in batches."""
        if account_ids is None:
            with self.sessions() as session:
                account_ids = list(session.scalars(select(AccountScore.account_id).distinct()))
        report = SyncReport(dry_run=dry_run)
        before = replace(self.adapter.usage, by_kind=dict(self.adapter.usage.by_kind))
        self._buffer = []
        for batch in chunks(sorted(set(account_ids)), BATCH):
            report.merge(self._sync_batch(list(batch), dry_run))
            if progress:
                progress(len(batch))
        self._flush(self._buffer, report)
        self._buffer = []
        report.usage = used_since(before, self.adapter.usage)
        return report

    # --- one batch ------------------------------------------------------------------------
    def _sync_batch(self, account_ids: list[str], dry_run: bool) -> SyncReport:
        report = SyncReport(dry_run=dry_run, accounts=len(account_ids))
        with self.sessions() as session:
            scores = AccountScore.__table__.c
            rows = {row.account_id: row for row in session.execute(latest_scores(session, account_ids, None, *scores))}
            triggers: dict[str, list[str]] = defaultdict(list)
            for account_id, trigger_id in session.execute(
                select(Alert.account_id, Alert.trigger_id).where(
                    in_list(session, Alert.account_id, account_ids), Alert.cleared_on.is_(None)
                )
            ):
                triggers[account_id].append(trigger_id)
            idle_seats = dict(
                session.execute(
                    select(Alert.account_id, Alert.evidence).where(
                        in_list(session, Alert.account_id, account_ids),
                        Alert.trigger_id == "seats_inactive",
                        Alert.cleared_on.is_(None),
                    )
                ).all()
            )
            records = {
                r.account_id: r
                for r in session.scalars(
                    select(CrmRecord).where(
                        CrmRecord.crm == self.crm, in_list(session, CrmRecord.account_id, account_ids)
                    )
                )
            }
            accounts = {
                a.account_id: a
                for a in session.execute(
                    select(Account.account_id, Account.name, Account.domain, Account.crm_match_key).where(
                        in_list(session, Account.account_id, account_ids)
                    )
                )
            }
        record_ids = self._resolve(account_ids, records, accounts, report, dry_run)
        writes = self._plan_writes(rows, triggers, idle_seats, records, record_ids, accounts, report, dry_run)
        if not dry_run:
            # Writes wait in a buffer shared by all batches, so sparse changes still fill 100-record calls.
            self._buffer.extend(writes)
            size = self.adapter.write_batch_size
            while len(self._buffer) >= size:
                self._flush(self._buffer[:size], report)
                del self._buffer[:size]
            self._tasks(account_ids, record_ids, rows, triggers, report)
        else:
            self._count_what_would_happen(account_ids, record_ids, rows, triggers, writes, report)
        return report

    def _resolve(
        self,
        account_ids: list[str],
        records: dict[str, CrmRecord],
        accounts: dict[str, Any],
        report: SyncReport,
        dry_run: bool,
    ) -> dict[str, str]:
        """account_id -> record id, looking up only accounts never resolved (or missing for a while)."""
        known: dict[str, str] = {}
        wanted = []
        for account_id in account_ids:
            record = records.get(account_id)
            if record is not None and record.record_id:
                known[account_id] = record.record_id
            elif record is None or record.resolved_at is None or record.resolved_at < self.now - RESOLVE_AGAIN_AFTER:
                wanted.append(account_id)
            else:
                report.unmatched.append(account_id)
        if not wanted:
            return known
        keys = []
        for account_id in wanted:
            account = accounts.get(account_id)
            match_key = (account.crm_match_key if account is not None else None) or account_id
            keys.append(AccountKey(match_key, account.domain if account is not None else None))
        by_key = self.adapter.resolve(keys, self.mapping)
        found: dict[str, str | None] = {}
        for account_id, key in zip(wanted, keys, strict=True):
            record_id = by_key.get(key.account_id)
            found[account_id] = record_id
            if record_id:
                known[account_id] = record_id
            else:
                report.unmatched.append(account_id)
        if not dry_run:
            with self.sessions.begin() as session:
                insert_ignore_many(
                    session,
                    CrmRecord.__table__,
                    ("crm", "account_id", "record_id", "resolved_at", "synced_values", "synced_story"),
                    [(self.crm, account_id, record_id, self.now, {}, {}) for account_id, record_id in found.items()],
                    # A known row keeps what it last got; only the lookup result changes.
                    replace=(("crm", "account_id"), ("record_id", "resolved_at")),
                )
        return known

    def _plan_writes(
        self,
        rows: dict[str, Any],
        triggers: dict[str, list[str]],
        idle_seats: dict[str, dict[str, Any]],
        records: dict[str, CrmRecord],
        record_ids: dict[str, str],
        accounts: dict[str, Any],
        report: SyncReport,
        dry_run: bool,
    ) -> list[_Write]:
        """Diff each account against what its record last got; mark the unchanged ones as checked."""
        writes: list[_Write] = []
        unchanged: list[str] = []
        for account_id, record_id in record_ids.items():
            row = rows.get(account_id)
            if row is None:
                continue
            record = records.get(account_id)
            same_record = record is not None and record.record_id == record_id
            synced = dict(record.synced_values) if same_record and record is not None else {}
            changed = diff(self.mapping, health_values(row, triggers.get(account_id, ())), synced)
            if not changed:
                unchanged.append(account_id)
                continue
            writes.append(
                _Write(
                    RecordUpdate(account_id, record_id, changed),
                    synced,
                    dict(record.synced_story) if same_record and record is not None else {},
                    story_of(row, idle_seats.get(account_id)),
                    getattr(accounts.get(account_id), "name", None) or account_id,
                )
            )
            report.changes.append(
                (account_id, record_id, {name: (synced.get(name), new) for name, new in changed.items()})
            )
        report.unchanged += len(unchanged)
        if unchanged and not dry_run:
            with self.sessions.begin() as session:
                table = CrmRecord.__table__
                session.execute(
                    update(table)
                    .where(table.c.crm == self.crm, in_list(session, table.c.account_id, unchanged))
                    .values(synced_at=self.now)
                )
        return writes

    def _flush(self, writes: list[_Write], report: SyncReport) -> None:
        """Write one full CRM batch (or the last, partial one), then record what each record now holds."""
        if not writes:
            return
        outcomes = {o.key: o for o in self.adapter.write_fields([w.update for w in writes])}
        done: list[_Write] = []
        failed: list[tuple[_Write, Outcome]] = []
        notes: list[NoteSpec] = []
        for write in writes:
            account_id = write.update.account_id
            outcome = outcomes.get(account_id) or Outcome(account_id, False, reason="no result for this record")
            if outcome.ok:
                done.append(write)
                before, after = write.story_before, write.story
                if self.config.notes_on_tier_change and before.get("tier") and before["tier"] != after["tier"]:
                    notes.append(
                        NoteSpec(
                            f"{account_id}:tier:{after['day']}:{before['tier']}>{after['tier']}",
                            write.update.record_id,
                            tier_note(write.name, before, after),
                            self.now,
                        )
                    )
            elif outcome.retryable:
                report.retry_later.append(account_id)
            else:
                failed.append((write, outcome))
                report.failures.append(Failure(account_id, write.update.record_id, "fields", outcome.reason))
        report.written += len(done)
        table = CrmRecord.__table__
        with self.sessions.begin() as session:
            if done:
                # One statement for the whole batch: per-row updates cost more than the HTTP call.
                update_many(
                    session,
                    table,
                    ["crm", "account_id"],
                    ["synced_values", "synced_story", "synced_at", "last_error"],
                    [
                        (
                            self.crm,
                            w.update.account_id,
                            w.synced_before | dict(w.update.values),
                            w.story,
                            self.now,
                            None,
                        )
                        for w in done
                    ],
                )
            for write, outcome in failed:
                values: dict[str, Any] = {"last_error": outcome.reason[:2000]}
                if outcome.not_found:
                    # Deleted or merged in the CRM: forget the id; the next sync resolves the account again.
                    values |= {"record_id": None, "resolved_at": None, "synced_values": {}}
                session.execute(
                    update(table)
                    .where(table.c.crm == self.crm, table.c.account_id == write.update.account_id)
                    .values(**values)
                )
        if notes:
            for outcome in self.adapter.add_notes(notes):
                if outcome.ok:
                    report.notes += 1
                else:
                    account_id = outcome.key.split(":tier:")[0]
                    report.failures.append(Failure(account_id, None, "note", outcome.reason))

    # --- tasks, clearing, sequences -------------------------------------------------------
    def _interventions(self, account_ids: list[str]) -> tuple[list[Intervention], list[Intervention]]:
        """(waiting for a task, with an open task) among these accounts' interventions."""
        with self.sessions() as session:
            interventions = list(
                session.scalars(
                    select(Intervention).where(
                        in_list(session, Intervention.account_id, account_ids),
                        or_(Intervention.crm_status.is_(None), Intervention.crm_status.in_(("failed", "created"))),
                    )
                )
            )
        return [i for i in interventions if i.crm_status != "created"], [
            i for i in interventions if i.crm_status == "created"
        ]

    def _count_what_would_happen(
        self,
        account_ids: list[str],
        record_ids: dict[str, str],
        rows: dict[str, Any],
        triggers: dict[str, list[str]],
        writes: list[_Write],
        report: SyncReport,
    ) -> None:
        """A dry run's tasks, notes, enrollments and task updates: what the real sync would create."""
        pending, open_tasks = self._interventions(account_ids)
        too_old, fresh = split_by_age(pending, self.now)
        tasks = [i for i in fresh if i.account_id in record_ids]
        report.too_old += len(too_old)
        report.tasks_created += len(tasks)
        report.task_accounts += len({i.account_id for i in tasks})
        report.enrolled += sum(
            1
            for i in tasks
            if "email_sequence" in i.channels
            and i.enrollment_status is None
            and self.config.sequence_for(i.trigger_id or i.tier) is not None
        )
        if self.config.notes_on_tier_change:
            report.notes += sum(
                1 for w in writes if w.story_before.get("tier") and w.story_before["tier"] != w.story["tier"]
            )
        open_alerts = {(account_id, t) for account_id, ids in triggers.items() for t in ids}
        report.tasks_updated += sum(1 for i in open_tasks if self._cleared(i, open_alerts, rows.get(i.account_id)))

    def _tasks(
        self,
        account_ids: list[str],
        record_ids: dict[str, str],
        rows: dict[str, Any],
        triggers: dict[str, list[str]],
        report: SyncReport,
    ) -> None:
        pending, open_tasks = self._interventions(account_ids)
        open_alerts = {(account_id, t) for account_id, ids in triggers.items() for t in ids}
        too_old, fresh_ones = split_by_age(pending, self.now)
        stale = [i.id for i in too_old]
        fresh = [i for i in fresh_ones if i.account_id in record_ids]
        if stale:
            with self.sessions.begin() as session:
                session.execute(update(Intervention).where(Intervention.id.in_(stale)).values(crm_status="stale"))
        if fresh:
            self._create_tasks(fresh, record_ids, report)
        cleared = [i for i in open_tasks if self._cleared(i, open_alerts, rows.get(i.account_id))]
        if cleared:
            self._note_cleared(cleared, rows, report)

    def _owner_for(self, intervention: Intervention, owners: dict[str, str | None], record_id: str) -> str | None:
        configured = self.config.owners.get(intervention.owner) if intervention.owner != "csm" else None
        return configured or owners.get(record_id)

    def _create_tasks(self, interventions: list[Intervention], record_ids: dict[str, str], report: SyncReport) -> None:
        owners = self.adapter.record_owners(sorted({record_ids[i.account_id] for i in interventions}))
        specs = {
            task_key(i): (
                i,
                TaskSpec(
                    key=task_key(i),
                    record_id=record_ids[i.account_id],
                    subject=i.subject[:255],
                    body=task_body(i),
                    due_at=i.due_at,
                    priority=i.priority.upper(),  # type: ignore[arg-type]
                    task_type=task_type(i.channels),
                    owner_id=self._owner_for(i, owners, record_ids[i.account_id]),
                ),
            )
            for i in interventions
        }
        outcomes = self.adapter.upsert_tasks([spec for _, spec in specs.values()])
        tasked: set[str] = set()
        with self.sessions.begin() as session:
            for outcome in outcomes:
                intervention, spec = specs[outcome.key]
                if outcome.ok:
                    report.tasks_created += 1
                    tasked.add(intervention.account_id)
                    values: dict[str, Any] = {
                        "crm_task_id": outcome.remote_id,
                        "crm_status": "created",
                        "crm_error": None,
                        "status": "sent",
                    }
                else:
                    values = {"crm_status": "failed", "crm_error": outcome.reason[:2000]}
                    if outcome.retryable:
                        report.retry_later.append(intervention.account_id)
                    else:
                        report.failures.append(Failure(intervention.account_id, spec.record_id, "task", outcome.reason))
                session.execute(
                    update(Intervention)
                    .where(Intervention.id == intervention.id)
                    .values(crm_synced_at=self.now, **values)
                )
        report.task_accounts += len(tasked)
        enroll = [
            (intervention, spec)
            for intervention, spec in specs.values()
            if "email_sequence" in intervention.channels and intervention.enrollment_status is None
        ]
        if enroll:
            self._enroll(enroll, report)

    def _enroll(self, items: list[tuple[Intervention, TaskSpec]], report: SyncReport) -> None:
        wanted: list[tuple[Intervention, EnrollmentSpec]] = []
        not_configured: list[int] = []
        for intervention, spec in items:
            target = self.config.sequence_for(intervention.trigger_id or intervention.tier)
            if target is None:
                not_configured.append(intervention.id)
                continue
            wanted.append(
                (
                    intervention,
                    EnrollmentSpec(
                        task_key(intervention),
                        spec.record_id,
                        target.sequence_id,
                        sender_email=target.sender_email,
                        user_id=target.user_id,
                    ),
                )
            )
        outcomes = {o.key: o for o in self.adapter.enroll([spec for _, spec in wanted])} if wanted else {}
        with self.sessions.begin() as session:
            if not_configured:
                session.execute(
                    update(Intervention)
                    .where(Intervention.id.in_(not_configured))
                    .values(enrollment_status="not_configured", enrollment_error="no sequence in crm.sequences")
                )
            for intervention, spec in wanted:
                outcome = outcomes.get(spec.key) or Outcome(spec.key, False, reason="no result")
                if outcome.ok:
                    report.enrolled += 1
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

    @staticmethod
    def _cleared(intervention: Intervention, open_alerts: set[tuple[str, str]], row: Any) -> bool:
        """Every trigger behind the task has cleared (or, for a tier play, the account left that tier upwards)."""
        if intervention.trigger_ids:
            return not any((intervention.account_id, t) in open_alerts for t in intervention.trigger_ids)
        if row is None:
            return False
        return TIERS.index(row.tier) < TIERS.index(intervention.tier)

    def _note_cleared(self, interventions: list[Intervention], rows: dict[str, Any], report: SyncReport) -> None:
        complete = self.config.tasks.on_clear == "complete"
        today = self.now.date().isoformat()
        updates = []
        for intervention in interventions:
            row = rows.get(intervention.account_id)
            now_text = f" The account now scores {row.score} ({TIER_LABELS.get(row.tier, row.tier)})." if row else ""
            what = ", ".join(intervention.trigger_ids) or f"the {TIER_LABELS.get(intervention.tier)} tier"
            updates.append(
                TaskUpdate(
                    intervention.crm_task_id or "",
                    f"Update {today} from healthloop: {what} cleared before this task was done.{now_text}",
                    complete=complete,
                )
            )
        outcomes = {o.key: o for o in self.adapter.update_tasks(updates)}
        with self.sessions.begin() as session:
            for intervention in interventions:
                outcome = outcomes.get(intervention.crm_task_id or "")
                if outcome is not None and outcome.ok:
                    report.tasks_updated += 1
                    session.execute(
                        update(Intervention)
                        .where(Intervention.id == intervention.id)
                        .values(crm_status="cleared", crm_synced_at=self.now)
                    )
                elif outcome is not None and not outcome.retryable:
                    report.failures.append(Failure(intervention.account_id, None, "task update", outcome.reason))


def accounts_needing_sync(session: Session, crm: str, limit: int = 5000) -> list[str]:
    """Accounts whose latest score is newer than their last sync, or with interventions not yet in the CRM.

    What the sweeper re-enqueues, so a lost Redis job never leaves the CRM stale.
    """
    scores = AccountScore.__table__.c
    latest = (
        select(scores.account_id, func.max(scores.scored_at).label("scored_at")).group_by(scores.account_id).subquery()
    )
    records = CrmRecord.__table__.c
    stale = (
        select(latest.c.account_id)
        .outerjoin(CrmRecord, (records.account_id == latest.c.account_id) & (records.crm == crm))
        .where(
            or_(
                records.account_id.is_(None),
                (records.record_id.is_not(None))
                & or_(records.synced_at.is_(None), records.synced_at < latest.c.scored_at),
            )
        )
        .limit(limit)
    )
    waiting = (
        select(Intervention.account_id)
        .where(Intervention.crm_status.is_(None), Intervention.created_at >= datetime.now(UTC) - TASK_MAX_AGE)
        .distinct()
        .limit(limit)
    )
    return sorted(set(session.scalars(stale)) | set(session.scalars(waiting)))
