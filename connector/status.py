"""`healthloop status`: what is stored, what is waiting, and whether anything needs attention."""

from __future__ import annotations

from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.models import Account, DirtyAccountDay, Event, Ticket, TicketDelivery, User


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


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_command(as_json: bool) -> None:
    """Stored volumes, unmatched tickets, unhandled webhook types and the processing backlog."""
    from connector.db import current_revision, head_revision
    from connector.runtime import open_database

    with open_database() as sessions, sessions() as session:
        data = storage_status(session)
        data["schema"] = {"current": current_revision(session.get_bind()), "latest": head_revision()}
    if as_json:
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(show_header=False, title="healthloop status", title_justify="left")
    for key in ("accounts", "users", "events", "unattributed_events", "tickets", "unmatched_tickets"):
        table.add_row(key.replace("_", " "), str(data[key]))
    table.add_row("webhook deliveries", ", ".join(f"{k}: {v}" for k, v in data["webhook_deliveries"].items()) or "0")
    for item in data["unsupported_webhook_types"]:
        table.add_row("  unsupported type", f"{item['source']} {item['event_type']} ({item['count']})")
    table.add_row(
        "waiting account-days", f"{data['outbox']['account_days']} (oldest {data['outbox']['oldest'] or '-'})"
    )
    table.add_row("schema", f"{data['schema']['current']} (latest {data['schema']['latest']})")
    Console().print(table)
