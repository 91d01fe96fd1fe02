"""Tasks and notes on HubSpot, each created exactly once per key (a unique `healthloop_*_key` property): read by
key, create only what is missing, read back when a create collides with a key that exists. Never an upsert:
that would overwrite a task a CSM has since completed or edited. Takes the calls and an `ObjectAccess` (the
adapter is one); the adapter delegates here, never the other way round."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from crm_adapters.base import NoteSpec, Outcome, TaskSpec, TaskUpdate
from crm_adapters.errors import CrmRetryableError
from crm_adapters.hubspot import records
from crm_adapters.hubspot.calls import HubSpotCalls, HubSpotFatalError
from crm_adapters.hubspot.records import BATCH_LIMIT, chunks


class ObjectAccess(Protocol):
    """The batch reads and updates the activities need (`HubSpotAdapter` has both)."""

    def read_objects(
        self, object_type: str, ids: Sequence[str], properties: list[str], *, id_property: str | None = None
    ) -> dict[str, dict[str, Any]]: ...

    def batch_update(self, object_type: str, items: list[tuple[str, str, dict[str, str]]]) -> list[Outcome]: ...


class HubSpotActivities:
    def __init__(
        self, calls: HubSpotCalls, objects: ObjectAccess, task_key_property: str, note_key_property: str
    ) -> None:
        self.calls, self.objects = calls, objects
        self.task_key_property, self.note_key_property = task_key_property, note_key_property

    def upsert_tasks(self, tasks: Sequence[TaskSpec]) -> list[Outcome]:
        key_property = self.task_key_property
        items = [
            (
                t.key,
                records.task_properties(t, key_property),
                records.company_association(t.record_id, records.TASK_TO_COMPANY),
            )
            for t in tasks
        ]
        return self._create_once("tasks", key_property, items)

    def add_notes(self, notes: Sequence[NoteSpec]) -> list[Outcome]:
        key_property = self.note_key_property
        items = [
            (
                n.key,
                records.note_properties(n, key_property),
                records.company_association(n.record_id, records.NOTE_TO_COMPANY),
            )
            for n in notes
        ]
        return self._create_once("notes", key_property, items)

    def _create_once(self, object_type: str, key_property: str, items: list[tuple[str, dict, list]]) -> list[Outcome]:
        """Exactly one object per key: read by key, create the missing, read back on a key collision.

        Never upserts: an upsert would overwrite a task a CSM has since completed or edited.
        """
        by_key = {key: (props, assoc) for key, props, assoc in reversed(items)}
        results: dict[str, Outcome] = {}
        try:
            existing = self.objects.read_objects(object_type, list(by_key), [key_property], id_property=key_property)
            for key, obj in existing.items():
                results[key] = Outcome(key, True, str(obj["id"]), reason="already exists")
            missing = [key for key in by_key if key not in results]
            for index, chunk in enumerate(chunks(missing)):
                try:
                    results.update(self._create_chunk(object_type, key_property, list(chunk), by_key))
                except CrmRetryableError as exc:
                    for key in missing[index * BATCH_LIMIT :]:
                        results[key] = Outcome(key, False, retryable=True, reason=str(exc))
                    break
        except CrmRetryableError as exc:
            for key in by_key:
                results.setdefault(key, Outcome(key, False, retryable=True, reason=str(exc)))
        return [results[key] for key, _, _ in items]

    def _create_chunk(
        self, object_type: str, key_property: str, keys: list[str], by_key: dict[str, tuple[dict, list]]
    ) -> dict[str, Outcome]:
        inputs = [
            {"properties": by_key[key][0], "associations": by_key[key][1], "objectWriteTraceId": key} for key in keys
        ]
        try:
            response = self.calls.api(
                f"{object_type}.create", "crm.objects.batch_api", "create", object_type, {"inputs": inputs}, write=True
            )
        except HubSpotFatalError as exc:
            if exc.status not in (400, 404, 409):
                return {key: Outcome(key, False, reason=exc.message) for key in keys}
            # A key that exists already (another worker, or our own retried request that had landed),
            # or one bad input (e.g. a deleted company) failing the batch: take what exists, then try
            # the rest one by one.
            found = self._read_keys(object_type, key_property, keys)
            if len(keys) == 1:
                key = keys[0]
                gone = exc.status == 404 or exc.category == "OBJECT_NOT_FOUND"
                reason = f"{exc.category}: {exc.body.get('message')}"
                return found or {key: Outcome(key, False, reason=reason, not_found=gone)}
            for key in keys:
                if key not in found:
                    found.update(self._create_chunk(object_type, key_property, [key], by_key))
            return found
        outcomes: dict[str, Outcome] = {}
        for result in (response.body or {}).get("results", []):
            key = (result.get("properties") or {}).get(key_property)
            if key in by_key:
                outcomes[key] = Outcome(key, True, str(result["id"]))
        if lost := [key for key in keys if key not in outcomes]:
            # 207, or a response that did not echo our key: what exists now is the truth.
            outcomes.update(self._read_keys(object_type, key_property, lost))
            reason = records.first_error_message(response.body)
            outcomes.update({key: Outcome(key, False, reason=reason) for key in lost if key not in outcomes})
        return outcomes

    def _read_keys(self, object_type: str, key_property: str, keys: list[str]) -> dict[str, Outcome]:
        found = self.objects.read_objects(object_type, keys, [key_property], id_property=key_property)
        return {key: Outcome(key, True, str(obj["id"]), reason="already exists") for key, obj in found.items()}

    def update_tasks(self, updates: Sequence[TaskUpdate]) -> list[Outcome]:
        current = self.objects.read_objects("tasks", [u.task_id for u in updates], ["hs_task_body", "hs_task_status"])
        planned: dict[str, dict[str, str]] = {}
        skipped: dict[str, Outcome] = {}
        for update in updates:
            if update.task_id not in current:
                skipped[update.task_id] = Outcome(
                    update.task_id, False, update.task_id, reason=records.NOT_FOUND_REASON, not_found=True
                )
                continue
            props = current[update.task_id].get("properties") or {}
            if props.get("hs_task_status") == records.COMPLETED and update.task_id not in planned:
                # The CSM acted first: the task tells their story now, not ours.
                skipped[update.task_id] = Outcome(update.task_id, True, update.task_id, reason="already completed")
                continue
            changes = planned.setdefault(update.task_id, {})
            body = records.append_note(changes.get("hs_task_body", props.get("hs_task_body")), update.note)
            if body is not None:
                changes["hs_task_body"] = body
            if update.complete and props.get("hs_task_status") != records.COMPLETED:
                changes["hs_task_status"] = records.COMPLETED
        items = [(task_id, task_id, changes) for task_id, changes in planned.items() if changes]
        results = {o.key: o for o in self.objects.batch_update("tasks", items)} | skipped
        for task_id, changes in planned.items():
            if not changes:
                results[task_id] = Outcome(task_id, True, task_id, reason="already up to date")
        return [results[u.task_id] for u in updates]
