"""`healthloop accounts show | history | list`: one account's health and story, its daily history over
any range, or the accounts by recent activity."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from connector.health.accounts import account_summary, list_accounts
from connector.health.revenue import by_revenue_at_risk
from connector.health.score_history import COLUMNS, score_history
from connector.jobs.runtime import open_database
from connector.store.models import Account
from scoring.churn import drivers_in_words
from scoring.labels import trigger_label
from scoring.rules import SIGNALS, TIER_LABELS


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
        churn = summary.get("churn")
        if churn:
            raised = drivers_in_words({d["input"]: d["push"] for d in churn["drivers"]}) or "nothing above average"
            table.add_row(
                "churn risk",
                f"{churn['probability']:.0%} within {churn['horizon_days']} days "
                f"(learned model {churn['model_version']}; raised by {raised})",
            )
        triggers = [f"{trigger_label(t['id'])} ({t['id']})" for t in summary["open_triggers"]]
        table.add_row("open triggers", ", ".join(triggers) or "none")
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


@accounts_cli.command("history")
@click.argument("account_id")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: the first stored).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: the last stored).")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of days.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
def accounts_history(
    account_id: str, start: datetime | None, end: datetime | None, as_json: bool, as_csv: bool
) -> None:
    """Daily score history of ACCOUNT_ID: score, tier, trend, signals and the triggers open each day."""
    if as_json and as_csv:
        raise click.UsageError("use either --json or --csv, not both")
    first, last = start.date() if start else None, end.date() if end else None
    if first and last and first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")
    with open_database() as sessions, sessions() as session:
        if session.get(Account, account_id) is None:
            raise click.ClickException(f"no account {account_id!r} has been stored (check the id)")
        days = score_history(session, account_id, first, last)
    if as_json:
        click.echo(orjson.dumps(days, option=orjson.OPT_INDENT_2).decode())
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({**day, "open_triggers": ";".join(day["open_triggers"])} for day in days)
    else:
        _print_history(account_id, days)


def _print_history(account_id: str, days: list[dict[str, Any]]) -> None:
    if not days:
        click.echo(f"{account_id}: no stored score in that range (days before an account's start have none)")
        return
    table = Table("day", "score", "tier", "trend", "signals A/E/M/R", "open triggers", title=f"{account_id} history")
    for day in days:
        trend = "" if day["trend_delta"] is None else f"{day['trend_delta']:+d}"
        signals = "/".join("-" if day[name] is None else f"{day[name]:.0f}" for name in SIGNALS)
        table.add_row(day["day"], str(day["score"]), day["tier"], trend, signals, ", ".join(day["open_triggers"]))
    Console().print(table)
    click.echo(f"{len(days)} day(s), {days[0]['day']} to {days[-1]['day']}")


@accounts_cli.command("list")
@click.option("--limit", default=50, show_default=True)
@click.option(
    "--sort",
    type=click.Choice(["activity", "revenue-at-risk"]),
    default="activity",
    show_default=True,
    help="activity: most recently active first; revenue-at-risk: 12 x MRR of accounts At Risk or worse first.",
)
@click.option("--json", "as_json", is_flag=True)
def accounts_list(limit: int, sort: str, as_json: bool) -> None:
    """Accounts with their event counts, most recently active first (or by revenue at risk)."""
    if sort == "revenue-at-risk":
        _list_by_revenue(limit, as_json)
        return
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


def _list_by_revenue(limit: int, as_json: bool) -> None:
    today = datetime.now(UTC).date()
    with open_database() as sessions, sessions() as session:
        rows = by_revenue_at_risk(session, today, limit)
    data = [
        {
            "account_id": r.account_id,
            "name": r.name,
            "score": r.score,
            "tier": r.tier,
            "mrr": r.value.mrr,
            "renewal_date": r.value.renewal_on.isoformat() if r.value.renewal_on else None,
            "revenue_at_risk": r.revenue_at_risk,
        }
        for r in rows
    ]
    if as_json:
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("account", "name", "score", "tier", "MRR", "renewal", "revenue at risk (ARR)")
    for row in rows:
        renewal = row.value.renewal_on
        table.add_row(
            row.account_id,
            row.name or "",
            "" if row.score is None else str(row.score),
            TIER_LABELS.get(row.tier or "", ""),
            "" if row.value.mrr is None else f"{row.value.mrr:,.0f}",
            "" if renewal is None else f"{renewal.isoformat()} ({(renewal - today).days} days)",
            f"{row.revenue_at_risk:,.0f}" if row.revenue_at_risk else "-",
        )
    Console().print(table)
