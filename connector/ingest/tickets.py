"""Store verified ticket-webhook deliveries exactly once and keep each ticket's latest state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.events import TicketDeliveryRecord, TicketEvent, TicketStatus
from connector.ingest.product_events import mark_dirty
from connector.ingest.ticket_matching import match_ticket
from connector.store.models import Account, Ticket, TicketDelivery
from connector.store.sql import insert_ignore

NEVER = datetime(2000, 1, 1, tzinfo=UTC)
CLOSED = {TicketStatus.SOLVED, TicketStatus.CLOSED}
# Fields a later delivery may overwrite; an older (out-of-order) one only fills blanks.
STATE_FIELDS = (
    "organization_id",
    "requester_id",
    "requester_email",
    "subject",
    "category",
    "tags",
    "priority",
    "status",
    "satisfaction",
)


@dataclass
class TicketStoreResult:
    stored: int = 0
    duplicates: int = 0
    unmatched: int = 0
    accounts: set[str] = field(default_factory=set)
    outcomes: list[str] = field(default_factory=list)
    """Per delivery: handled, ignored, unsupported or duplicate."""
    refresh: list[tuple[str, str]] = field(default_factory=list)
    """CRM objects whose outcome changed (new deliveries only): ("task" | "deal", id)."""


def store_deliveries(
    session: Session, records: Sequence[TicketDeliveryRecord], config: Config, now: datetime
) -> TicketStoreResult:
    """Insert deliveries not seen before and apply the tickets they carry; the caller commits."""
    result = TicketStoreResult()
    dirty: set[tuple[str, date]] = set()
    for record in records:
        inserted = session.execute(
            insert_ignore(session, TicketDelivery.__table__).returning(TicketDelivery.id),
            {
                "source": record.source,
                "delivery_id": record.delivery_id[:255],
                "event_type": record.event_type[:128],
                "outcome": record.outcome.value,
                "ticket_external_id": record.ticket.ticket_id if record.ticket else None,
                "received_at": now,
                "payload": record.payload,
            },
        ).first()
        if inserted is None:
            result.duplicates += 1
            result.outcomes.append("duplicate")
            continue
        result.stored += 1
        result.outcomes.append(record.outcome.value)
        if record.refresh is not None:
            result.refresh.append(record.refresh)
        if record.ticket is not None:
            ticket = _apply(session, record.ticket, config, now)
            if ticket.account_id is None:
                result.unmatched += 1
            else:
                dirty.add((ticket.account_id, (ticket.opened_at or ticket.state_at).astimezone(UTC).date()))
    mark_dirty(session, dirty, now)
    result.accounts = {account for account, _ in dirty}
    return result


def _apply(session: Session, event: TicketEvent, config: Config, now: datetime) -> Ticket:
    # Insert-or-ignore first so two concurrent deliveries for a new ticket cannot collide.
    session.execute(
        insert_ignore(session, Ticket.__table__),
        {
            "source": event.source,
            "external_id": event.ticket_id,
            "tags": [],
            "state_at": NEVER,
            "first_received_at": now,
        },
    )
    ticket = session.execute(
        select(Ticket).where(Ticket.source == event.source, Ticket.external_id == event.ticket_id).with_for_update()
    ).scalar_one()
    newer = event.occurred_at >= ticket.state_at
    for name in STATE_FIELDS:
        value = getattr(event, name)
        if value is None:
            continue
        if newer or getattr(ticket, name) in (None, []):
            setattr(ticket, name, value.value if hasattr(value, "value") else value)
    opened = event.opened_at or (event.occurred_at if event.status == TicketStatus.NEW else None)
    if opened and (ticket.opened_at is None or opened < ticket.opened_at):
        ticket.opened_at = opened
    if newer:
        ticket.state_at = event.occurred_at
        if event.status in CLOSED:
            ticket.solved_at = event.solved_at or ticket.solved_at or event.occurred_at
        elif event.status is not None:
            ticket.solved_at = None
    elif event.solved_at and ticket.solved_at is None and ticket.status in {s.value for s in CLOSED}:
        ticket.solved_at = event.solved_at
    if ticket.account_id is None:
        matched = match_ticket(
            session,
            event.model_copy(
                update={"organization_id": ticket.organization_id, "requester_email": ticket.requester_email}
            ),
            config,
        )
        account_id, method = matched
        if account_id:
            if method == "account_id":
                session.execute(
                    insert_ignore(session, Account.__table__),
                    {"account_id": account_id, "traits": {}, "first_seen_at": now, "updated_at": now},
                )
            ticket.account_id, ticket.match_method = account_id, method
    session.flush()
    return ticket
