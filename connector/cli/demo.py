"""`healthloop demo`: the whole loop end to end on embedded defaults, over real HTTP."""

from __future__ import annotations

import click

from connector.demo.walkthrough import run_demo


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
def demo_command(database_url: str | None, keep: bool, crm: str) -> None:
    """Run the loop end to end on local defaults (SQLite, in-process queue without Redis, CRM sandbox)."""
    run_demo(database_url, keep, crm)
