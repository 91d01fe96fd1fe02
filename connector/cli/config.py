"""`healthloop config check | example | diff`: validate, explain and replay a YAML config."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson
import yaml
from rich.console import Console
from rich.table import Table

from connector.config.settings import load_settings
from connector.config.yaml_config import EXAMPLE, Config, load_config
from connector.jobs.runtime import open_database
from connector.measure.config_diff import diff_configs
from connector.measure.report_text import format_auc, format_difference, format_rate
from scoring.rules import TIER_LABELS


@click.group("config")
def config_cli() -> None:
    """Check and explain the YAML config."""


@config_cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Only the verdict, not the effective config.")
def config_check(file: Path, quiet: bool) -> None:
    """Validate FILE and print the effective config (your values over the defaults)."""
    config = load_config(file)
    if not quiet:
        effective = config.model_dump(mode="json")
        click.echo(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True, width=110).rstrip())
    click.echo(f"# {file}: valid; config version {config.version()}, scoring rules {config.scoring.version()}")


@config_cli.command("example")
def config_example() -> None:
    """Print a commented example config (every value is the default)."""
    click.echo(EXAMPLE.read_text(encoding="utf-8").rstrip())


@config_cli.command("diff")
@click.argument("proposed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 730), help="Days of history to replay.")
@click.option("--json", "as_json", is_flag=True)
def diff_command(proposed: Path, days: int, as_json: bool) -> None:
    """Replay stored history under the live config and PROPOSED: tier moves, trigger volumes, indicator accuracy."""
    settings = load_settings()
    live: Config = load_config(settings.config_path)
    new: Config = load_config(proposed)
    with open_database(settings) as sessions, sessions() as session:
        report = diff_configs(session, live, new, days, datetime.now(UTC).date())
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(report)


def _print(report: dict[str, Any]) -> None:
    console = Console()
    changed = ", ".join(report["changed"]) or "nothing"
    console.print(
        f"config diff over {report['from']} .. {report['to']} ({report['accounts']} accounts; rules "
        f"{report['versions']['old']} -> {report['versions']['new']}); changed: {changed}"
    )
    console.print(f"{report['tier_changes']} account(s) would end in another tier today:")
    for move in report["tier_moves"]:
        console.print(f"  {TIER_LABELS[move['from']]} -> {TIER_LABELS[move['to']]}: {move['accounts']}")
    table = Table("trigger", "firings now", "firings proposed", "change", title="trigger volume")
    for trigger_id, row in report["triggers"].items():
        if row["old"] or row["new"]:
            table.add_row(trigger_id, str(row["old"]), str(row["new"]), f"{row['change']:+d}")
    console.print(table)
    old, new = report["indicators"]["old"], report["indicators"]["new"]
    accuracy = Table(
        "indicator", "precision now [95% CI]", "proposed", "recall now [95% CI]", "proposed", title="indicator accuracy"
    )
    proposed = {row["indicator"]: row for row in new["indicators"]}
    for row in old["indicators"]:
        other = proposed.get(row["indicator"])
        if other and (row["flagged"] or other["flagged"] or row["indicator"] == "score"):
            accuracy.add_row(
                row["indicator"],
                format_rate(row["precision"]),
                format_rate(other["precision"]),
                format_rate(row["recall"]),
                format_rate(other["recall"]),
            )
    console.print(accuracy)
    console.print(
        f"against {old['renewals']['closed']} closed renewal(s) ({old['renewals']['lost']} lost); "
        "score AUC now vs proposed, and the change with its paired 95% interval:"
    )
    for row in report["score_auc_change"]:
        console.print(
            f"  {row['days_before']} days before renewal: now {format_auc(row['old'])}; proposed "
            f"{format_auc(row['new'])}; change {format_difference(row)}"
        )
    if not old["renewals"]["closed"]:
        console.print("no closed renewals stored yet: `healthloop outcomes import FILE` or `outcomes pull`")
