"""`healthloop crm provision | check` and `healthloop sync`: prepare the CRM, then write to it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import orjson
from redis import Redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.config.settings import Settings, load_settings
from connector.config.yaml_config import Config, load_config
from connector.crm.health_report import forget_unmatched
from connector.crm.owners import owner_check
from connector.crm.pending_work import TASK_MAX_AGE
from connector.crm.schema_changes import forget_synced
from connector.crm.sync import CrmSync
from connector.crm.sync_report import SyncReport, work_lines
from connector.crm.wiring import build_adapter, playbook_checks
from connector.errors import ConfigurationError
from connector.jobs.runtime import engine_for, redis_reachable
from connector.store.db import make_sessionmaker
from connector.store.models import AccountScore
from crm_adapters.base import CrmAdapter


def _shared_redis_url(settings: Settings) -> str | None:
    """Redis for the shared rate limiter when it is reachable; otherwise this process paces alone."""
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1)
    try:
        return settings.redis_url if redis_reachable(redis) else None
    finally:
        redis.close()


def wiring() -> tuple[Settings, Config, CrmAdapter]:
    settings = load_settings()
    config = load_config(settings.config_path)
    return settings, config, build_adapter(settings, config, redis_url=_shared_redis_url(settings))


@click.group("crm")
def crm_cli() -> None:
    """Prepare the CRM for healthloop: create and check the mapped fields."""


@crm_cli.command("provision")
def provision_command() -> None:
    """Create the property group and any missing mapped fields, add missing options, and turn a text field that
    holds a multi-select into one where the CRM allows it (safe to run twice)."""
    settings, config, adapter = wiring()
    result = adapter.provision(config.crm.mapping(adapter.name))
    if adapter.name == "hubspot":  # Salesforce has no property groups
        click.echo(f"hubspot: group {config.crm.group!r} " + ("created" if result.group_created else "exists"))
    for name in result.created:
        click.echo(f"  created  {name}")
    for name in result.updated:
        click.echo(f"  updated  {name} (added missing options)")
    for name in result.migrated:
        click.echo(f"  migrated {name}")
    for name in result.existing:
        click.echo(f"  exists   {name}")
    for message in result.messages:
        click.echo(f"note: {message}")
    click.echo(
        f"{len(result.created)} created, {len(result.updated)} updated, {len(result.migrated)} migrated, "
        f"{len(result.existing)} already there"
    )
    changed = [*result.created, *result.migrated]
    if changed:
        again = _forget_synced(settings, adapter.name, changed)
        if again:
            click.echo(f"the next sync writes the new or changed field(s) to {again} record(s) again")


@contextmanager
def _database(settings: Settings) -> Iterator[sessionmaker[Session] | None]:
    """Sessions on the database, or None when there is none yet (a SQLite file is not created for it)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        yield None
        return
    engine = engine_for(settings)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _forget_synced(settings: Settings, crm: str, names: list[str]) -> int:
    """What records last got in these fields is gone with them (0 when there is no database yet)."""
    with _database(settings) as sessions:
        try:
            return forget_synced(sessions, crm, names) if sessions is not None else 0
        except SQLAlchemyError:
            return 0  # not migrated yet: nothing was synced


@crm_cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def check_command(as_json: bool) -> None:
    """Validate the field mapping against the live schema, the sequences and owners the playbook names, and that
    every task can get an owner; exit 1 on any problem, with the fix."""
    settings, config, adapter = wiring()
    checks = adapter.check(config.crm.mapping(adapter.name)) + playbook_checks(adapter, config)
    with _database(settings) as sessions:
        try:
            checks.append(owner_check(sessions, adapter, config.crm))
        except SQLAlchemyError:
            checks.append(owner_check(None, adapter, config.crm))  # not migrated yet: nothing scored to look at
    problems = [c for c in checks if not c.ok]
    if as_json:
        click.echo(orjson.dumps([c.__dict__ for c in checks], option=orjson.OPT_INDENT_2).decode())
    else:
        table = Table(title=f"{adapter.name}: field mapping, sequences and owners")
        for column in ("value", "field", "status", "fix"):
            table.add_column(column)
        for c in checks:
            status = f"[red]{c.problem}[/red]: {c.detail}" if not c.ok else "ok"
            if c.ok and c.warning:
                status = f"[yellow]warning[/yellow]: {c.detail}"
            table.add_row(c.source, c.name, status, c.fix if not c.ok or c.warning else "")
        Console(width=160).print(table)
        warnings = sum(1 for c in checks if c.ok and c.warning)
        click.echo(f"{len(checks) - len(problems)} ok ({warnings} with a warning), {len(problems)} problem(s)")
    if problems:
        sys.exit(1)


