"""`healthloop status`: what is stored, what is waiting, and whether anything needs attention."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import orjson
from rich.console import Console
from rich.table import Table

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.crm.owners import owner_warning
from connector.crm.pending_work import waiting_work
from connector.jobs.runtime import open_database
from connector.store.db import current_revision, head_revision
from connector.store.status import storage_status


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_command(as_json: bool) -> None:
    """Stored volumes, unmatched tickets, unhandled webhook types, the processing backlog and the work
    waiting for the CRM (what a first sync would create)."""
    settings = load_settings()
    with open_database(settings) as sessions, sessions() as session:
        data = storage_status(session)
        data["schema"] = {"current": current_revision(session.get_bind()), "latest": head_revision()}
        waiting = waiting_work(session, settings.crm, datetime.now(UTC))
        owners = owner_warning(session, settings.crm, load_config(settings.config_path).crm)
    data["crm"] = {
        "crm": settings.crm,
        "first_sync": waiting.first_sync,
        "tasks_waiting": waiting.tasks,
        "accounts_waiting": waiting.accounts,
        "too_old_for_a_task": waiting.too_old,
        "summary": waiting.line(),
        "owner_warning": owners,
    }
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
    crm = f"CRM ({settings.crm})" if settings.crm != "none" else "CRM (none set: HEALTHLOOP_CRM)"
    click.echo(f"{crm}: {waiting.line()}")
    if owners:
        click.echo(f"warning: {owners}")
