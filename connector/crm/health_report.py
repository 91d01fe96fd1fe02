"""The CRM side of `healthloop status`: last successful sync, failing and unmatched accounts, each
with the fix, read from what the syncs stored (`crm_records`, `interventions`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connector.crm.fixes import fix_for
from connector.store.models import CrmRecord, Intervention

RETRY_UNMATCHED = "`healthloop sync --retry-unmatched` looks them up again now (the sync does it hourly)"
SHOWN = 20


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def crm_health(session: Session, crm: str) -> dict[str, Any]:
    """What an operator needs to see of the CRM side, each problem with its fix."""
    records = CrmRecord.__table__.c
    synced, last_sync = session.execute(
        select(func.count(records.synced_at), func.max(records.synced_at)).where(records.crm == crm)
    ).one()
    failing_count = session.scalar(select(func.count()).where(records.crm == crm, records.last_error.is_not(None)))
    failing = session.execute(
        select(records.account_id, records.record_id, records.last_error)
        .where(records.crm == crm, records.last_error.is_not(None))
        .order_by(records.account_id)
        .limit(SHOWN)
    ).all()
    unmatched_count = session.scalar(select(func.count()).where(records.crm == crm, records.record_id.is_(None)))
    unmatched = session.scalars(
        select(records.account_id)
        .where(records.crm == crm, records.record_id.is_(None))
        .order_by(records.account_id)
        .limit(SHOWN)
    ).all()
    failed_tasks_count = session.scalar(select(func.count()).where(Intervention.crm_status == "failed"))
    failed_tasks = session.execute(
        select(Intervention.account_id, Intervention.id, Intervention.crm_error)
        .where(Intervention.crm_status == "failed")
        .order_by(Intervention.id.desc())
        .limit(SHOWN)
    ).all()
    return {
        "crm": crm,
        "records_synced": synced,
        "last_record_write": _iso(last_sync),
        "failing_accounts": {
            "count": failing_count,
            "shown": [{"account_id": a, "record_id": r, "error": e, "fix": fix_for(e or "")} for a, r, e in failing],
        },
        "failed_tasks": {
            "count": failed_tasks_count,
            "shown": [
                {"account_id": a, "intervention_id": i, "error": e, "fix": fix_for(e or "")} for a, i, e in failed_tasks
            ],
        },
        "unmatched_accounts": {"count": unmatched_count, "shown": list(unmatched), "retry": RETRY_UNMATCHED},
    }


def forget_unmatched(session: Session, crm: str) -> list[str]:
    """Accounts without a CRM record, marked for a fresh lookup at their next sync; the caller commits."""
    records = CrmRecord.__table__.c
    accounts = list(session.scalars(select(records.account_id).where(records.crm == crm, records.record_id.is_(None))))
    if accounts:
        session.execute(
            update(CrmRecord).where(CrmRecord.crm == crm, CrmRecord.record_id.is_(None)).values(resolved_at=None)
        )
    return accounts
