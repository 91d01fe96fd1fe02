"""The report's accounts at risk, most revenue at risk first, with where each one's latest play stands (task
open, done, held back as control, or not in the CRM yet): which valuable customers are slipping, and whether
anyone is on it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.health.revenue import by_revenue_at_risk
from connector.store.models import Intervention
from connector.store.sql import chunks, in_list


def play_state(intervention: Intervention | None) -> str:
    if intervention is None:
        return "no play"
    if intervention.control:
        return "control (held back)"
    if intervention.task_completed_at is not None:
        return "task done"
    return {
        "created": "task open",
        "cleared": "problem cleared",
        "stale": "too old for a task",
        "failed": "task failed",
    }.get(intervention.crm_status or "", "waiting for the CRM")


def at_risk_accounts(session: Session, today: date, limit: int = 50) -> list[dict[str, Any]]:
    """Accounts with revenue at risk, most first: tier, score, MRR, renewal, and their latest play."""
    rows = [row for row in by_revenue_at_risk(session, today) if row.revenue_at_risk > 0][:limit]
    latest: dict[str, Intervention] = {}
    for chunk in chunks([row.account_id for row in rows]):
        for intervention in session.scalars(
            select(Intervention)
            .where(in_list(session, Intervention.account_id, chunk))
            .order_by(Intervention.created_at, Intervention.id)
        ):
            latest[intervention.account_id] = intervention
    return [
        {
            "account_id": row.account_id,
            "name": row.name,
            "tier": row.tier,
            "score": row.score,
            "mrr": row.value.mrr,
            "renewal_date": row.value.renewal_on.isoformat() if row.value.renewal_on else None,
            "days_to_renewal": (row.value.renewal_on - today).days if row.value.renewal_on else None,
            "revenue_at_risk": row.revenue_at_risk,
            "play": latest[row.account_id].action if row.account_id in latest else None,
            "play_state": play_state(latest.get(row.account_id)),
        }
        for row in rows
    ]
