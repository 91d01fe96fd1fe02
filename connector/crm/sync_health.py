"""How the CRM side is doing, from what the syncs recorded: last write, failing and unmatched accounts.

Read models for the console's Integrations page and the account page (no CRM call is made here).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.store.models import CrmRecord, Intervention


def sync_overview(session: Session, crm: str, limit: int = 50) -> dict[str, Any]:
    """Records known, the last successful write, accounts whose last write failed, accounts without a
    record, and interventions whose task could not be created (newest `limit` of each)."""
    known, matched, last_write = session.execute(
        select(func.count(), func.count(CrmRecord.record_id), func.max(CrmRecord.synced_at)).where(CrmRecord.crm == crm)
    ).one()
    failing = session.execute(
        select(CrmRecord.account_id, CrmRecord.record_id, CrmRecord.last_error, CrmRecord.synced_at)
        .where(CrmRecord.crm == crm, CrmRecord.last_error.is_not(None))
        .order_by(CrmRecord.account_id)
        .limit(limit)
    ).all()
    failing_total = session.scalar(select(func.count()).where(CrmRecord.crm == crm, CrmRecord.last_error.is_not(None)))
    unmatched = session.execute(
        select(CrmRecord.account_id, CrmRecord.resolved_at)
        .where(CrmRecord.crm == crm, CrmRecord.record_id.is_(None))
        .order_by(CrmRecord.account_id)
        .limit(limit)
    ).all()
    task_failures = session.execute(
        select(Intervention.account_id, Intervention.id, Intervention.crm_error, Intervention.crm_synced_at)
        .where(Intervention.crm_status == "failed")
        .order_by(Intervention.id.desc())
        .limit(limit)
    ).all()
    task_failures_total = session.scalar(select(func.count()).where(Intervention.crm_status == "failed"))
    return {
        "crm": crm,
        "records": known,
        "matched": matched,
        "last_write": last_write,
        "failing": [{"account_id": a, "record_id": r, "error": e, "synced_at": s} for a, r, e, s in failing],
        "failing_total": failing_total or 0,
        "unmatched": [{"account_id": a, "resolved_at": r} for a, r in unmatched],
        "unmatched_total": known - matched,
        "task_failures": [
            {"account_id": a, "intervention_id": i, "error": e, "at": at} for a, i, e, at in task_failures
        ],
        "task_failures_total": task_failures_total or 0,
    }


def crm_record(session: Session, account_id: str, crm: str) -> dict[str, Any] | None:
    """The account's record in the CRM and what it last got, or None if no sync has looked for it yet."""
    record = session.get(CrmRecord, (crm, account_id))
    if record is None:
        return None
    return {
        "crm": record.crm,
        "record_id": record.record_id,
        "synced_at": record.synced_at,
        "resolved_at": record.resolved_at,
        "last_error": record.last_error,
        "synced_values": record.synced_values,
    }


def look_up_again(session: Session, crm: str, account_id: str) -> bool:
    """Forget when an unmatched account was last looked up, so the next sync searches the CRM for it at once
    (instead of an hour after the last try). True when the account had no record."""
    record = session.get(CrmRecord, (crm, account_id))
    if record is None or record.record_id is not None:
        return False
    record.resolved_at = None
    return True
