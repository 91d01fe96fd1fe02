"""`healthloop status`: what is stored, what is waiting, the CRM side, and whether anything needs attention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import orjson
from redis import Redis
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from connector.config.settings import Settings, load_settings
from connector.config.yaml_config import load_config
from connector.crm.health_report import crm_health
from connector.crm.owners import owner_warning
from connector.crm.pending_work import waiting_work
from connector.jobs.crm_health import read_health
from connector.jobs.runtime import open_database
from connector.store.db import current_revision, head_revision
from connector.store.status import storage_status


def _crm_section(session: Session, settings: Settings) -> dict[str, Any]:
    """The CRM side: what the syncs stored in SQL, and what the jobs last reported through Redis."""
    section = crm_health(session, settings.crm)
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
    try:
        jobs = read_health(redis)
    finally:
        redis.close()
    section["jobs"] = (
        jobs if jobs is not None else {"unavailable": "Redis is not reachable; quota and last run unknown"}
    )
    return section


def _print_crm(table: Table, crm: dict[str, Any]) -> None:
    jobs = crm["jobs"]
    table.add_row("crm", crm["crm"])
    table.add_row("  last successful sync", jobs.get("last_success_at") or crm["last_record_write"] or "never")
    if jobs.get("last_error"):
        table.add_row("  last sync FAILED", f"{jobs['last_error']} (at {jobs.get('last_error_at')})")
        table.add_row("    fix", jobs.get("last_error_fix") or "-")
    if "unavailable" in jobs:
        table.add_row("  quota", jobs["unavailable"])
    else:
        quota = []
        if jobs.get("remaining"):
            quota.append(f"{jobs['remaining']} of {jobs.get('interval_max') or '?'} left in this interval")
        if jobs.get("daily_remaining"):
            quota.append(f"{jobs['daily_remaining']} of {jobs.get('daily_max') or '?'} left today")
        table.add_row(
            "  quota", ("; ".join(quota) + f" (as of {jobs.get('quota_seen_at')})") if quota else "unknown yet"
        )
    failing = crm["failing_accounts"]
    table.add_row("  failing accounts", str(failing["count"]))
    for item in failing["shown"]:
        table.add_row(f"    {item['account_id']}", f"{item['error']}\nfix: {item['fix']}")
    tasks = crm["failed_tasks"]
    if tasks["count"]:
        table.add_row("  failed tasks", str(tasks["count"]))
        for item in tasks["shown"]:
            table.add_row(f"    {item['account_id']}", f"{item['error']}\nfix: {item['fix']}")
    unmatched = crm["unmatched_accounts"]
    table.add_row(
        "  unmatched accounts",
        str(unmatched["count"]) + (f": {', '.join(unmatched['shown'])}" if unmatched["shown"] else ""),
    )
    if unmatched["count"]:
        table.add_row("    retry", unmatched["retry"])


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_command(as_json: bool) -> None:
    """Stored volumes, unmatched tickets, unhandled webhook types, the backlog, the work waiting for the
    CRM (what a first sync would create) and the CRM side (last sync, failing and unmatched accounts with
    the fix, quota)."""
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
        if settings.crm != "none":
            data["crm"] |= _crm_section(session, settings)
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
    if settings.crm != "none":
        _print_crm(table, data["crm"])
    Console().print(table)
    crm = f"CRM ({settings.crm})" if settings.crm != "none" else "CRM (none set: HEALTHLOOP_CRM)"
    click.echo(f"{crm}: {waiting.line()}")
    if owners:
        click.echo(f"warning: {owners}")
