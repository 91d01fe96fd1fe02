"""The work a sync hands to CSMs: tasks for interventions (each with an owner, due in the future, the story in
its body), enrollments for sequence plays, updates to tasks whose problem cleared. Planned first (a dry run
stops there and lists the plan), then done, so what a dry run lists is what the real run does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from connector.config.crm_section import CrmConfig
from connector.crm.owners import task_owner
from connector.crm.pending_work import split_by_age
from connector.crm.record_values import NextAction
from connector.crm.sync_report import SyncReport, WorkItem
from connector.crm.task_content import Channels, cleared_note, next_action_text, task_body
from connector.store.models import Intervention
from connector.store.sql import in_list
from crm_adapters.base import CrmAdapter, EnrollmentSpec, TaskSpec, TaskUpdate
from scoring.rules import TIERS


@dataclass
class PlannedTask:
    intervention: Intervention
    spec: TaskSpec
    owner_name: str | None
    enrollment: EnrollmentSpec | None = None


@dataclass
class Work:
    """One batch's planned work, and each account's next action as it will stand once the work is done."""

    tasks: list[PlannedTask] = field(default_factory=list)
    no_owner: list[Intervention] = field(default_factory=list)
    stale: list[Intervention] = field(default_factory=list)
    clears: list[tuple[Intervention, TaskUpdate]] = field(default_factory=list)
    unconfigured: list[Intervention] = field(default_factory=list)
    """Sequence plays without a configured sequence (no enrollment; the task says to email instead)."""
    record_owners: dict[str, str | None] = field(default_factory=dict)
    actions: dict[str, NextAction] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkContext:
    """What planning needs besides the database and the adapter."""

    config: CrmConfig
    now: datetime
    slack: bool
    names: dict[str, str]
    """account id -> the name a CSM knows it by."""
    url: Callable[[str], str | None]
    """account id -> its page in healthloop's console (None: no public URL)."""


def task_key(intervention: Intervention) -> str:
    return f"{intervention.account_id}:{intervention.key}"


def task_type(channels: Sequence[str]) -> str:
    if "call" in channels:
        return "CALL"
    if any(channel in channels for channel in ("email", "executive_email", "email_sequence")):
        return "EMAIL"
    return "TODO"


def due_at(intervention: Intervention, config: CrmConfig, now: datetime) -> datetime:
    """The playbook's due time, but never before the task exists: at least `tasks.min_lead_hours` from now."""
    return max(intervention.due_at, now + timedelta(hours=config.tasks.min_lead_hours))


def load_interventions(session: Session, account_ids: Sequence[str]) -> list[Intervention]:
    """Interventions waiting for a task (never synced, or failed) and those with a task open."""
    return list(
        session.scalars(
            select(Intervention)
            .where(
                in_list(session, Intervention.account_id, account_ids),
                or_(Intervention.crm_status.is_(None), Intervention.crm_status.in_(("failed", "created"))),
            )
            .order_by(Intervention.created_at, Intervention.id)
        )
    )


def cleared(intervention: Intervention, open_alerts: set[tuple[str, str]], row: Any) -> bool:
    """Every trigger behind the task has cleared (or, for a tier play, the account left that tier upwards)."""
    if intervention.trigger_ids:
        return not any((intervention.account_id, t) in open_alerts for t in intervention.trigger_ids)
    if row is None:
        return False
    return TIERS.index(row.tier) < TIERS.index(intervention.tier)


