"""The demo walkthrough: the whole loop end to end on embedded defaults, over real HTTP.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table
from rq import SimpleWorker
from segment.analytics import Client
from werkzeug.serving import make_server

from connector.config.settings import Settings, load_settings
from connector.demo.crm import start_demo_crm
from connector.demo.data import ACCOUNTS, NAMED_ACCOUNTS, demo_calls
from connector.health.accounts import account_summary
from connector.jobs.runtime import Runtime, build_runtime, install
from connector.jobs.work_queue import InProcessWorkQueue
from connector.measure.suggest import suggest_config
from connector.store.db import upgrade
from connector.store.status import storage_status
from scoring.labels import trigger_label
from scoring.rules import TIER_LABELS
from webhooks.app import create_app
from webhooks.registry import SOURCES
from webhooks.sources import load_fixture

SHOWN_SUGGESTIONS = ("meaningful", "key_features", "core_feature", "setup_completed", "milestones")
"""The keys of the proposal the demo prints (the file holds them all)."""
DEMO_WRITE_KEY = "demo-write-key"
DEMO_CONSOLE_URL = "http://127.0.0.1:8000"
"""Where `healthloop demo --serve` (and `healthloop serve`) put the console: the CRM's links point there."""
DEMO_SECRETS = {
    "zendesk_webhook_secret": "demo-zendesk-secret",
    "intercom_client_secret": "demo-intercom-secret",
    "freshdesk_webhook_secret": "demo-freshdesk-secret",
    "hubspot_client_secret": "demo-hubspot-secret",
    "webhook_secret": "demo-webhook-secret",
}


def demo_settings(database_url: str, crm: dict[str, Any] | None = None) -> Settings:
    """Demo-only secrets and write key (and the local CRM sandbox); the rest comes from the environment."""
    return load_settings(
        database_url=database_url, write_keys=DEMO_WRITE_KEY, **DEMO_SECRETS, **(crm or {"crm": "none"})
    )


@contextmanager
def serve_in_thread(rt: Runtime, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the real app over HTTP from a background thread; yields its base URL."""

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

    if isinstance(rt.queue, InProcessWorkQueue):
        rt.queue.join()
        return

    SimpleWorker([rt.queue.queue], connection=rt.redis).work(burst=True, logging_level="WARNING")  # type: ignore[attr-defined]


def _print_accounts(rt: Runtime, console: Console) -> None:

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
                ", ".join(trigger_label(t["id"]) for t in summary["open_triggers"]) or "-",
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
            f"({intervention['priority']} priority, due {intervention['due_at'][:16].replace('T', ' ')} UTC)"
        )
        for trigger in triggers[:2]:
            console.print(f"  - {trigger['explanation']}")


def _print_suggestion(rt: Runtime, console: Console) -> None:
    """What `healthloop config suggest` reads from the demo's own events (its file is for an admin to edit)."""
    with rt.sessions() as session:
        proposal = suggest_config(session, rt.config.scoring)
    console.print("[bold]`healthloop config suggest` on this data[/bold] (the live config is unchanged):")
    for line in proposal.summary:
        console.print(f"  {line}")
    for suggested in (*proposal.events, proposal.milestones):
        if suggested.key not in SHOWN_SUGGESTIONS:
            continue
        if suggested.picks is None:
            console.print(f"  {suggested.key}: the default stays ({suggested.reason})")
            continue
        names = [getattr(pick, "event", None) or pick.value for pick in suggested.picks]
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        console.print(f"  {suggested.key}: {shown or 'none'}" + (f" ({suggested.reason})" if not names else ""))
        if suggested.picks:
            console.print(f"    e.g. {suggested.picks[0].evidence}")


def run_demo(database_url: str | None, keep: bool, crm: str) -> None:
    """Run the loop end to end on local defaults (SQLite, in-process queue without Redis, CRM sandbox)."""

    console = Console(width=max(120, Console().width))
    for noisy in ("werkzeug", "alembic", "segment"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    database_url = database_url or os.environ.get("HEALTHLOOP_DATABASE_URL") or "sqlite:///healthloop-demo.db"
    if database_url == "sqlite:///healthloop-demo.db" and not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"healthloop-demo.db{suffix}").unlink(missing_ok=True)
    now = datetime.now(UTC)
    demo_crm = start_demo_crm(crm)
    settings = demo_settings(database_url, demo_crm.settings() if demo_crm else None)
    if settings.console_url is None:  # CRM records and tasks link to the console `demo --serve` serves
        settings = settings.model_copy(update={"console_url": DEMO_CONSOLE_URL})
    rt = install(build_runtime(settings, queue_mode="auto", queue_name="healthloop-demo"))
    console.print(
        f"[bold]healthloop demo[/bold]: database {rt.engine.url.render_as_string(hide_password=True)}, "
        f"queue: {rt.queue.name}" + (" (Redis not reachable; fine for a demo)" if rt.redis is None else "")
    )
    upgrade(rt.engine)
    if demo_crm is not None:
        rt.config = demo_crm.config()
        provisioned = rt.crm_adapter().provision(rt.config.crm.mapping(rt.settings.crm))
        seeded = demo_crm.seed(now)
        console.print(
            f"CRM: local {demo_crm.label} sandbox at {demo_crm.url()}; `crm provision` created "
            f"{len(provisioned.created)} fields; seeded {seeded} accounts with a contact and a renewal each "
            "(owners Ana and Ben)"
        )
    calls = list(demo_calls(now))
    if isinstance(rt.queue, InProcessWorkQueue):
        rt.queue.hold()  # like the Redis path: the worker runs once the history has arrived
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
    if demo_crm is not None:
        demo_crm.show(rt, console)
        demo_crm.measure(rt, console, datetime.now(UTC))
    with rt.sessions() as session:
        status = storage_status(session)
    console.print(
        f"stored: {status['events']:,} events, {status['accounts']} accounts, {status['users']} users, "
        f"{status['tickets']} tickets ({status['unmatched_tickets']} unmatched, kept for later matching); "
        f"waiting work: {status['outbox']['account_days']} account-days"
    )
    _print_suggestion(rt, console)
    console.print(f"next: HEALTHLOOP_DATABASE_URL={database_url} healthloop accounts show acct_globex")
    suggest = f"HEALTHLOOP_DATABASE_URL={database_url} healthloop config suggest --out suggested.yaml"
    console.print(f"      {suggest}   # the proposal above, commented, for you to edit")
    console.print("console: healthloop demo --serve   # this demo, then the web console on its data until Ctrl-C")
    serve = f"HEALTHLOOP_DATABASE_URL={database_url} HEALTHLOOP_ADMIN_TOKEN=choose-a-token healthloop serve"
    console.print(f"      {serve}")
    console.print("      # (or that), then open http://127.0.0.1:8000/console and sign in with the token")
    if demo_crm is not None:
        console.print("      healthloop sandbox --port 8765   # a sandbox of your own (HubSpot http, Salesforce https)")
        demo_crm.stop()
    rt.close()
