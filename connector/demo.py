"""`healthloop demo`: the whole loop end to end on embedded defaults, over real HTTP.

It serves the real app on a local port, sends a synthetic book of business through the
official Segment Python SDK, posts signed ticket webhooks from every supported source,
retries a delivery to show it is stored once, waits for the queue, and prints what landed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import requests
from rich.console import Console
from rich.table import Table
from werkzeug.serving import make_server

from connector.config import Config
from connector.crm_config import CrmConfig, SequenceTarget
from connector.demo_data import ACCOUNTS, NAMED_ACCOUNTS, demo_calls
from connector.runtime import Runtime, build_runtime, install
from connector.settings import Settings, load_settings
from crm_adapters.sandbox import SandboxServer
from scoring.rules import TIER_LABELS

DEMO_WRITE_KEY = "demo-write-key"
DEMO_SANDBOX_TOKEN = "demo-sandbox-token"
UNMATCHED_ACCOUNT = "acct_wonka"
"""Not in the demo CRM: the sync reports it instead of failing."""
DEMO_SECRETS = {
    "zendesk_webhook_secret": "demo-zendesk-secret",
    "intercom_client_secret": "demo-intercom-secret",
    "freshdesk_webhook_secret": "demo-freshdesk-secret",
    "hubspot_client_secret": "demo-hubspot-secret",
    "webhook_secret": "demo-webhook-secret",
}


def demo_settings(database_url: str, sandbox_url: str | None = None) -> Settings:
    """Demo-only secrets and write key (and the local CRM sandbox); the rest comes from the environment."""
    crm: dict[str, Any] = {"crm": "none"}
    if sandbox_url:
        crm = {"crm": "hubspot", "hubspot_access_token": DEMO_SANDBOX_TOKEN, "hubspot_base_url": sandbox_url}
    return load_settings(database_url=database_url, write_keys=DEMO_WRITE_KEY, **DEMO_SECRETS, **crm)


def seed_sandbox(sandbox: SandboxServer, now: datetime) -> dict[str, str]:
    """The CRM side of the book of business: owners' companies, a contact each, a renewal deal each.

    One account is left out on purpose, to show how a sync reports accounts without a record.
    Returns account id -> company id.
    """
    owners = sandbox.state.dump()["owners"]
    in_crm = [a for a in ACCOUNTS if a.account_id != UNMATCHED_ACCOUNT]
    companies, contacts, deals = [], [], []
    for index, account in enumerate(in_crm):
        owner = owners[index % 2]["id"]  # two CSMs share the book
        companies.append(
            {
                "name": account.name,
                "domain": account.domain,
                "healthloop_account_id": account.account_id,
                "hubspot_owner_id": owner,
            }
        )
        contacts.append(
            {
                "properties": {
                    "email": f"champion@{account.domain}",
                    "firstname": "Champion",
                    "lastname": account.name,
                },
                "associate": {"companies": [index]},
            }
        )
        renewal = (now + timedelta(days=30 + account.seats)).replace(hour=0, minute=0, second=0, microsecond=0)
        deals.append(
            {
                "properties": {
                    "dealname": f"{account.name} renewal",
                    "dealtype": "existingbusiness",
                    "pipeline": "default",
                    "dealstage": "appointmentscheduled",
                    "amount": str(account.seats * 12 * 45),
                    "closedate": renewal.isoformat(),
                    "hubspot_owner_id": owner,
                },
                "associate": {"companies": [index]},
            }
        )
    ids = sandbox.seed({"companies": companies, "contacts": contacts, "deals": deals})
    return {a.account_id: company for a, company in zip(in_crm, ids["companies"], strict=True)}


def demo_config(sandbox: SandboxServer) -> Config:
    """The demo's RevOps choices: Carla (VP) takes escalations, a sequence for email_sequence plays,
    and syncs that follow rescores at once (nothing to wait for in a demo)."""
    state = sandbox.state.dump()
    vp = next(o for o in state["owners"] if o["email"].startswith("carla"))
    nudge = next(s for s in state["sequences"] if s["name"] == "Onboarding nudge")
    sender = sandbox.state.owner_by_user(str(nudge["userId"]))
    sequence = SequenceTarget(
        sequence_id=str(nudge["id"]), user_id=str(nudge["userId"]), sender_email=sender["email"] if sender else None
    )
    crm = CrmConfig(
        sync_delay_seconds=0, owners={"escalation": vp["id"], "executive": vp["id"]}, sequences={"default": sequence}
    )
    return Config(crm=crm)


@contextmanager
def serve_in_thread(rt: Runtime, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the real app over HTTP from a background thread; yields its base URL."""
    from webhooks.app import create_app

    server = make_server(host, port, create_app(rt), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="healthloop-demo-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def send_product_events(base_url: str, calls: list[dict[str, Any]]) -> list[str]:
    """Send calls through segment-analytics-python exactly as a customer's backend would."""
    from segment.analytics import Client

    errors: list[str] = []
    client = Client(
        DEMO_WRITE_KEY,
        host=base_url,
        gzip=True,
        upload_size=100,
        max_queue_size=len(calls) + 10,
        on_error=lambda exc, batch: errors.append(f"{exc} ({len(batch)} messages)"),
    )
    for call in calls:
        common = {"user_id": call["user_id"], "timestamp": call["timestamp"]}
        if call["type"] == "identify":
            client.identify(traits=call["traits"], **common)
        elif call["type"] == "group":
            client.group(group_id=call["group_id"], traits=call["traits"], **common)
        elif call["type"] == "track":
            client.track(event=call["event"], context={"groupId": call["group_id"]}, **common)
        else:
            client.page(name=call["name"], context={"groupId": call["group_id"]}, **common)
    client.shutdown()
    return errors


def send_ticket_webhooks(base_url: str) -> list[tuple[str, str, int, dict[str, Any]]]:
    """Post every source's sample payloads, signed as the vendor would sign them."""
    from webhooks.registry import SOURCES
    from webhooks.sources import load_fixture

    results = []
    for name, source in SOURCES.items():
        secret = DEMO_SECRETS[source.secret_setting]
        for path in sorted(source.fixtures.glob("*.json")) if source.fixtures else []:
            body = load_fixture(path)
            url = f"{base_url}/webhooks/{name}"
            headers = {
                "Content-Type": "application/json",
                **source.sign(body, secret, url, datetime.now(UTC)),
            }
            response = requests.post(url, data=body, headers=headers, timeout=10)
            results.append((name, path.stem, response.status_code, response.json()))
    return results


def _retry_once(base_url: str) -> dict[str, Any]:
    """Deliver the same batch twice, as an SDK retry after a lost response would."""
    message = {
        "type": "track",
        "userId": "acct_acme_u00",
        "event": "Report Created",
        "messageId": "demo-retry-1",
        "context": {"groupId": "acct_acme"},
    }
    for _ in range(2):
        response = requests.post(
            f"{base_url}/v1/batch", json={"batch": [message]}, auth=(DEMO_WRITE_KEY, ""), timeout=10
        )
    return response.json()


def _wait_for_queue(rt: Runtime) -> None:
    from connector.work_queue import InProcessWorkQueue

    if isinstance(rt.queue, InProcessWorkQueue):
        rt.queue.join()
        return
    from rq import SimpleWorker

    SimpleWorker([rt.queue.queue], connection=rt.redis).work(burst=True, logging_level="WARNING")  # type: ignore[attr-defined]


def _print_accounts(rt: Runtime, console: Console) -> None:
    from connector.accounts import account_summary

    table = Table(
        "account",
        "seats",
        "users",
        "events",
        "events, 7 d",
        "peak DAU, 7 d",
        "tickets (open)",
        "story",
        title="what landed",
        title_justify="left",
    )
    with rt.sessions() as session:
        for account in NAMED_ACCOUNTS:
            summary = account_summary(session, account.account_id)
            if summary is None:
                continue
            week = summary["recent_days"]
            table.add_row(
                account.account_id.removeprefix("acct_"),
                str(summary["licensed_seats"]),
                str(len(summary["users"])),
                f"{summary['event_count']:,}",
                f"{sum(d['events'] for d in week):,}",
                str(max((d["active_users"] for d in week), default=0)),
                f"{summary['tickets']['total']} ({summary['tickets']['open']})",
                account.story,
            )
    console.print(table)
    _print_health(rt, console)


def _print_health(rt: Runtime, console: Console) -> None:
    from connector.accounts import account_summary

    table = Table(
        "account",
        "score",
        "tier",
        "7-day trend",
        "open triggers",
        "interventions",
        "why",
        title="health (scored by the rescore jobs)",
        title_justify="left",
    )
    example = None
    with rt.sessions() as session:
        for account in ACCOUNTS:
            summary = account_summary(session, account.account_id)
            if summary is None or summary["score"] is None:
                continue
            trend = summary["trend"] or {}
            delta = "" if trend.get("delta") is None else f"{trend['delta']:+d} ({trend['direction']})"
            table.add_row(
                account.account_id.removeprefix("acct_"),
                str(summary["score"]),
                TIER_LABELS.get(summary["tier"], summary["tier"]),
                delta,
                ", ".join(t["id"] for t in summary["open_triggers"]) or "-",
                str(len(summary["interventions"])),
                summary["reason"] or "",
            )
            if example is None and summary["interventions"]:
                example = (account.account_id, summary["interventions"][0], summary["open_triggers"])
    console.print(table)
    if example:
        account_id, intervention, triggers = example
        console.print(
            f"[bold]what a CSM would get for {account_id}[/bold]: {intervention['subject']} "
            f"(owner {intervention['owner']}, due {intervention['due_at']}, via {', '.join(intervention['channels'])})"
        )
        for trigger in triggers[:2]:
            console.print(f"  - {trigger['explanation']}")


def _print_crm(rt: Runtime, sandbox: SandboxServer, console: Console) -> None:
    """What a CSM sees in HubSpot: the companies' health fields, the tasks in their queue, notes, enrollments."""
    from connector.crm_sync import CrmSync

    state = sandbox.state.dump()
    owners = {o["id"]: f"{o['firstName']} {o['lastName']}" for o in state["owners"]}
    companies = [c for c in state["objects"]["companies"] if not c["archived"]]
    table = Table(
        "company", "owner", "healthloop_score", "tier", "trend", "open triggers",
        title=f"in the CRM sandbox ({sandbox.url}): company fields written by the sync jobs", title_justify="left",
    )  # fmt: skip
    for company in sorted(companies, key=lambda c: int(c["properties"].get("healthloop_score") or 101)):
        p = company["properties"]
        table.add_row(
            p.get("name", ""),
            owners.get(p.get("hubspot_owner_id", ""), "-"),
            p.get("healthloop_score", "-"),
            TIER_LABELS.get(p.get("healthloop_tier", ""), "-"),
            f"{p.get('healthloop_trend') or '-'} ({p.get('healthloop_trend_delta') or '±0'})",
            (p.get("healthloop_open_triggers") or "-").replace(";", ", "),
        )
    console.print(table)
    tasks = [t for t in state["objects"]["tasks"] if not t["archived"]]
    task_table = Table(
        "due", "priority", "type", "owner", "subject", title=f"{len(tasks)} tasks in the CSMs' queues (first 12)",
        title_justify="left",
    )  # fmt: skip
    for task in sorted(tasks, key=lambda t: t["properties"].get("hs_timestamp", ""))[:12]:
        p = task["properties"]
        task_table.add_row(
            p.get("hs_timestamp", "")[:16].replace("T", " "),
            p.get("hs_task_priority", ""),
            p.get("hs_task_type", ""),
            owners.get(p.get("hubspot_owner_id", ""), "-"),
            p.get("hs_task_subject", ""),
        )
    console.print(task_table)
    if tasks:
        body = sorted(tasks, key=lambda t: t["properties"].get("hs_timestamp", ""))[0]["properties"]["hs_task_body"]
        console.print("[bold]the first task's body (the story behind the alert):[/bold]")
        console.print("  " + body.replace("\n", "\n  "))
    notes = [n for n in state["objects"]["notes"] if not n["archived"]]
    console.print(
        f"{len(notes)} tier-change note(s), {len(state['enrollments'])} sequence enrollment(s) "
        f"({', '.join(sorted({e.get('sequenceName', str(e.get('sequenceId'))) for e in state['enrollments']})) or '-'})"
    )
    # A second pass with nothing new: the diff finds nothing to write.
    report = CrmSync(rt.sessions, rt.crm_adapter(), rt.config.crm).sync(None)
    counts = sandbox.request_counts()
    unmatched = ", ".join(report.unmatched) or "none"
    console.print(
        f"sync again with nothing changed: {report.written} record(s) written, {report.unchanged} unchanged, "
        f"{report.usage.write_calls} write call(s) by this sync; accounts without a CRM record: {unmatched}"
    )
    console.print(f"the sandbox answered {counts.get('total', 0)} HubSpot API requests in all")


@click.command("demo")
@click.option("--database-url", default=None, help="Default: HEALTHLOOP_DATABASE_URL, else ./healthloop-demo.db.")
@click.option("--keep", is_flag=True, help="Keep an existing demo SQLite file instead of starting fresh.")
@click.option(
    "--crm",
    type=click.Choice(["hubspot", "none"]),
    default="hubspot",
    show_default=True,
    help="hubspot: write to the local HubSpot sandbox this demo starts; none: score only.",
)
def demo_command(database_url: str | None, keep: bool, crm: str) -> None:
    """Run the loop end to end on local defaults (SQLite, in-process queue without Redis, CRM sandbox)."""
    from connector.db import upgrade
    from connector.status import storage_status

    console = Console(width=max(120, Console().width))
    for noisy in ("werkzeug", "alembic", "segment"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    database_url = database_url or os.environ.get("HEALTHLOOP_DATABASE_URL") or "sqlite:///healthloop-demo.db"
    if database_url == "sqlite:///healthloop-demo.db" and not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"healthloop-demo.db{suffix}").unlink(missing_ok=True)
    now = datetime.now(UTC)
    sandbox = SandboxServer(DEMO_SANDBOX_TOKEN).start() if crm == "hubspot" else None
    settings = demo_settings(database_url, sandbox.url if sandbox else None)
    rt = install(build_runtime(settings, queue_mode="auto", queue_name="healthloop-demo"))
    console.print(
        f"[bold]healthloop demo[/bold]: database {rt.engine.url.render_as_string(hide_password=True)}, "
        f"queue: {rt.queue.name}" + (" (Redis not reachable; fine for a demo)" if rt.redis is None else "")
    )
    upgrade(rt.engine)
    if sandbox is not None:
        rt.config = demo_config(sandbox)
        provisioned = rt.crm_adapter().provision(rt.config.crm.mapping(rt.settings.crm))
        seeded = seed_sandbox(sandbox, now)
        console.print(
            f"CRM: local HubSpot sandbox at {sandbox.url}; `crm provision` created {len(provisioned.created)} "
            f"properties in group {rt.config.crm.group!r}; seeded {len(seeded)} companies with a contact and a "
            "renewal deal each (owners Ana and Ben)"
        )
    calls = list(demo_calls(now))
    with serve_in_thread(rt) as base_url:
        console.print(f"serving on {base_url}; sending {len(calls):,} calls through segment-analytics-python...")
        started = time.perf_counter()
        errors = send_product_events(base_url, calls)
        elapsed = time.perf_counter() - started
        console.print(
            f"  delivered in {elapsed:.1f} s ({len(calls) / elapsed:,.0f} calls/s)"
            + (f", [red]{len(errors)} failed batches: {errors[0]}[/red]" if errors else "")
        )
        tickets = send_ticket_webhooks(base_url)
        console.print(f"posted {len(tickets)} signed ticket webhooks:")
        for source, sample, status, body in tickets:
            outcome = ", ".join(body.get("outcomes", [])) or body.get("error", "")
            console.print(f"  {source:<10} {sample:<28} HTTP {status}  {outcome}")
        retry = _retry_once(base_url)
        console.print(
            f"same batch delivered twice: second answer stored={retry['stored']}, "
            f"duplicates={retry['duplicates']} (exactly once)"
        )
        _wait_for_queue(rt)
    _print_accounts(rt, console)
    if sandbox is not None:
        _print_crm(rt, sandbox, console)
    with rt.sessions() as session:
        status = storage_status(session)
    console.print(
        f"stored: {status['events']:,} events, {status['accounts']} accounts, {status['users']} users, "
        f"{status['tickets']} tickets ({status['unmatched_tickets']} unmatched, kept for later matching); "
        f"waiting work: {status['outbox']['account_days']} account-days"
    )
    console.print(f"next: HEALTHLOOP_DATABASE_URL={database_url} healthloop accounts show acct_globex")
    if sandbox is not None:
        console.print("      healthloop sandbox --port 8765   # a sandbox of your own; then HEALTHLOOP_CRM=hubspot ...")
        sandbox.stop()
    rt.close()
