"""`healthloop backtest`: replay stored history; what fired, how early, and how well it predicted losses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.jobs.runtime import open_database
from connector.measure.backtest import run_backtest
from connector.measure.report_text import format_rate, format_score_auc
from scoring.rules import TIER_LABELS


@click.command("backtest")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 90 days ago).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option(
    "--outcomes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of account_id,date,outcome (won/lost/churned) to measure lead time before losses.",
)
@click.option("--json", "as_json", is_flag=True)
def backtest_command(start: datetime | None, end: datetime | None, outcomes: Path | None, as_json: bool) -> None:
    """Replay stored history day by day: which triggers and tiers would have fired, and how early."""
    settings = load_settings()
    rules = load_config(settings.config_path).scoring
    last = end.date() if end else datetime.now(UTC).date()
    first = start.date() if start else last - timedelta(days=89)
    if first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")
    with open_database(settings) as sessions, sessions() as session:
        report = run_backtest(session, rules, first, last, outcomes)
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(report)


def _print(report: dict[str, Any]) -> None:
    console = Console()
    console.print(
        f"backtest {report['from']} .. {report['to']}: {report['accounts']} account(s), "
        f"{report['losses']} known loss(es); rules {report['config_version']}"
    )
    triggers = Table("trigger", "accounts", "firings", "losses warned", "median lead (days)", title="triggers")
    for trigger_id, row in report["triggers"].items():
        triggers.add_row(
            trigger_id,
            str(row["accounts"]),
            str(row["firings"]),
            str(row["losses_warned"]),
            "-" if row["median_lead_days"] is None else f"{row['median_lead_days']:g}",
        )
    console.print(triggers)
    tiers = Table("tier", "accounts", "account-days", "losses warned", "median lead (days)", title="tiers")
    for tier, row in report["tiers"].items():
        tiers.add_row(
            TIER_LABELS[tier],
            str(row["accounts"]),
            str(row["account_days"]),
            str(row["losses_warned"]),
            "-" if row["median_lead_days"] is None else f"{row['median_lead_days']:g}",
        )
    console.print(tiers)
    closed = report["renewals"]["closed"]
    console.print(
        f"indicators against {closed} closed renewal(s) ({report['renewals']['lost']} lost), 90-day lookback:"
    )
    table = Table("indicator", "flagged", "precision [95% CI]", "recall [95% CI]", "median lead (days)")
    for row in report["indicators"]:
        if row["flagged"] or row["indicator"] == "score":
            table.add_row(
                row["indicator"],
                str(row["flagged"]),
                format_rate(row["precision"]),
                format_rate(row["recall"]),
                "-" if row["median_lead_days"] is None else f"{row['median_lead_days']:g}",
            )
    console.print(table)
    console.print("score AUC (chance a lost renewal scored below a won one; 0.5 = chance), 95% interval:")
    for row in report["score_auc"]:
        console.print(f"  {row['days_before']} days before renewal: {format_score_auc(row)}")