def plan_work(
    sessions: sessionmaker[Session],
    adapter: CrmAdapter,
    context: WorkContext,
    account_ids: list[str],
    record_ids: dict[str, str],
    rows: dict[str, Any],
    triggers: dict[str, list[str]],
) -> Work:
    config, now, work = context.config, context.now, Work()
    with sessions() as session:
        interventions = load_interventions(session, account_ids)
    pending = [i for i in interventions if i.crm_status != "created"]
    open_tasks = [i for i in interventions if i.crm_status == "created"]
    too_old, fresh = split_by_age(pending, now)
    work.stale = too_old
    fresh = [i for i in fresh if i.account_id in record_ids]
    if fresh:
        work.record_owners = adapter.record_owners(sorted({record_ids[i.account_id] for i in fresh}))
    owners: dict[int, str] = {}
    for intervention in fresh:
        owner = task_owner(config, intervention.owner, work.record_owners.get(record_ids[intervention.account_id]))
        if owner is None:
            work.no_owner.append(intervention)
        else:
            owners[intervention.id] = owner
    open_alerts = {(account_id, t) for account_id, ids in triggers.items() for t in ids}
    clearing = [i for i in open_tasks if cleared(i, open_alerts, rows.get(i.account_id))]
    today = now.date().isoformat()
    work.clears = [(i, TaskUpdate(i.crm_task_id or "", cleared_note(i, rows.get(i.account_id), today),
                                  complete=config.tasks.on_clear == "complete")) for i in clearing]  # fmt: skip
    still_open = [i for i in open_tasks if i not in clearing and i.task_completed_at is None]
    names = adapter.owner_names(sorted(set(owners.values()) | {i.crm_owner_id for i in still_open if i.crm_owner_id}))
    for intervention in fresh:
        if intervention.id not in owners:
            continue
        account_id = intervention.account_id
        name = context.names.get(account_id) or account_id
        sequence = config.sequence_for(intervention.trigger_id or intervention.tier)
        sequenced = "email_sequence" in intervention.channels and intervention.enrollment_status is None
        spec = TaskSpec(
            key=task_key(intervention),
            record_id=record_ids[account_id],
            subject=intervention.subject[:255],
            body=task_body(intervention, name, Channels(context.slack, sequence is not None), context.url(account_id)),
            due_at=due_at(intervention, config, now),
            priority=intervention.priority.upper(),  # type: ignore[arg-type]
            task_type=task_type(intervention.channels),  # type: ignore[arg-type]
            owner_id=owners[intervention.id],
        )
        enrollment = None
        if sequenced and sequence is not None:
            enrollment = EnrollmentSpec(
                spec.key, spec.record_id, sequence.sequence_id, sender_email=sequence.sender_email,
                user_id=sequence.user_id,
            )  # fmt: skip
        elif sequenced:
            work.unconfigured.append(intervention)
        work.tasks.append(PlannedTask(intervention, spec, names.get(spec.owner_id or ""), enrollment))
    _next_actions(work, still_open, names)
    return work


def _next_actions(work: Work, still_open: list[Intervention], names: dict[str, str]) -> None:
    """Each account's newest play that is (or is about to be) an open task."""
    current: dict[str, tuple[datetime, int, NextAction]] = {}
    candidates = [
        (i, NextAction(next_action_text(i), names.get(i.crm_owner_id or ""), i.crm_due_at or i.due_at))
        for i in still_open
    ]
    candidates += [
        (t.intervention, NextAction(next_action_text(t.intervention), t.owner_name, t.spec.due_at)) for t in work.tasks
    ]
    for intervention, action in candidates:
        rank = (intervention.created_at, intervention.id)
        seen = current.get(intervention.account_id)
        if seen is None or rank > seen[:2]:
            current[intervention.account_id] = (*rank, action)
    work.actions = {account_id: entry[2] for account_id, entry in current.items()}


def work_items(work: Work) -> list[WorkItem]:
    """What the plan does, one line each (a dry run lists them; the real run lists what it did)."""
    items = []
    for task in work.tasks:
        due = task.spec.due_at.strftime("%Y-%m-%d %H:%M UTC")
        owner = task.owner_name or task.spec.owner_id or "-"
        detail = f"{owner}, due {due}, {task.spec.priority}"
        items.append(WorkItem("task", task.intervention.account_id, task.spec.subject, detail))
        if task.enrollment is not None:
            what = f"the record's contact into sequence {task.enrollment.sequence_id}"
            items.append(WorkItem("enrollment", task.intervention.account_id, what))
    for intervention, task_update in work.clears:
        how = "complete it" if task_update.complete else "add a note"
        items.append(WorkItem("task_update", intervention.account_id, intervention.subject, f"problem cleared: {how}"))
    for intervention in work.no_owner:
        items.append(
            WorkItem("no_owner", intervention.account_id, intervention.subject,
                     "no task: the record has no owner and crm.owners has no default or escalation owner")
        )  # fmt: skip
    return items


def count_planned(work: Work, report: SyncReport) -> None:
    """A dry run's counts: what the real run would do."""
    report.tasks_created += len(work.tasks)
    report.task_accounts += len({t.intervention.account_id for t in work.tasks})
    report.enrolled += sum(1 for t in work.tasks if t.enrollment is not None)
    report.tasks_updated += len(work.clears)
    report.too_old += len(work.stale)
    report.no_owner += len(work.no_owner)
    report.items += work_items(work)
