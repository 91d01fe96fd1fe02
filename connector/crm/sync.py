"""Sync health to the CRM: values that changed, tasks for interventions, tier-change notes, sequences; a dry run
plans the same and stops before writing.

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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.config.crm_section import CrmConfig
from connector.config.settings import Settings
from connector.crm.account_facts import AccountFacts, load_facts
from connector.crm.pending_work import accounts_needing_sync
from connector.crm.record_values import NextAction, account_url, diff, health_values, story_of
from connector.crm.resolve import resolve_records
from connector.crm.sync_report import Failure, SyncReport, WorkItem, used_since
from connector.crm.task_content import tier_note
from connector.crm.work import WorkContext, count_planned, plan_work
from connector.crm.work_done import do_work
from connector.health.churn_model import current_model
from connector.health.scores import latest_scores
from connector.store.bulk import update_many
from connector.store.models import Account, AccountScore, Alert, CrmRecord
from connector.store.sql import chunks, in_list
from crm_adapters.base import CrmAdapter, NoteSpec, Outcome, PlannedWork, RecordUpdate
from scoring.rules import ScoringRules

log = logging.getLogger(__name__)

BATCH = 600
"""Accounts read per sync step (bounded memory); a multiple of every CRM's lookup batch (HubSpot 100,
Salesforce 200), so resolving ids takes the fewest calls."""

__all__ = ["CrmSync", "accounts_needing_sync"]  # the jobs import both from here


@dataclass(frozen=True)
class _Write:
    """One record's pending write, with what it needs once the CRM has answered."""

    update: RecordUpdate
    synced_before: dict[str, Any]
    story_before: dict[str, Any]
    story: dict[str, Any]
    name: str


class CrmSync:
    """One sync run's wiring: the database, the adapter, the crm config, the clock, and (for what CSMs read)
    the settings (console URL, Slack) and the scoring rules (key features, tier bands). Without settings the
    `account_url` field is left as it is, without rules `features_adopted`: this run cannot tell them."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        adapter: CrmAdapter,
        config: CrmConfig,
        now: datetime | None = None,
        *,
        settings: Settings | None = None,
        rules: ScoringRules | None = None,
    ) -> None:
        self.sessions, self.adapter, self.config = sessions, adapter, config
        self.mapping = config.mapping(adapter.name)
        self.crm = adapter.name
        self.now = now or datetime.now(UTC)
        self.rules = rules
        self.console_url = settings.console_url if settings else None
        self.slack = bool(settings and settings.slack_webhook_url)
        self.skip = frozenset({"account_url"} if settings is None else set()) | frozenset(
            {"features_adopted"} if rules is None else set()
        )
        self._buffer: list[_Write] = []
        self._task_records: set[str] = set()
        self._churn_in_use = False
        """A learned churn model is in use (read at the start of each run): only then is a probability written."""

    # --- entry points ---------------------------------------------------------------------
    def sync(
        self,
        account_ids: Sequence[str] | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> SyncReport:
        """Sync these accounts (every scored account when None), in batches; a dry run plans everything,
        reads what it must, and writes nothing."""
        with self.sessions() as session:
            self._churn_in_use = current_model(session) is not None
            if account_ids is None:
                account_ids = list(session.scalars(select(AccountScore.account_id).distinct()))
        report = SyncReport(dry_run=dry_run)
        before = replace(self.adapter.usage, by_kind=dict(self.adapter.usage.by_kind))
        self._buffer, self._task_records = [], set()
        for batch in chunks(sorted(set(account_ids)), BATCH):
            report.merge(self._sync_batch(list(batch), dry_run))
            if progress:
                progress(len(batch))
        self._flush(self._buffer, report)
        self._buffer = []
        report.usage = used_since(before, self.adapter.usage)
        if dry_run:
            work = PlannedWork(
                records=len(report.changes),
                tasks=report.tasks_created,
                task_records=len(self._task_records),
                task_updates=report.tasks_updated,
                notes=report.notes,
                enrollments=report.enrolled,
            )
            report.estimate = self.adapter.estimate_calls(work)
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
            latest_days = {account_id: row.day for account_id, row in rows.items()}
            facts = load_facts(session, account_ids, latest_days, self.now.date(), self.rules)
        record_ids = resolve_records(self, account_ids, records, accounts, report, dry_run)
        names = {a: getattr(accounts.get(a), "name", None) or a for a in account_ids}
        context = WorkContext(self.config, self.now, self.slack, names, self._url)
        work = plan_work(self.sessions, self.adapter, context, account_ids, record_ids, rows, triggers)
        self._task_records |= {task.spec.record_id for task in work.tasks}
        writes = self._plan_writes(
            rows, triggers, idle_seats, records, record_ids, names, facts, work.actions, report, dry_run
        )
        if dry_run:
            count_planned(work, report)
            notes = [note for note in (self._note(w) for w in writes) if note is not None]
            report.notes += len(notes)
            report.items += [WorkItem("note", n.key.split(":tier:")[0], n.body.plain().split("\n")[0]) for n in notes]
            return report
        # Writes wait in a buffer shared by all batches, so sparse changes still fill 100-record calls.
        self._buffer.extend(writes)
        size = self.adapter.write_batch_size
        while len(self._buffer) >= size:
            self._flush(self._buffer[:size], report)
            del self._buffer[:size]
        do_work(self.sessions, self.adapter, work, self.now, report)
        return report

    def _url(self, account_id: str) -> str | None:
        return account_url(self.console_url, account_id)

    def _plan_writes(
        self,
        rows: dict[str, Any],
        triggers: dict[str, list[str]],
        idle_seats: dict[str, dict[str, Any]],
        records: dict[str, CrmRecord],
        record_ids: dict[str, str],
        names: dict[str, str],
        facts: dict[str, AccountFacts],
        actions: dict[str, NextAction],
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
            open_triggers = triggers.get(account_id, ())
            values = health_values(
                row, open_triggers, facts.get(account_id), actions.get(account_id), self.console_url, self._churn_in_use
            )
            changed = diff(self.mapping, values, synced, self.skip)
            if not changed:
                unchanged.append(account_id)
                continue
            writes.append(
                _Write(
                    RecordUpdate(account_id, record_id, changed),
                    synced,
                    dict(record.synced_story) if same_record and record is not None else {},
                    story_of(row, open_triggers, idle_seats.get(account_id)),
                    names.get(account_id) or account_id,
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
                if (note := self._note(write)) is not None:
                    notes.append(note)
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
            by_key = {note.key: note for note in notes}
            for outcome in self.adapter.add_notes(notes):
                account_id = outcome.key.split(":tier:")[0]
                if outcome.ok:
                    report.notes += 1
                    report.items.append(WorkItem("note", account_id, by_key[outcome.key].body.plain().split("\n")[0]))
                else:
                    report.failures.append(Failure(account_id, None, "note", outcome.reason))

    def _note(self, write: _Write) -> NoteSpec | None:
        """The tier-change note a successful write brings, if the tier changed."""
        before, after = write.story_before, write.story
        if not (self.config.notes_on_tier_change and before.get("tier") and before["tier"] != after["tier"]):
            return None
        account_id = write.update.account_id
        bands = self.rules.tiers if self.rules is not None else None
        return NoteSpec(
            f"{account_id}:tier:{after['day']}:{before['tier']}>{after['tier']}",
            write.update.record_id,
            tier_note(write.name, before, after, bands, self._url(account_id)),
            self.now,
        )
