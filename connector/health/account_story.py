"""One account's story over time, for its console page: daily history, triggers, tickets, seat use.

Each function reads one section with a fixed number of statements. `daily_history` returns the
same fields as `healthloop accounts history` (one dict per stored day), so either can feed the page.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.store.models import AccountScore, Alert, DailyRollup, Ticket
from scoring.rules import SIGNALS

SEAT_WINDOW_DAYS = 28
"""Active users are counted over the last four weeks (Engagement's window)."""


def daily_history(session: Session, account_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """The account's stored days from `start` to `end` (inclusive), oldest first: score, tier, trend,
    the four signals (value and explanation), the triggers open that day and the reason."""
    rows = session.execute(
        select(
            AccountScore.day,
            AccountScore.score,
            AccountScore.tier,
            AccountScore.trend_delta,
            AccountScore.trend_direction,
            AccountScore.signals,
            AccountScore.reason,
        )
        .where(AccountScore.account_id == account_id, AccountScore.day >= start, AccountScore.day <= end)
        .order_by(AccountScore.day)
    ).all()
    spans = session.execute(
        select(Alert.trigger_id, Alert.fired_on, Alert.cleared_on).where(
            Alert.account_id == account_id, Alert.fired_on <= end
        )
    ).all()
    return [
        {
            "day": day.isoformat(),
            "score": score,
            "tier": tier,
            "trend_delta": delta,
            "trend_direction": direction,
            **{name: (signals.get(name) or {}).get("value") for name in SIGNALS},
            "explanations": {name: (signals.get(name) or {}).get("explanation") for name in SIGNALS},
            "open_triggers": sorted(
                {t for t, fired, cleared in spans if fired <= day and (cleared is None or cleared > day)}
            ),
            "reason": reason,
        }
        for day, score, tier, delta, direction, signals, reason in rows
    ]


def trigger_history(session: Session, account_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The account's alerts, open ones first, then the most recently cleared, with their evidence."""
    alerts = session.scalars(
        select(Alert)
        .where(Alert.account_id == account_id)
        .order_by(Alert.cleared_on.is_not(None), Alert.fired_on.desc(), Alert.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "trigger_id": a.trigger_id,
            "fired_on": a.fired_on,
            "cleared_on": a.cleared_on,
            "evidence": a.evidence,
            "explanation": a.explanation,
        }
        for a in alerts
    ]


def recent_tickets(session: Session, account_id: str, limit: int = 25) -> tuple[int, list[dict[str, Any]]]:
    """(tickets in all, the newest `limit` of them)."""
    total = session.scalar(select(func.count()).where(Ticket.account_id == account_id)) or 0
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.account_id == account_id)
        .order_by(func.coalesce(Ticket.opened_at, Ticket.state_at).desc())
        .limit(limit)
    ).all()
    return total, [
        {
            "source": t.source,
            "external_id": t.external_id,
            "subject": t.subject,
            "category": t.category,
            "priority": t.priority,
            "status": t.status,
            "opened_at": t.opened_at or t.state_at,
            "solved_at": t.solved_at,
            "match_method": t.match_method,
        }
        for t in tickets
    ]


def seat_use(session: Session, account_id: str, today: date) -> dict[str, Any]:
    """Distinct active users over the last `SEAT_WINDOW_DAYS` days."""
    window_start = today - timedelta(days=SEAT_WINDOW_DAYS - 1)
    active: set[str] = set()
    for user_counts in session.scalars(
        select(DailyRollup.user_counts).where(
            DailyRollup.account_id == account_id, DailyRollup.day >= window_start, DailyRollup.day <= today
        )
    ):
        active |= {user for user, count in (user_counts or {}).items() if count}
    return {"window_days": SEAT_WINDOW_DAYS, "active_users": len(active)}
