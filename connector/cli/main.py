"""The `healthloop` command line: one group; each command group lives in its own module of this package."""

from __future__ import annotations

import logging
from typing import Any

import click

from connector.cli.accounts import accounts_cli
from connector.cli.backtest import backtest_command
from connector.cli.calibrate import calibrate_command
from connector.cli.config import config_cli
from connector.cli.crm import crm_cli, sync_command
from connector.cli.db import db_cli
from connector.cli.demo import demo_command
from connector.cli.importer import import_command
from connector.cli.outcomes import outcomes_cli
from connector.cli.report import report_command
from connector.cli.run import serve_command, sweep_command, worker_command
from connector.cli.sandbox import sandbox_cli
from connector.cli.score import score_command
from connector.cli.status import status_command
from connector.cli.suggest import suggest_command
from connector.cli.users import users_cli
from connector.errors import HealthloopError
from crm_adapters.errors import CrmError


class _Group(click.Group):
    """Turn our own errors into a clean message and exit status 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (HealthloopError, CrmError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="healthloop")
def cli() -> None:
    """healthloop: customer health from product usage and support tickets, into your CRM.

    Settings come from environment variables (HEALTHLOOP_DATABASE_URL, HEALTHLOOP_REDIS_URL,
    HEALTHLOOP_CONFIG, secrets); see the README.
    """
    import os

    level = os.environ.get("HEALTHLOOP_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


for command in (
    db_cli,
    config_cli,
    accounts_cli,
    import_command,
    score_command,
    crm_cli,
    sync_command,
    outcomes_cli,
    report_command,
    backtest_command,
    calibrate_command,
    serve_command,
    worker_command,
    sweep_command,
    status_command,
    demo_command,
    sandbox_cli,
    users_cli,
):
    cli.add_command(command)
config_cli.add_command(suggest_command)
