"""`healthloop accounts show | list`: one account's health and story, or the accounts by recent activity."""

from __future__ import annotations

from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from connector.health.accounts import account_summary, list_accounts
from connector.jobs.runtime import open_database


def _print_summary(summary: dict[str, Any]) -> None:
    console = Console()
    table = Table(title=f"account {summary['account_id']}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    if summary["score"] is not None:
        trend = summary["trend"] or {}
        delta = "" if trend.get("delta") is None else f", {trend['delta']:+d} in 7 days, {trend['direction']}"
        table.add_row("health", f"{summary['score']} ({summary['tier']}{delta}) on {summary['scored_on']}")
        signals = summary["signals"].items()
        table.add_row("signals", ", ".join(f"{name} {'-' if v is None else round(v)}" for name, v in signals))
        table.add_row("why", summary["reason"] or "")
        table.add_row("open triggers", ", ".join(t["id"] for t in summary["open_triggers"]) or "none")
    for key in (
        "name",
        "plan",
        "licensed_seats",
        "renewal_date",
        "mrr",
        "domain",
        "crm_match_key",
        "event_count",
        "last_event_at",
        "first_seen_at",
    ):
        table.add_row(key, "" if summary[key] is None else str(summary[key]))
    table.add_row("users", f"{len(summary['users'])}: " + ", ".join(summary["users"][:20]))
    table.add_row("tickets", f"{summary['tickets']['total']} ({summary['tickets']['open']} open)")
    if summary["aliases"]:
        table.add_row("aliases", ", ".join(f"{k}={v}" for k, v in summary["aliases"].items()))
    table.add_row("traits", orjson.dumps(summary["traits"]).decode())
    console.print(table)
    if summary["recent_days"]:
        days = Table("day", "events", "active users", "tickets opened", title="recent days", title_justify="left")
        for day in summary["recent_days"]:
            days.add_row(day["day"], str(day["events"]), str(day["active_users"]), str(day["tickets_opened"]))
        console.print(days)


@click.group("accounts")
def accounts_cli() -> None:
    """Inspect stored accounts."""


@accounts_cli.command("show")
@click.argument("account_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def accounts_show(account_id: str, as_json: bool) -> None:
    """Traits, users, event count and recent activity of ACCOUNT_ID."""
    with open_database() as sessions, sessions() as session:
        summary = account_summary(session, account_id)
    if summary is None:
        raise click.ClickException(f"no account {account_id!r} has been stored (check the id, or send a group call)")
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_summary(summary)


@accounts_cli.command("list")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def accounts_list(limit: int, as_json: bool) -> None:
    """Accounts with their event counts, most recently active first."""
    with open_database() as sessions, sessions() as session:
        data = list_accounts(session, limit)
    if as_json:
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("account", "name", "plan", "events", "last event")
    for row in data:
        table.add_row(
            row["account_id"],
            row["name"] or "",
            row["plan"] or "",
            str(row["event_count"]),
            str(row["last_event_at"] or ""),
        )
    Console().print(table)
