"""Work waiting for the CRM: interventions no sync has turned into a task yet, and how much a first
sync would create (`healthloop status`, `healthloop sync --dry-run`), so nobody floods CSMs unawares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.store.models import AccountScore, CrmRecord, Intervention

TASK_MAX_AGE = timedelta(days=14)
"""Interventions older than this when first seen by a sync get no task (connecting a CRM late must
not flood CSMs with stale work)."""


def split_by_age(interventions: Sequence[Any], now: datetime) -> tuple[list[Any], list[Any]]:
    """(too old for a task, fresh) among interventions waiting for the CRM."""
    cutoff = now - TASK_MAX_AGE
    return [i for i in interventions if i.created_at < cutoff], [i for i in interventions if i.created_at >= cutoff]


@dataclass(frozen=True)
class WaitingWork:
    """Interventions waiting for the CRM, as `healthloop status` reports them."""

    tasks: int
    """Fresh interventions a sync would turn into tasks (for accounts that have a CRM record)."""
    accounts: int
    too_old: int
    """Interventions a sync will mark stale instead (older than `TASK_MAX_AGE`)."""
    first_sync: bool
    """Nothing was ever synced to this CRM: the next sync is the first."""

    def line(self) -> str:
        """One line for a person: what the next sync would create."""
        older = f"; {self.too_old} older than {TASK_MAX_AGE.days} days get none" if self.too_old else ""
        if self.first_sync:
            return f"first sync would create up to {self.tasks} task(s) for {self.accounts} account(s){older}"
        return f"{self.tasks} intervention(s) for {self.accounts} account(s) waiting for the CRM{older}"


def waiting_work(session: Session, crm: str, now: datetime) -> WaitingWork:
    """Count the interventions waiting for the CRM `crm` (control-group ones never are)."""
    waiting = or_(Intervention.crm_status.is_(None), Intervention.crm_status == "failed")
    fresh = Intervention.created_at >= now - TASK_MAX_AGE
    tasks, accounts = session.execute(
        select(func.count(), func.count(func.distinct(Intervention.account_id))).where(waiting, fresh)
    ).one()
    too_old = session.scalar(select(func.count()).where(waiting, ~fresh)) or 0
    synced = session.scalar(
        select(func.count()).select_from(CrmRecord).where(CrmRecord.crm == crm, CrmRecord.synced_at.is_not(None))
    )
    return WaitingWork(tasks, accounts, too_old, not synced)


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
