"""Chaos, bounded: a known set of events and tickets goes in while the worker is SIGKILLed, Redis comes
back empty and the CRM answers 5xx and 429. Then: every event and ticket stored exactly once, every
account scored and its score in the CRM, no duplicate task.

Everything is a real process on this machine: its own Redis, `healthloop serve` (gunicorn),
`healthloop worker` and `healthloop sandbox` (HubSpot), on PostgreSQL. Runs in about a minute.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import requests
from sqlalchemy import func, select

from connector.store.db import make_sessionmaker
from connector.store.models import AccountScore, DirtyAccountDay, Event, Intervention, Ticket
from tests.conftest import _empty, _engine_for
from tests.integration.processes import Healthloop, RedisServer, free_port, run_cli, wait_for, wait_http
from tests.integration.segment_calls import history_batch
from webhooks.registry import SOURCES

pytestmark = pytest.mark.integration

ACCOUNTS = [f"acct_chaos_{n:02d}" for n in range(10)]
WRITE_KEY = "chaos-write-key"
WEBHOOK_SECRET = "chaos-webhook-secret"


def _batches() -> list[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    for n, account in enumerate(ACCOUNTS):
        # Some busy, some fading, some gone quiet: a spread of tiers, so some accounts get tasks.
        days = range(0, 30, 2) if n % 3 == 0 else range(10 + n, 40, 3) if n % 3 == 1 else range(35, 60, 5)
        calls += history_batch(account, seats=5 + 10 * (n % 4), active_days=days, users=3)
    return [calls[start : start + 200] for start in range(0, len(calls), 200)]


def _tickets() -> list[bytes]:
    now = datetime.now(UTC).isoformat()
    return [
        orjson.dumps(
            {
                "id": f"chaos-{account}-{t}",
                "type": "ticket.created",
                "occurred_at": now,
                "ticket": {
                    "id": f"T-{account}-{t}",
                    "account_id": account,
                    "subject": "Export is broken",
                    "category": "exports",
                    "status": "open",
                    "created_at": now,
                },
            }
        )
        for account in ACCOUNTS
        for t in range(3)
    ]


class Sender:
    """What SDKs and support tools do: post, and retry a refused or failed delivery later."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.auth = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
        self.failed: list[tuple[str, Any]] = []

    def batch(self, calls: list[dict[str, Any]]) -> None:
        try:
            response = self.session.post(f"{self.base}/v1/batch", json={"batch": calls}, headers=self.auth, timeout=15)
            assert response.status_code < 500 or response.status_code == 503, response.text
            assert not response.json().get("rejected"), response.text
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        if not ok:
            self.failed.append(("batch", calls))

    def ticket(self, body: bytes) -> None:
        source = SOURCES["tickets"]
        url = f"{self.base}/webhooks/tickets"
        headers = {"Content-Type": "application/json", **source.sign(body, WEBHOOK_SECRET, url, datetime.now(UTC))}
        try:
            ok = self.session.post(url, data=body, headers=headers, timeout=15).status_code == 200
        except requests.RequestException:
            ok = False
        if not ok:
            self.failed.append(("ticket", body))

    def send(self, batches: list[list[dict[str, Any]]], tickets: list[bytes]) -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(self.batch, batches))
            list(pool.map(self.ticket, tickets))

    def retry_failed(self) -> None:
        pending, self.failed = self.failed, []
        for kind, payload in pending:
            self.batch(payload) if kind == "batch" else self.ticket(payload)
        assert not self.failed, f"{len(self.failed)} deliveries still refused after the faults ended"


class Sandbox:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body, headers=self.headers, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def get(self, path: str) -> Any:
        return requests.get(f"{self.url}/_sandbox/{path}", headers=self.headers, timeout=10).json()

    def objects(self, kind: str) -> list[dict[str, Any]]:
        params = {} if kind == "owners" else {"object": kind}
        response = requests.get(f"{self.url}/_sandbox/state", params=params, headers=self.headers, timeout=10)
        return response.json()[kind]  # type: ignore[no-any-return]


