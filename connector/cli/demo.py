"""`healthloop demo`: the whole loop end to end on embedded defaults, over real HTTP."""

from __future__ import annotations

import click


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
    # Imported here: the demo's packages (the Segment SDK, the sandbox's TLS) are the `demo` extra,
    # which the production image leaves out.
    from connector.demo.walkthrough import run_demo

    run_demo(database_url, keep, crm)
