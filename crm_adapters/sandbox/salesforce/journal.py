"""The undo log of an allOrNone sObject Collections call: what it created and what each changed record
held before, so one failure can roll every write of the call back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from crm_adapters.sandbox.salesforce.record import SfRecord


class Journal:
    """Writes in order: ("create", id, None) or ("update", id, (values before, deleted before))."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, str, Any]] = []

    def created(self, record_id: str) -> None:
        self._entries.append(("create", record_id, None))

    def changing(self, record: SfRecord) -> None:
        """Note what `record` holds now, before it is updated or deleted."""
        self._entries.append(("update", record.id, (copy.deepcopy(record.values), record.deleted)))

    def undo(self, find: Callable[[str], SfRecord | None], records: dict[str, dict[str, SfRecord]]) -> None:
        """Undo every write, newest first: created records vanish, changed ones get their old values back."""
        for action, record_id, saved in reversed(self._entries):
            record = find(record_id)
            if record is None:
                continue
            if action == "create":
                del records[record.sobject][record_id]
            else:
                record.values, record.deleted = saved
