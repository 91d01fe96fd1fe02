"""`healthloop report`: what the interventions achieved, with 95% intervals (terminal, JSON or HTML)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import orjson
from rich.console import Console

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.jobs.runtime import open_database
from connector.measure.report import GROUPINGS, measure_report
from connector.measure.report_html import write_html
from connector.measure.report_text import print_report


@click.command("report")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only interventions created on or after this day.")
@click.option("--by", "groupings", multiple=True, type=click.Choice(GROUPINGS), help="Tables to print (default all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a self-contained HTML page (charts inline) to this file.",
)
def report_command(since: datetime | None, groupings: tuple[str, ...], as_json: bool, html_path: Path | None) -> None:
    """Save rate, response rate, time to recovery and uplift over the control group, with 95% intervals."""
    settings = load_settings()
    scoring = load_config(settings.config_path).scoring
    with open_database(settings) as sessions, sessions() as session:
        measured = measure_report(session, scoring, datetime.now(UTC).date(), since.date() if since else None)
        report = measured.report
        if html_path is not None:
            write_html(html_path, session, measured)
            click.echo(f"wrote {html_path}", err=True)
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report, Console(width=max(140, Console().width)), groupings or GROUPINGS)
