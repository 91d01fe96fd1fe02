"""`healthloop score`: score one or every account as of today, a past day, or every day of a range."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import click
import orjson
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from connector.health.backfill import Backfill, score_range
from connector.jobs.runtime import build_runtime, install
from connector.store.models import Account
from scoring.rules import TIER_LABELS


def _days(as_of: date | None, start: date | None, end: date | None, today: date) -> list[date]:
    if as_of and (start or end):
        raise click.UsageError("use either --as-of or --from/--to, not both")
    if start or end:
        start, end = start or end, end or today
        assert start is not None and end is not None
        if start > end:
            raise click.UsageError(f"--from {start} is after --to {end}")
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    else:
        days = [as_of or today]
    if days[-1] > today:
        raise click.UsageError(f"cannot score the future ({days[-1]} is after today, {today} UTC)")
    return days


@click.command("score")
@click.argument("account_id", required=False)
@click.option("--all", "all_accounts", is_flag=True, help="Every stored account.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Score as of this past UTC day.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Fill daily history from this day...")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="...to this day (default today).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account (its last scored day).")
def score_command(
    account_id: str | None,
    all_accounts: bool,
    as_of: datetime | None,
    start: datetime | None,
    end: datetime | None,
    as_json: bool,
) -> None:
    """Score ACCOUNT_ID (or --all) now, as of a past day, or for every day of a range.

    Only today's score decides interventions; past days store score history and alerts, and days
    before an account's start store nothing.
    """
    if bool(account_id) == all_accounts:
        raise click.UsageError("name one ACCOUNT_ID or pass --all")
    now = datetime.now(UTC)
    days = _days(
        as_of.date() if as_of else None, start.date() if start else None, end.date() if end else None, now.date()
    )
    rt = install(build_runtime(queue_mode="auto"))
    if all_accounts:
        with rt.sessions() as session:
            accounts = list(session.scalars(select(Account.account_id).order_by(Account.account_id)))
    else:
        accounts = [account_id]  # type: ignore[list-item]
    if account_id:
        with rt.sessions() as session:
            if session.get(Account, account_id) is None:
                raise click.ClickException(f"no account {account_id!r} has been stored")
    with Progress(disable=as_json or len(accounts) * len(days) < 500, transient=True) as progress:
        task = progress.add_task("scoring", total=len(accounts) * len(days))
        done = score_range(
            rt.sessions, rt.readers, rt.config.scoring, accounts, days, now, lambda n: progress.advance(task, n)
        )
    if done.slack:
        rt.queue.enqueue_call("connector.jobs.slack.deliver_slack_alerts", done.slack)
    _report([done.results[a] for a in accounts if a in done.results], as_json)
    if not as_json:
        _notes(done, len(days))
    if hasattr(rt.queue, "join"):
        rt.queue.join()


def _notes(done: Backfill, days: int) -> None:
    """What was not stored, and why (to stderr, so a table or JSON on stdout stays clean)."""
    if done.before_start:
        click.echo(
            f"{done.before_start} account-day(s) before the account's start (signup or first activity) "
            "were not scored: nothing is stored for days before an account existed",
            err=True,
        )
    if days > 1:
        click.echo(f"{done.scored_days} account-day(s) scored", err=True)
    for account_id, why in sorted(done.withheld.items())[:20]:
        click.echo(f"{account_id}: no new work ({why})", err=True)
    if len(done.withheld) > 20:
        click.echo(f"... and {len(done.withheld) - 20} more account(s) with no new work", err=True)


def _report(results: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        for result in results:
            click.echo(orjson.dumps(result).decode())
        return
    table = Table("account", "as of", "score", "tier", "7-day trend", "fired now", "open triggers", "why")
    for r in results:
        trend = "" if r["trend"] is None else f"{r['trend']:+d} ({r['direction']})"
        table.add_row(
            r["account_id"],
            r["as_of"],
            str(r["score"]),
            TIER_LABELS.get(r["tier"], r["tier"]),
            trend,
            ", ".join(r["fired"]),
            ", ".join(r["open"]),
            r["reason"],
        )
    Console().print(table)
