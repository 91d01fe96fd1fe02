"""Tasks and notes (completed Tasks) on Salesforce, each created exactly once per key through the unique
external-id field `Healthloop_Key__c`: read by key, create only the missing, read back when a create collides
with the unique key. Never an upsert by the external id: that would overwrite a task a CSM has since
completed. Takes the calls and a `RecordUpdates` (the adapter is one); the adapter delegates here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, Protocol

from crm_adapters.base import NoteSpec, Outcome, TaskSpec, TaskUpdate
from crm_adapters.errors import CrmRetryableError
from crm_adapters.salesforce import cadences, records
from crm_adapters.salesforce.calls import SalesforceCalls, SalesforceFatalError
from crm_adapters.salesforce.queries import query_in
from crm_adapters.salesforce.records import COLLECTION_LIMIT, chunks


class RecordUpdates(Protocol):
    """The Collections update the activities need (`SalesforceAdapter` has it)."""

    def batch_update(self, object_name: str, items: list[tuple[str, str, dict[str, Any]]]) -> list[Outcome]: ...


class SalesforceActivities:
    def __init__(
        self, calls: SalesforceCalls, objects: RecordUpdates, key_field: str, task_contact: Literal["first", "none"]
    ) -> None:
        self.calls, self.objects = calls, objects
        self.key_field, self.task_contact = key_field, task_contact
        self._task_statuses: tuple[str, str] | None = None

    def task_statuses(self) -> tuple[str, str]:
        """(the org's default open Task status, a closed one), read once from TaskStatus."""
        if self._task_statuses is None:
            rows = self.calls.query("taskstatus.read", "SELECT ApiName, IsClosed, IsDefault FROM TaskStatus")
            open_status, closed_status = records.task_statuses(rows)
            self._task_statuses = (open_status or "Not Started", closed_status or "Completed")
        return self._task_statuses

    def upsert_tasks(self, tasks: Sequence[TaskSpec]) -> list[Outcome]:
        key_field = self.key_field
        try:
            open_status, _ = self.task_statuses()
        except CrmRetryableError as exc:
            return [Outcome(t.key, False, retryable=True, reason=str(exc)) for t in tasks]
        if self.task_contact == "first":
            # Who the task is about: the account's first contact, unless the caller named one.
            wanted = [t.record_id for t in tasks if not t.contact_id]
            try:
                contacts = cadences.first_contacts(self.calls, wanted) if wanted else {}
            except CrmRetryableError as exc:
                return [Outcome(t.key, False, retryable=True, reason=str(exc)) for t in tasks]
            tasks = [t if t.contact_id else replace(t, contact_id=contacts.get(t.record_id)) for t in tasks]
        items = [(t.key, records.task_record(t, status=open_status, key_field=key_field)) for t in tasks]
        return self._create_once(items)

    def add_notes(self, notes: Sequence[NoteSpec]) -> list[Outcome]:
        key_field = self.key_field
        try:
            _, closed_status = self.task_statuses()
        except CrmRetryableError as exc:
            return [Outcome(n.key, False, retryable=True, reason=str(exc)) for n in notes]
        items = [(n.key, records.note_record(n, status=closed_status, key_field=key_field)) for n in notes]
        return self._create_once(items)

    def _create_once(self, items: list[tuple[str, dict[str, Any]]]) -> list[Outcome]:
        """Exactly one Task per key: read by key, create the missing, read back on DUPLICATE_VALUE.

        Never upserts by the external id: an upsert would overwrite a task a CSM has since completed.
        """
        by_key = {key: record for key, record in reversed(items)}
        results: dict[str, Outcome] = {}
        try:
            results.update(self._read_keys(list(by_key)))
            missing = [key for key in by_key if key not in results]
            for index, chunk in enumerate(chunks(missing)):
                try:
                    results.update(self._create_chunk(list(chunk), by_key))
                except CrmRetryableError as exc:
                    for key in missing[index * COLLECTION_LIMIT :]:
                        results[key] = Outcome(key, False, retryable=True, reason=str(exc))
                    break
        except CrmRetryableError as exc:
            for key in by_key:
                results.setdefault(key, Outcome(key, False, retryable=True, reason=str(exc)))
        return [results[key] for key, _ in items]

    def _create_chunk(self, keys: list[str], by_key: dict[str, dict[str, Any]]) -> dict[str, Outcome]:
        body = {"allOrNone": False, "records": [by_key[key] for key in keys]}
        try:
            response = self.calls.restful("tasks.create", "composite/sobjects", method="POST", json=body, write=True)
        except SalesforceFatalError as exc:
            found = self._read_keys(keys)
            return found | {key: Outcome(key, False, reason=exc.message) for key in keys if key not in found}
        results = response if isinstance(response, list) else []
        outcomes: dict[str, Outcome] = {}
        collided: list[str] = []
        for index, key in enumerate(keys):
            result = results[index] if index < len(results) else None
            if (
                result is not None
                and not result.get("success")
                and records.save_error(result)[0] == records.DUPLICATE_VALUE
            ):
                collided.append(key)  # a racing worker, or our own earlier request whose answer was lost
                continue
            outcomes[key] = records.save_outcome(key, None, result)
            if outcomes[key].ok:
                outcomes[key] = Outcome(key, True, outcomes[key].remote_id)
        if collided:
            found = self._read_keys(collided)
            outcomes |= found | {
                key: Outcome(key, False, retryable=True, reason="DUPLICATE_VALUE on the task key, but no task has it")
                for key in collided
                if key not in found
            }
        return outcomes

    def _read_keys(self, keys: list[str]) -> dict[str, Outcome]:
        key_field = self.key_field
        rows = query_in(self.calls, "tasks.read_keys", f"Id, {key_field}", "Task", key_field, keys)
        return {
            str(row[key_field]): Outcome(str(row[key_field]), True, str(row["Id"]), reason="already exists")
            for row in rows
            if row.get(key_field)
        }

    def update_tasks(self, updates: Sequence[TaskUpdate]) -> list[Outcome]:
        try:
            ids = [u.task_id for u in updates if records.looks_like_id(u.task_id)]
            rows = query_in(self.calls, "tasks.read", "Id, Description, Status, IsClosed", "Task", "Id", ids)
            _, closed_status = self.task_statuses() if any(u.complete for u in updates) else ("", "")
        except CrmRetryableError as exc:
            return [Outcome(u.task_id, False, u.task_id, retryable=True, reason=str(exc)) for u in updates]
        current = {str(row["Id"]): row for row in rows}
        planned: dict[str, dict[str, Any]] = {}
        skipped: dict[str, Outcome] = {}
        for update in updates:
            task_id = update.task_id
            row = current.get(task_id)
            if row is None:
                reason = f"{records.NOT_FOUND_REASON} (no task {task_id})"
                skipped[task_id] = Outcome(task_id, False, task_id, reason=reason, not_found=True)
                continue
            if row.get("IsClosed") and task_id not in planned:
                # The CSM acted first: the task tells their story now, not ours.
                skipped[task_id] = Outcome(task_id, True, task_id, reason="already completed")
                continue
            changes = planned.setdefault(task_id, {})
            body = records.append_note(changes.get("Description", row.get("Description")), update.note)
            if body is not None:
                changes["Description"] = body
            if update.complete:
                changes["Status"] = closed_status
        items = [(task_id, task_id, changes) for task_id, changes in planned.items() if changes]
        results = {o.key: o for o in self.objects.batch_update("Task", items)} | skipped
        for task_id, changes in planned.items():
            if not changes:
                results[task_id] = Outcome(task_id, True, task_id, reason="already up to date")
        return [results[u.task_id] for u in updates]