@click.command("sync")
@click.argument("account_ids", nargs=-1)
@click.option("--all", "sync_all", is_flag=True, help="Every scored account.")
@click.option(
    "--retry-unmatched", is_flag=True, help="Look up every account that had no CRM record again now, and sync it."
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
def sync_command(
    account_ids: tuple[str, ...], sync_all: bool, retry_unmatched: bool, dry_run: bool, as_json: bool
) -> None:
    """Write changed health values, tasks, notes and enrollments to the CRM."""
    if sum((bool(account_ids), sync_all, retry_unmatched)) != 1:
        raise click.UsageError("give ACCOUNT_IDs, --all or --retry-unmatched")
    settings, config, adapter = wiring()
    mapping_problems = [c for c in adapter.check(config.crm.mapping(adapter.name)) if not c.ok]
    if mapping_problems:
        lines = "\n  ".join(f"{c.name} ({c.source}): {c.problem}: {c.fix}" for c in mapping_problems)
        raise ConfigurationError(f"the field mapping has problems; nothing was written:\n  {lines}")
    engine = engine_for(settings)
    sessions = make_sessionmaker(engine)
    sync = CrmSync(sessions, adapter, config.crm, settings=settings, rules=config.scoring)
    try:
        if retry_unmatched:
            with sessions.begin() as session:
                account_ids = tuple(forget_unmatched(session, adapter.name))
            if not as_json:
                click.echo(f"{len(account_ids)} unmatched account(s) to look up again")
        if sync_all:
            with sessions() as session:
                total = session.scalar(select(func.count(func.distinct(AccountScore.account_id)))) or 0
            with Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                disable=as_json or total < 1000,
                transient=True,
            ) as progress:
                task = progress.add_task("syncing", total=total)
                report = sync.sync(None, dry_run=dry_run, progress=lambda n: progress.advance(task, n))
        else:
            report = sync.sync(list(account_ids), dry_run=dry_run)
    finally:
        engine.dispose()
    _print_report(report, as_json)
    if report.failures:
        sys.exit(1)


def _print_report(report: SyncReport, as_json: bool) -> None:
    usage = report.usage
    if as_json:
        click.echo(
            orjson.dumps(
                {
                    "dry_run": report.dry_run,
                    "accounts": report.accounts,
                    "written": report.written,
                    "unchanged": report.unchanged,
                    "unmatched": report.unmatched,
                    "changes": [
                        {
                            "account_id": a,
                            "record_id": r,
                            "fields": {k: {"old": o, "new": n} for k, (o, n) in f.items()},
                        }
                        for a, r, f in report.changes
                    ],
                    "tasks_created": report.tasks_created,
                    "task_accounts": report.task_accounts,
                    "too_old_for_a_task": report.too_old,
                    "no_owner": report.no_owner,
                    "items": [item.__dict__ for item in report.items],
                    "estimate": report.estimate,
                    "tasks_updated": report.tasks_updated,
                    "notes": report.notes,
                    "enrolled": report.enrolled,
                    "failures": [f.__dict__ for f in report.failures],
                    "retry_later": report.retry_later,
                    "api": {
                        "calls": usage.calls,
                        "write_calls": usage.write_calls,
                        "retries": usage.retries,
                        "remaining": usage.remaining,
                        "daily_remaining": usage.daily_remaining,
                    },
                },
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
        return
    if report.dry_run:
        for account_id, record_id, fields in report.changes[:200]:
            click.echo(f"{account_id} (record {record_id}):")
            for name, (old, new) in fields.items():
                click.echo(f"    {name}: {old!r} -> {new!r}")
        if len(report.changes) > 200:
            click.echo(f"... and {len(report.changes) - 200} more record(s)")
        click.echo(f"dry run: {len(report.changes)} record(s) would change, {report.unchanged} unchanged")
        click.echo(
            f"dry run: would create {report.tasks_created} task(s) for {report.task_accounts} account(s), "
            f"{report.notes} note(s), {report.enrolled} enrollment(s); {report.tasks_updated} task(s) would be "
            "updated as cleared"
        )
        if report.too_old:
            click.echo(f"dry run: {report.too_old} intervention(s) older than {TASK_MAX_AGE.days} days get no task")
        for line in work_lines(report.items):
            click.echo(line)
        if report.estimate:
            click.echo(
                f"dry run: would take about {sum(report.estimate.values())} API call(s): "
                f"{report.estimate.get('writes', 0)} write(s), up to {report.estimate.get('reads', 0)} read(s)"
            )
    else:
        click.echo(
            f"{report.accounts} account(s): {report.written} record(s) written, {report.unchanged} unchanged; "
            f"{report.tasks_created} task(s) created, {report.tasks_updated} updated, {report.notes} note(s), "
            f"{report.enrolled} enrollment(s)"
        )
    if report.unmatched:
        shown = ", ".join(report.unmatched[:10]) + (" ..." if len(report.unmatched) > 10 else "")
        click.echo(f"{len(report.unmatched)} account(s) have no CRM record: {shown}")
    for failure in report.failures[:50]:
        click.echo(f"FAILED {failure.what} for {failure.account_id} (record {failure.record_id}): {failure.reason}")
    if report.retry_later:
        click.echo(f"{len(report.retry_later)} account(s) hit rate limits or CRM errors; run again later")
    remaining = "" if usage.remaining is None else f"; quota left: {usage.remaining} in this interval"
    daily = "" if usage.daily_remaining is None else f", {usage.daily_remaining:,} today"
    click.echo(f"API calls: {usage.calls} ({usage.write_calls} writes, {usage.retries} retries){remaining}{daily}")