def test_events_and_tickets_survive_a_killed_worker_an_emptied_redis_and_crm_faults(tmp_path, postgres_url):
    started = time.monotonic()
    _empty(_engine_for(postgres_url))
    token = f"chaos-{secrets.token_hex(6)}"
    redis = RedisServer(tmp_path).start()
    port, hubspot_port = free_port(), free_port()
    config = tmp_path / "healthloop.yaml"
    config.write_text("scoring:\n  playbook:\n    control_share: 0\ncrm:\n  sync_delay_seconds: 0\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "HEALTHLOOP_DATABASE_URL": postgres_url,
        "HEALTHLOOP_REDIS_URL": redis.url,
        "HEALTHLOOP_CONFIG": str(config),
        "HEALTHLOOP_WRITE_KEYS": WRITE_KEY,
        "HEALTHLOOP_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HEALTHLOOP_CRM": "hubspot",
        "HUBSPOT_ACCESS_TOKEN": token,
        "HEALTHLOOP_SANDBOX_TOKEN": token,
        "HUBSPOT_BASE_URL": f"http://127.0.0.1:{hubspot_port}",
        "HEALTHLOOP_SWEEP_INTERVAL_SECONDS": "5",
        "HEALTHLOOP_SWEEP_GRACE_SECONDS": "3",
        "HEALTHLOOP_METRICS_DIR": str(tmp_path / "metrics"),
        "HEALTHLOOP_WORKER_HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
    }
    sandbox_process = Healthloop(
        ["sandbox", "--port", str(hubspot_port), "--tls-port", str(free_port()), "--tls-dir", str(tmp_path / "tls")],
        env, tmp_path / "sandbox.log", tmp_path,
    ).start()  # fmt: skip
    serve = Healthloop(
        ["serve", "--port", str(port), "--workers", "2", "--threads", "2"], env, tmp_path / "serve.log", tmp_path
    )
    worker = Healthloop(["worker"], env, tmp_path / "worker.log", tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{env['HUBSPOT_BASE_URL']}/_sandbox/state?object=owners", 30)
        sandbox = Sandbox(env["HUBSPOT_BASE_URL"], token)
        assert run_cli(["crm", "provision"], env, tmp_path).returncode == 0
        owner = sandbox.objects("owners")[0]["id"]
        sandbox.post(
            "seed",
            {"companies": [{"name": a, "healthloop_account_id": a, "hubspot_owner_id": owner} for a in ACCOUNTS]},
        )
        serve.start()
        worker.start()
        wait_http(f"{base}/healthz")
        batches, tickets = _batches(), _tickets()
        thirds = [
            slice(0, len(batches) // 3),
            slice(len(batches) // 3, 2 * len(batches) // 3),
            slice(2 * len(batches) // 3, None),
        ]
        ticket_thirds = [tickets[0::3], tickets[1::3], tickets[2::3]]
        sender = Sender(base)

        # The CRM misbehaves from the start: the next 4 calls, then 40%, answer 5xx; a tiny rate limit adds 429s.
        sandbox.post("faults", {"error_rate": 0.4, "burst": 4})
        sandbox.post("rate_limit", {"max_requests": 3, "interval_ms": 3000})
        sender.send(batches[thirds[0]], ticket_thirds[0])
        time.sleep(3)
        worker.kill()  # SIGKILL, mid-work
        sender.send(batches[thirds[1]], ticket_thirds[1])
        worker.start()
        time.sleep(3)
        redis.stop()
        sender.send(batches[thirds[2]], ticket_thirds[2])  # stored without Redis
        redis.start()  # empty: no job, no marker, no pending sync survives
        sender.send(batches, tickets)  # every delivery again, as retrying SDKs would
        time.sleep(6)
        faults = sandbox.get("requests")
        sandbox.post("faults", {"error_rate": 0.0})
        sandbox.post("rate_limit", {"max_requests": 100, "interval_ms": 10000})
        sender.retry_failed()
        assert faults["server_errors"] > 0 and faults["rate_limited"] > 0, faults

        sessions = make_sessionmaker(_engine_for(postgres_url))
        message_ids = {call["messageId"] for batch in batches for call in batch if "messageId" in call}
        group_calls = sum(1 for batch in batches for call in batch if "messageId" not in call)

        def settled() -> bool:
            with sessions() as session:
                waiting = session.scalar(select(func.count()).select_from(DirtyAccountDay))
                unsynced = session.scalar(
                    select(func.count()).where(Intervention.crm_status.is_(None), Intervention.control.is_(False))
                )
                latest = dict(
                    session.execute(
                        select(AccountScore.account_id, AccountScore.score).where(
                            AccountScore.day == select(func.max(AccountScore.day)).scalar_subquery()
                        )
                    ).all()
                )
            if waiting or unsynced or set(latest) != set(ACCOUNTS):
                return False
            companies = {
                c["properties"]["healthloop_account_id"]: c["properties"] for c in sandbox.objects("companies")
            }
            return all(companies[a].get("healthloop_score") == str(latest[a]) for a in ACCOUNTS)

        wait_for(settled, 90, "every account scored and its score in the CRM", interval=1)
        with sessions() as session:
            stored_ids = session.scalars(select(Event.message_id)).all()
            tickets_stored = session.scalar(select(func.count()).select_from(Ticket))
            interventions = session.scalars(select(Intervention)).all()
        assert len(stored_ids) == len(set(stored_ids)) == len(message_ids) + group_calls
        assert message_ids <= set(stored_ids)
        assert tickets_stored == len(tickets)
        tasks = [t for t in sandbox.objects("tasks") if not t.get("archived")]
        keys = Counter(t["properties"].get("healthloop_intervention_key") for t in tasks)
        assert not [key for key, count in keys.items() if count > 1], "duplicate tasks"
        assert interventions, "the data should open at least one intervention"
        created = [i for i in interventions if i.crm_status == "created"]
        assert len(tasks) == len(created) == len({i.crm_task_id for i in created})
        assert worker.alive() and serve.alive()
        assert time.monotonic() - started < 150
    finally:
        for process in (worker, serve, sandbox_process):
            process.stop()
        redis.stop()
