"""`healthloop outcomes import | pull`: past renewals from a CSV, task status and renewals from the CRM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from connector.cli.crm import wiring
from connector.config.settings import load_settings
from connector.crm.outcomes import pull_outcomes
from connector.measure.renewals import import_outcomes, read_outcome_file
from connector.store.db import make_engine, make_sessionmaker


@click.group("outcomes")
def outcomes_cli() -> None:
    """Read outcomes back: task completion and renewals from the CRM, or past renewals from a CSV."""


@outcomes_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Load a CSV of past renewals and churns: account_id,date (YYYY-MM-DD),outcome.

    Outcomes (any case): won, renewed, closed won, expanded -> won; lost, closed lost -> lost;
    churned, cancelled, canceled -> churned.
    """
    read = read_outcome_file(path)
    engine = make_engine(load_settings().database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            stored = import_outcomes(session, read.rows, datetime.now(UTC))
    finally:
        engine.dispose()
    accounts = len({r.account_id for r in read.rows})
    click.echo(
        f"{read.lines} row(s) for {accounts} account(s): {read.duplicates} duplicate(s) within the file, "
        f"{stored.new} new, {stored.already_stored} already stored"
    )
    for row, status in stored.kept_differing[:20]:
        click.echo(f"  {row.account_id} on {row.day}: stored as {status}, kept (the file says {row.outcome})", err=True)
    if len(stored.kept_differing) > 20:
        click.echo(f"  ... and {len(stored.kept_differing) - 20} more stored with another outcome", err=True)


@outcomes_cli.command("pull")
def pull_command() -> None:
    """Read task status and renewals from the CRM now (the worker also does it every hour)."""
    settings, _, adapter = wiring()
    engine = make_engine(settings.database_url)
    try:
        report = pull_outcomes(make_sessionmaker(engine), adapter)
    finally:
        engine.dispose()
    click.echo(
        f"{report.tasks_read} open task(s) read: {report.tasks_completed} completed, {report.tasks_missing} deleted "
        f"in the CRM; {report.renewals} renewal(s) stored ({report.renewals_closed} closed); "
        f"{report.enrollments_replied} enrollment(s) answered"
    )
