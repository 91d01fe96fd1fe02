"""The `healthloop` command line: one group; each command group lives in its own module of this package."""

from __future__ import annotations

import logging
import os
from typing import Any

import click
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from connector.cli.accounts import accounts_cli
from connector.cli.backtest import backtest_command
from connector.cli.calibrate import calibrate_command
from connector.cli.config import config_cli
from connector.cli.crm import crm_cli, sync_command
from connector.cli.db import db_cli
from connector.cli.demo import demo_command
from connector.cli.importer import import_command
from connector.cli.learn import learn_command
from connector.cli.outcomes import outcomes_cli
from connector.cli.report import report_command
from connector.cli.run import serve_command, sweep_command, worker_command
from connector.cli.sandbox import sandbox_cli
from connector.cli.score import score_command
from connector.cli.status import status_command
from connector.cli.suggest import suggest_command
from connector.cli.users import users_cli
from connector.crm.fixes import fix_for
from connector.errors import HealthloopError
from connector.store.db import database_problem
from connector.telemetry.logs import configure_logging
from crm_adapters.errors import CrmError

OPTIONAL_PACKAGES = {"matplotlib": "report", "segment": "demo", "trustme": "demo"}
"""Packages of the extras the production image leaves out, and the extra that brings each."""


class _Group(click.Group):
    """Turn our own errors, an unreachable database or Redis and a missing schema into one line that
    names the fix, and exit status 2: never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (HealthloopError, CrmError) as exc:
            fix = f"; fix: {fix_for(exc)}" if isinstance(exc, CrmError) else ""
            click.echo(f"error: {exc}{fix}", err=True)
            ctx.exit(2)
        except SQLAlchemyError as exc:
            problem = database_problem(exc, os.environ.get("HEALTHLOOP_DATABASE_URL"))
            if problem is None:
                raise
            click.echo(f"error: {problem.message}", err=True)
            ctx.exit(2)
        except ModuleNotFoundError as exc:
            extra = OPTIONAL_PACKAGES.get((exc.name or "").split(".")[0])
            if extra is None:
                raise
            click.echo(
                f"error: this command needs the optional `{extra}` packages ({exc.name} is not installed): "
                f"pip install 'healthloop[{extra}]'",
                err=True,
            )
            ctx.exit(2)
        except RedisError as exc:
            click.echo(
                f"error: Redis is not reachable ({type(exc).__name__}); start it or check HEALTHLOOP_REDIS_URL",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="healthloop")
def cli() -> None:
    """healthloop: customer health from product usage and support tickets, into your CRM.

    Settings come from environment variables (HEALTHLOOP_DATABASE_URL, HEALTHLOOP_REDIS_URL,
    HEALTHLOOP_CONFIG, secrets); see the README.
    """
    if logging.getLogger().handlers:
        return  # embedded (a test runner, another program): its logging stays as it is
    level = os.environ.get("HEALTHLOOP_LOG_LEVEL", "INFO").upper()
    fmt = os.environ.get("HEALTHLOOP_LOG_FORMAT", "text").lower()
    configure_logging(
        level if level in {"DEBUG", "INFO", "WARNING", "ERROR"} else "INFO",
        "json" if fmt == "json" else "text",
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
    learn_command,
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
