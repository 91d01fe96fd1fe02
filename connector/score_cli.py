"""`healthloop score`: score one or every account as of today, a past day, or every day of a range."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import click
import orjson
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from connector.health import score_accounts
from connector.ingest.rollups import roll_up_outstanding
from connector.runtime import Runtime
from connector.store.models import Account, DirtyAccountDay
from connector.store.sql import chunks
from scoring.model import Assessment
from scoring.rules import TIER_LABELS

BATCH = 500


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


def score_range(
    rt: Runtime, accounts: list[str], days: list[date], now: datetime, progress: Progress | None = None
) -> dict[str, dict[str, Any]]:
    """Catch up outstanding rollups, then score every day in order, in batches of accounts.

    Days go oldest first so each day's stored score feeds the next day's trend, as daily
    scoring would. Returns each account's last scored day.
    """
    with rt.sessions() as session:
        waiting = set(session.scalars(select(DirtyAccountDay.account_id).distinct()))
    for account_id in accounts:
        if account_id in waiting:
            with rt.sessions.begin() as session:
                roll_up_outstanding(session, account_id, now)
    task = progress.add_task("scoring", total=len(accounts) * len(days)) if progress else None
    results: dict[str, dict[str, Any]] = {}
    for day in days:
        live = day == now.date()
        decided_at = now if live else datetime.combine(day, time.max, tzinfo=UTC)
        for batch in chunks(accounts, BATCH):
            with rt.readers() as reading, rt.sessions.begin() as session:
                scored = score_accounts(
                    session, batch, day, rt.config.scoring, decided_at, record_interventions=live, read_session=reading
                )
            slack = [i for s in scored.values() for i in s.slack_interventions]
            if slack:
                rt.queue.enqueue_call("connector.slack.deliver_slack_alerts", slack)
            for account_id, result in scored.items():
                results[account_id] = _summary(result.assessment, len(result.new_interventions))
            if progress and task is not None:
                progress.advance(task, len(batch))
    return results


def _summary(assessment: Assessment, interventions: int) -> dict[str, Any]:
    return {
        "account_id": assessment.account_id,
        "as_of": assessment.as_of.isoformat(),
        "score": assessment.score.value,
        "tier": assessment.tier,
        "trend": assessment.trend.delta,
        "direction": assessment.trend.direction,
        "fired": [hit.trigger_id for hit in assessment.fired],
        "open": [hit.trigger_id for hit in assessment.hits],
        "interventions": interventions,
        "reason": assessment.reason,
    }


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

    Only today's score decides interventions; past days store score history and alerts.
    """
    from connector.runtime import build_runtime, install

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
    with Progress(disable=as_json or len(accounts) * len(days) < 500, transient=True) as progress:
        results = score_range(rt, accounts, days, now, progress)
    if account_id and account_id not in results:
        raise click.ClickException(f"no account {account_id!r} has been stored")
    _report([results[a] for a in accounts if a in results], as_json)
    if hasattr(rt.queue, "join"):
        rt.queue.join()


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
