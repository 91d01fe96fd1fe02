"""What one CRM sync did (or, in a dry run, would do): writes, tasks, notes, enrollments, failures, API calls.

In a dry run the counts and `items` are what the sync would do, and `estimate` the API calls it would take;
after a real run they are what it did (`items` lists what succeeded), so the two can be compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crm_adapters.base import ApiUsage

WorkKind = Literal["task", "task_update", "note", "enrollment", "no_owner"]


@dataclass(frozen=True)
class WorkItem:
    """One thing a sync does for a CSM: a task (subject; owner, due, priority), a task update, a note, an
    enrollment, or a task it will not create (no owner)."""

    kind: WorkKind
    account_id: str
    what: str
    detail: str = ""


@dataclass
class Failure:
    account_id: str
    record_id: str | None
    what: str
    reason: str


@dataclass
class SyncReport:
    dry_run: bool = False
    accounts: int = 0
    unmatched: list[str] = field(default_factory=list)
    written: int = 0
    unchanged: int = 0
    changes: list[tuple[str, str, dict[str, tuple[str | None, str | None]]]] = field(default_factory=list)
    """(account_id, record_id, {field: (old, new)}) for every record that needs (dry run) or got a write."""
    tasks_created: int = 0
    task_accounts: int = 0
    """Accounts that got (dry run: would get) a task."""
    tasks_updated: int = 0
    notes: int = 0
    enrolled: int = 0
    too_old: int = 0
    """Interventions older than the task age limit, which the sync marks stale instead of making a task."""
    no_owner: int = 0
    """Tasks not created because nobody could own them (no record owner, no default or escalation owner)."""
    items: list[WorkItem] = field(default_factory=list)
    estimate: dict[str, int] = field(default_factory=dict)
    """Dry run: the API calls the real run would take ({"writes": n, "reads": m})."""
    failures: list[Failure] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    usage: ApiUsage = field(default_factory=ApiUsage)

    def merge(self, other: SyncReport) -> None:
        self.accounts += other.accounts
        self.unmatched += other.unmatched
        self.written += other.written
        self.unchanged += other.unchanged
        self.changes += other.changes
        self.tasks_created += other.tasks_created
        self.task_accounts += other.task_accounts
        self.too_old += other.too_old
        self.tasks_updated += other.tasks_updated
        self.notes += other.notes
        self.enrolled += other.enrolled
        self.no_owner += other.no_owner
        self.items += other.items
        self.failures += other.failures
        self.retry_later += other.retry_later


def used_since(before: ApiUsage, after: ApiUsage) -> ApiUsage:
    """This run's calls (an adapter lives across runs in a worker); quota figures are the latest seen."""
    return ApiUsage(
        calls=after.calls - before.calls,
        write_calls=after.write_calls - before.write_calls,
        retries=after.retries - before.retries,
        by_kind={k: n - before.by_kind.get(k, 0) for k, n in after.by_kind.items() if n != before.by_kind.get(k, 0)},
        remaining=after.remaining,
        daily_remaining=after.daily_remaining,
        interval_max=after.interval_max,
        daily_max=after.daily_max,
    )


WORK_WORDS = {
    "task": "task",
    "enrollment": "enroll",
    "task_update": "update task",
    "note": "note",
    "no_owner": "NO task",
}


def work_lines(items: list[WorkItem], limit: int = 200) -> list[str]:
    """The work, one line per item, grouped by account ("  acct_x  task  <subject> (owner, due, priority)")."""
    lines = []
    for item in sorted(items, key=lambda i: (i.account_id, list(WORK_WORDS).index(i.kind)))[:limit]:
        detail = f" ({item.detail})" if item.detail else ""
        lines.append(f"  {item.account_id}  {WORK_WORDS[item.kind]}: {item.what}{detail}")
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return lines
