"""`healthloop report`: what the interventions achieved, with 95% intervals (terminal, JSON or HTML)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.jobs.runtime import open_database
from connector.measure.report import GROUPINGS, measure_report
from connector.measure.report_html import write_html
from connector.measure.report_text import print_report
from connector.measure.revenue_at_risk import at_risk_accounts
from scoring.rules import TIER_LABELS


@click.command("report")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only interventions created on or after this day.")
@click.option("--by", "groupings", multiple=True, type=click.Choice(GROUPINGS), help="Tables to print (default all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--sort",
    type=click.Choice(["revenue-at-risk"]),
    help="Also list the accounts at risk, most revenue at risk (12 x MRR, At Risk or worse) first, with their play.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a self-contained HTML page (charts inline) to this file.",
)
def report_command(
    since: datetime | None, groupings: tuple[str, ...], as_json: bool, sort: str | None, html_path: Path | None
) -> None:
    """Save rate, response rate, time to recovery and uplift over the control group, with 95% intervals."""
    settings = load_settings()
    scoring = load_config(settings.config_path).scoring
    with open_database(settings) as sessions, sessions() as session:
        measured = measure_report(session, scoring, datetime.now(UTC).date(), since.date() if since else None)
        report = measured.report
        if sort == "revenue-at-risk":
            report = report | {"at_risk_accounts": at_risk_accounts(session, datetime.now(UTC).date())}
        if html_path is not None:
            write_html(html_path, session, measured)
            click.echo(f"wrote {html_path}", err=True)
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        console = Console(width=max(140, Console().width))
        print_report(report, console, groupings or GROUPINGS)
        if "at_risk_accounts" in report:
            _print_at_risk(report["at_risk_accounts"], console)


def _print_at_risk(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(
        "account", "tier", "score", "MRR", "renewal", "revenue at risk (ARR)", "latest play", "where it stands",
        title="accounts at risk, most revenue at risk first", title_justify="left",
    )  # fmt: skip
    for row in rows:
        renewal = "" if row["renewal_date"] is None else f"{row['renewal_date']} ({row['days_to_renewal']} days)"
        table.add_row(
            row["name"] or row["account_id"],
            TIER_LABELS.get(row["tier"] or "", ""),
            str(row["score"]),
            "" if row["mrr"] is None else f"{row['mrr']:,.0f}",
            renewal,
            f"{row['revenue_at_risk']:,.0f}",
            row["play"] or "-",
            row["play_state"],
        )
    console.print(table)
