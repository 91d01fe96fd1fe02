"""What is stored and what is waiting: the counts an operator checks first (status, console, metrics)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.store.models import Account, DirtyAccountDay, Event, Ticket, TicketDelivery, User


def storage_status(session: Session) -> dict[str, Any]:
    """Counts an operator checks first: volumes, unmatched tickets, unhandled webhook types, backlog."""
    outbox_rows, oldest = session.execute(select(func.count(), func.min(DirtyAccountDay.marked_at))).one()
    outcomes = dict(
        session.execute(select(TicketDelivery.outcome, func.count()).group_by(TicketDelivery.outcome)).all()
    )
    unsupported_types = session.execute(
        select(TicketDelivery.source, TicketDelivery.event_type, func.count())
        .where(TicketDelivery.outcome == "unsupported")
        .group_by(TicketDelivery.source, TicketDelivery.event_type)
    ).all()
    return {
        "accounts": session.scalar(select(func.count()).select_from(Account)),
        "users": session.scalar(select(func.count()).select_from(User)),
        "events": session.scalar(select(func.count()).select_from(Event)),
        "unattributed_events": session.scalar(select(func.count()).where(Event.account_id.is_(None))),
        "tickets": session.scalar(select(func.count()).select_from(Ticket)),
        "unmatched_tickets": session.scalar(select(func.count()).where(Ticket.account_id.is_(None))),
        "webhook_deliveries": outcomes,
        "unsupported_webhook_types": [
            {"source": source, "event_type": event_type, "count": count}
            for source, event_type, count in unsupported_types
        ],
        "outbox": {"account_days": outbox_rows, "oldest": oldest.isoformat() if oldest else None},
    }
