"""`healthloop users add | list | remove`: who may sign in to the console (tokens shown once, stored hashed)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config.settings import load_settings
from connector.console.users import ROLES, add_user, list_users, remove_user
from connector.store.db import make_engine, make_sessionmaker


def _sessions() -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(load_settings().database_url)
    return engine, make_sessionmaker(engine)


@click.group("users")
def users_cli() -> None:
    """Console users: issue, list and remove sign-in tokens."""


@users_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True,
              help="viewer: reads every page; admin: may also check configs and retry CRM syncs.")  # fmt: skip
def users_add(name: str, role: str) -> None:
    """Create user NAME and print their sign-in token (once: only its hash is kept)."""
    engine, sessions = _sessions()
    try:
        with sessions.begin() as session:
            token = add_user(session, name, role)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    click.echo(f"added {name} ({role}); their console sign-in token (shown only now):")
    click.echo(token)


@users_cli.command("list")
def users_list() -> None:
    """Every console user, their role and last sign-in (never a token)."""
    engine, sessions = _sessions()
    try:
        with sessions() as session:
            users = [(u.name, u.role, u.created_at, u.last_sign_in_at) for u in list_users(session)]
    finally:
        engine.dispose()
    if not users:
        click.echo("no console users yet (the admin token signs in too): healthloop users add NAME --role viewer")
        return
    table = Table("name", "role", "created", "last sign-in")
    for name, role, created, last in users:
        table.add_row(name, role, f"{created:%Y-%m-%d %H:%M}", f"{last:%Y-%m-%d %H:%M}" if last else "never")
    Console().print(table)


@users_cli.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Remove user NAME; their sessions end at their next request."""
    engine, sessions = _sessions()
    try:
        with sessions.begin() as session:
            removed = remove_user(session, name)
    finally:
        engine.dispose()
    if not removed:
        raise click.ClickException(f"no console user named {name!r} (healthloop users list)")
    click.echo(f"removed {name}")
