"""`healthloop demo`: the whole loop end to end on embedded defaults, over real HTTP; `--serve` then opens
the console on the demo's data until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
from datetime import UTC, datetime, timedelta

import click
from sqlalchemy import select
from werkzeug.serving import make_server

from connector.config.settings import load_settings
from connector.health.backfill import score_range
from connector.jobs.runtime import build_runtime, install
from connector.store.models import Account
from webhooks.app import create_app

HISTORY_DAYS = 90
"""`--serve` fills this many days of score history first, so the console's charts have a story to show."""


@click.command("demo")
@click.option("--database-url", default=None, help="Default: HEALTHLOOP_DATABASE_URL, else ./healthloop-demo.db.")
@click.option("--keep", is_flag=True, help="Keep an existing demo SQLite file instead of starting fresh.")
@click.option(
    "--crm",
    type=click.Choice(["hubspot", "salesforce", "none"]),
    default="hubspot",
    show_default=True,
    help="Write to a local HubSpot or Salesforce sandbox this demo starts; none: score only.",
)
@click.option("--serve", is_flag=True, help="Afterwards, serve the console on the demo data until Ctrl-C.")
@click.option("--port", default=8000, show_default=True, type=int, help="The console's port with --serve.")
def demo_command(database_url: str | None, keep: bool, crm: str, serve: bool, port: int) -> None:
    """Run the loop end to end on local defaults (SQLite, in-process queue without Redis, CRM sandbox)."""
    # Imported here: the demo's packages (the Segment SDK, the sandbox's TLS) are the `demo` extra,
    # which the production image leaves out.
    from connector.demo.walkthrough import run_demo

    run_demo(database_url, keep, crm)
    if serve:
        serve_console(database_url or os.environ.get("HEALTHLOOP_DATABASE_URL") or "sqlite:///healthloop-demo.db", port)


def serve_console(database_url: str, port: int) -> None:
    """Fill the demo accounts' score history, then serve the app on 127.0.0.1 with a one-time admin token."""
    token = os.environ.get("HEALTHLOOP_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    settings = load_settings(database_url=database_url, admin_token=token)
    rt = install(build_runtime(settings, queue_mode="auto", queue_name="healthloop-demo"))
    today = datetime.now(UTC).date()
    with rt.sessions() as session:
        accounts = list(session.scalars(select(Account.account_id)))
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS - 1, 0, -1)]
    click.echo(f"filling {len(days)} days of score history for {len(accounts)} accounts (healthloop score --from)...")
    score_range(rt.sessions, rt.readers, rt.config.scoring, accounts, days, datetime.now(UTC))
    server = make_server("127.0.0.1", port, create_app(rt), threaded=True)
    click.echo(f"console: http://127.0.0.1:{server.server_port}/console  sign in with the admin token: {token}")
    click.echo("(Ctrl-C stops the server)")
    # The demo's burst RQ worker left its own SIGINT handler installed; Ctrl-C should just stop serving.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.serve_forever()  # returns on Ctrl-C (werkzeug's server catches the KeyboardInterrupt)
    finally:
        server.server_close()
        rt.close()
    click.echo("stopped")
