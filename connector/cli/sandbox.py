"""`healthloop sandbox`: run the local HubSpot + Salesforce sandbox, or print what a running one holds.

The sandbox lets a RevOps admin try healthloop end to end without a CRM account: point
HUBSPOT_BASE_URL and HUBSPOT_ACCESS_TOKEN at it (plain HTTP), or SALESFORCE_INSTANCE_URL and
REQUESTS_CA_BUNDLE at its HTTPS port, and everything else works unchanged.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import click
import orjson
from werkzeug.serving import make_server

DEFAULT_PORT = 8765
TOKEN_VARIABLE = "HEALTHLOOP_SANDBOX_TOKEN"


def _default_tls_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "healthloop" / "sandbox-tls"


def _token() -> str:
    # The sandbox is imported only when used: its TLS package is the `demo` extra, not in the production image.
    from crm_adapters.sandbox import DEFAULT_TOKEN

    return os.environ.get(TOKEN_VARIABLE) or DEFAULT_TOKEN


@click.group("sandbox", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option(
    "--tls-port", default=None, type=int, help="HTTPS port for the Salesforce API  [default: --port + 1, or free]"
)
@click.option(
    "--tls-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the sandbox CA and certificate live (reused)  [default: ~/.cache/healthloop/sandbox-tls]",
)
@click.pass_context
def sandbox_cli(ctx: click.Context, host: str, port: int, tls_port: int | None, tls_dir: Path | None) -> None:
    """Serve a local HubSpot sandbox (token from HEALTHLOOP_SANDBOX_TOKEN, default `sandbox-token`).

    The same sandbox serves a Salesforce org over HTTPS on --tls-port (simple-salesforce only speaks https).
    """
    if ctx.invoked_subcommand is not None:
        return

    from crm_adapters.sandbox import SalesforceCredentials, create_certificate, create_sandbox_app

    token = _token()
    app = create_sandbox_app(token)
    server = make_server(host, port, app, threaded=True)
    certificate = create_certificate(tls_dir or _default_tls_dir())
    https_port = tls_port if tls_port is not None else (port + 1 if port else 0)
    try:
        secure = make_server(host, https_port, app, threaded=True, ssl_context=certificate.server_context())
    except OSError:
        if tls_port is not None:
            raise
        # --port + 1 is taken and no port was asked for: any free one will do, the URL is printed below.
        secure = make_server(host, 0, app, threaded=True, ssl_context=certificate.server_context())
    url = f"http://{host}:{server.server_port}"
    salesforce_url = f"https://{host}:{secure.server_port}"
    app.extensions["salesforce.instance_url"] = salesforce_url
    credentials = SalesforceCredentials()
    click.echo(f"HubSpot sandbox listening on {url}")
    click.echo(f"Salesforce sandbox listening on {salesforce_url} (CA certificate: {certificate.ca_file})")
    click.echo("Point healthloop at it with:")
    click.echo(f"  export HUBSPOT_BASE_URL={url} HUBSPOT_ACCESS_TOKEN={token}")
    click.echo(
        f"  export SALESFORCE_INSTANCE_URL={salesforce_url} SALESFORCE_LOGIN_URL={salesforce_url} "
        f"REQUESTS_CA_BUNDLE={certificate.ca_bundle_file}"
    )
    click.echo(
        f"Salesforce sandbox logins (local defaults, not secrets): username {credentials.username}, "
        f"password {credentials.password}, security token {credentials.security_token}, "
        f"consumer key {credentials.consumer_key}, consumer secret {credentials.consumer_secret}"
    )
    click.echo(f"Inspect it with: healthloop sandbox dump --url {url}   (Ctrl-C stops it)")
    background = threading.Thread(target=secure.serve_forever, name="salesforce-sandbox", daemon=True)
    background.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("sandbox stopped")
    finally:
        secure.shutdown()
        secure.server_close()
        server.server_close()


@sandbox_cli.command("dump")
@click.option(
    "--url",
    default=lambda: os.environ.get("HUBSPOT_BASE_URL") or f"http://127.0.0.1:{DEFAULT_PORT}",
    show_default="HUBSPOT_BASE_URL or http://127.0.0.1:8765",
    help="Base URL of the running sandbox.",
)
@click.option("--object", "object_type", default=None, help="Only this object type (companies, Account, Task, ...).")
@click.option(
    "--crm", type=click.Choice(["hubspot", "salesforce"]), default="hubspot", show_default=True, help="Which org."
)
def dump_command(url: str, object_type: str | None, crm: str) -> None:
    """Print the sandbox's state (HubSpot: records, associations, owners, sequences; Salesforce: sObjects,
    custom fields, settings) as JSON, from the HubSpot (http) address."""
    import requests

    params = {"object": object_type} if object_type else {}
    path = "/_sandbox/salesforce/state" if crm == "salesforce" else "/_sandbox/state"
    try:
        response = requests.get(
            f"{url.rstrip('/')}{path}",
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
