"""`healthloop sandbox`: run the local HubSpot sandbox, or print what a running one holds.

The sandbox lets a RevOps admin try healthloop end to end without a CRM account: point
HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN at it and everything else works unchanged.
"""

from __future__ import annotations

import os

import click
import orjson

DEFAULT_PORT = 8765
TOKEN_VARIABLE = "HEALTHLOOP_SANDBOX_TOKEN"


def _token() -> str:
    from crm_adapters.sandbox import DEFAULT_TOKEN

    return os.environ.get(TOKEN_VARIABLE) or DEFAULT_TOKEN


@click.group("sandbox", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port (0 picks a free one).")
@click.pass_context
def sandbox_cli(ctx: click.Context, host: str, port: int) -> None:
    """Serve a local HubSpot sandbox (token from HEALTHLOOP_SANDBOX_TOKEN, default `sandbox-token`)."""
    if ctx.invoked_subcommand is not None:
        return
    from werkzeug.serving import make_server

    from crm_adapters.sandbox import create_sandbox_app

    token = _token()
    server = make_server(host, port, create_sandbox_app(token), threaded=True)
    url = f"http://{host}:{server.server_port}"
    click.echo(f"HubSpot sandbox listening on {url}")
    click.echo("Point healthloop at it with:")
    click.echo(f"  export HUBSPOT_BASE_URL={url} HUBSPOT_ACCESS_TOKEN={token}")
    click.echo(f"Inspect it with: healthloop sandbox dump --url {url}   (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("sandbox stopped")
    finally:
        server.server_close()


@sandbox_cli.command("dump")
@click.option(
    "--url",
    default=lambda: os.environ.get("HUBSPOT_BASE_URL") or f"http://127.0.0.1:{DEFAULT_PORT}",
    show_default="HUBSPOT_BASE_URL or http://127.0.0.1:8765",
    help="Base URL of the running sandbox.",
)
@click.option("--object", "object_type", default=None, help="Only this object type (companies, contacts, tasks, ...).")
def dump_command(url: str, object_type: str | None) -> None:
    """Print the sandbox's state (records, associations, owners, sequences) as JSON."""
    import requests

    params = {"object": object_type} if object_type else {}
    try:
        response = requests.get(
            f"{url.rstrip('/')}/_sandbox/state",
            params=params,
            headers={"Authorization": f"Bearer {_token()}"},
            timeout=10,
        )
    except requests.RequestException as exc:
        raise click.ClickException(
            f"no sandbox answering at {url} ({type(exc).__name__}); start one with "
            "`healthloop sandbox --port N` or pass --url"
        ) from None
    if response.status_code != 200:
        message = response.json().get("message", response.text) if response.content else response.reason
        raise click.ClickException(f"the sandbox at {url} answered {response.status_code}: {message}")
    click.echo(orjson.dumps(response.json(), option=orjson.OPT_INDENT_2).decode())
