"""`healthloop db upgrade | current`: apply and inspect the schema migrations."""

from __future__ import annotations

import click

from connector.config.settings import load_settings
from connector.store.db import current_revision, head_revision, make_engine, upgrade


@click.group("db")
def db_cli() -> None:
    """Database schema: apply and inspect migrations."""


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema (safe to run repeatedly)."""
    settings = load_settings()
    # No statement timeout: a migration may rewrite a large table.
    engine = make_engine(
        settings.database_url, connect_timeout=settings.db_connect_timeout_seconds, statement_timeout=None
    )
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    click.echo(f"database {engine.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {after}")


@db_cli.command("current")
def db_current() -> None:
    """Show the applied migration and whether it is the latest."""
    settings = load_settings()
    engine = make_engine(settings.database_url, connect_timeout=settings.db_connect_timeout_seconds)
    current, head = current_revision(engine), head_revision()
    state = "up to date" if current == head else f"behind (latest is {head}); run `healthloop db upgrade`"
    click.echo(f"{current or 'no schema'}: {state}")
