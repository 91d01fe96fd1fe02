"""No secret in anything the processes write: a full flow with every secret set to a unique random value.

`healthloop serve` (gunicorn) and `healthloop worker` run as real processes on PostgreSQL and a private
Redis (both with passwords), the sandbox plays HubSpot and Salesforce, a local receiver plays Slack.
The flow: SDK ingest (right and wrong write keys, an admin token sent as a Basic user), every webhook
source's fixtures signed, the admin API and /metrics, a CRM sync to HubSpot by the worker and to
Salesforce by the CLI, Slack alerts, and the CLI commands an operator runs. Then every byte the
processes wrote (app, gunicorn access and error logs, worker, CLI) is searched for every secret.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
import requests
from segment.analytics import Client

from crm_adapters.sandbox import SalesforceCredentials, SandboxServer
from tests.conftest import _engine_for
from tests.integration.processes import Healthloop, RedisServer, free_port, run_cli, wait_for, wait_http
from tests.integration.segment_calls import history_batch
from webhooks.registry import SOURCES
from webhooks.sources import load_fixture

pytestmark = pytest.mark.integration

ACCOUNTS = ["acct_fading", "acct_gone", "acct_busy"]


def _secret(name: str) -> str:
    return f"{name}{secrets.token_hex(12)}"


class SlackReceiver:
    """A local Slack incoming webhook: accepts POSTs on one secret path, counts them."""

    def __init__(self, path: str) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 200 if self.path == path else 404
                if status == 200:
                    received.append(orjson.loads(body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def secret_values() -> dict[str, str]:
    return {
        name: _secret(name.lower().replace("_", "-") + "-")
        for name in (
            "HEALTHLOOP_WRITE_KEYS",
            "ZENDESK_WEBHOOK_SECRET",
            "INTERCOM_CLIENT_SECRET",
            "FRESHDESK_WEBHOOK_SECRET",
            "HUBSPOT_CLIENT_SECRET",
            "HEALTHLOOP_WEBHOOK_SECRET",
            "HEALTHLOOP_ADMIN_TOKEN",
            "HUBSPOT_ACCESS_TOKEN",
            "SALESFORCE_PASSWORD",
            "SALESFORCE_SECURITY_TOKEN",
            "SALESFORCE_CONSUMER_SECRET",
            "SLACK_PATH",
            "DATABASE_PASSWORD",
            "REDIS_PASSWORD",
            "WRONG_WRITE_KEY",
        )
    }


@pytest.fixture
def sandbox(secret_values: dict[str, str]) -> Iterator[SandboxServer]:
    credentials = SalesforceCredentials(
        username="scan@example.com",
        password=secret_values["SALESFORCE_PASSWORD"],
        security_token=secret_values["SALESFORCE_SECURITY_TOKEN"],
        consumer_key="scan-consumer-key",
        consumer_secret=secret_values["SALESFORCE_CONSUMER_SECRET"],
    )
    with SandboxServer(secret_values["HUBSPOT_ACCESS_TOKEN"], tls=True, salesforce_credentials=credentials) as server:
        yield server


def _seed(sandbox: SandboxServer) -> None:
    owner = sandbox.state.dump()["owners"][0]["id"]
    sandbox.seed(
        {
            "companies": [
                {"name": a, "domain": f"{a}.example.com", "healthloop_account_id": a, "hubspot_owner_id": owner}
                for a in ACCOUNTS
            ]
        }
    )


def _seed_salesforce(sandbox: SandboxServer) -> None:
    sandbox.seed_salesforce(
        {
            "accounts": [
                {"Name": a, "Website": f"https://{a}.example.com", "Healthloop_Account_Id__c": a} for a in ACCOUNTS
            ]
        }
    )


SERIES = (
    'healthloop_events_total{outcome="stored"',
    'healthloop_events_total{outcome="rejected",reason="invalid_write_key"}',
    "healthloop_webhook_deliveries_total{",
    "healthloop_request_duration_seconds_bucket{",
    "healthloop_queue_depth{",
    "healthloop_queue_oldest_job_age_seconds{",
    'healthloop_job_duration_seconds_count{job="rescore_accounts",outcome="ok"}',
    'healthloop_job_duration_seconds_count{job="sync_pending",outcome="ok"}',
    "healthloop_rescore_lag_seconds ",
    'healthloop_crm_calls_total{crm="hubspot"',
    'healthloop_crm_quota_remaining{crm="hubspot",window="interval"}',
    'healthloop_event_to_crm_seconds_count{crm="hubspot"}',
    "healthloop_interventions_total{trigger=",
    'healthloop_unmatched_accounts{crm="hubspot"}',
    "healthloop_unmatched_tickets ",
    'healthloop_slack_alerts_total{outcome="sent"}',
)


def scrape(base: str, admin: dict[str, str]) -> str:
    return requests.get(f"{base}/metrics", headers=admin, timeout=10).text


def _basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


def test_no_secret_appears_in_anything_the_processes_write(tmp_path, postgres_url, secret_values, sandbox):
    values = secret_values
    redis = RedisServer(tmp_path, password=values["REDIS_PASSWORD"]).start()
    slack = SlackReceiver(f"/services/T0/B0/{values['SLACK_PATH']}")
    database_url = (
        _engine_for(postgres_url).url.set(password=values["DATABASE_PASSWORD"]).render_as_string(hide_password=False)
    )
    config = tmp_path / "healthloop.yaml"
    config.write_text("scoring:\n  playbook:\n    control_share: 0\ncrm:\n  sync_delay_seconds: 0\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "PATH": "/usr/bin:/bin",
        "HEALTHLOOP_DATABASE_URL": database_url,
        "HEALTHLOOP_REDIS_URL": redis.url,
        "HEALTHLOOP_CONFIG": str(config),
        "HEALTHLOOP_LOG_LEVEL": "DEBUG",
        "HEALTHLOOP_METRICS_DIR": str(tmp_path / "metrics"),
        "HEALTHLOOP_WORKER_HEARTBEAT_FILE": str(tmp_path / "heartbeat"),
        "HEALTHLOOP_SWEEP_INTERVAL_SECONDS": "5",
        "HEALTHLOOP_PUBLIC_URL": base,
        "HEALTHLOOP_WRITE_KEYS": f"other-key-{secrets.token_hex(4)},{values['HEALTHLOOP_WRITE_KEYS']}",
        "SLACK_WEBHOOK_URL": slack.url,
        "HEALTHLOOP_CRM": "hubspot",
        "HUBSPOT_BASE_URL": sandbox.url,
        **{
            name: values[name]
            for name in (
                "ZENDESK_WEBHOOK_SECRET",
                "INTERCOM_CLIENT_SECRET",
                "FRESHDESK_WEBHOOK_SECRET",
                "HUBSPOT_CLIENT_SECRET",
                "HEALTHLOOP_WEBHOOK_SECRET",
                "HEALTHLOOP_ADMIN_TOKEN",
                "HUBSPOT_ACCESS_TOKEN",
            )
        },
    }
    outputs: list[str] = []

    def cli(*args: str, extra: dict[str, str] | None = None) -> Any:
        result = run_cli(list(args), env | (extra or {}), tmp_path, timeout=120)
        outputs.append(result.stdout + result.stderr)
        return result

    assert cli("db", "upgrade").returncode == 0
    assert cli("crm", "provision").returncode == 0
    _seed(sandbox)
    serve = Healthloop(["serve", "--port", str(port), "--threads", "2"], env, tmp_path / "serve.log", tmp_path).start()
    worker = Healthloop(["worker"], env, tmp_path / "worker.log", tmp_path).start()
    try:
        wait_http(f"{base}/healthz")
        # The product's SDK, with the write key as the Basic user (what used to reach the access log).
        analytics = Client(values["HEALTHLOOP_WRITE_KEYS"], host=base, sync_mode=True, max_retries=0)
        for account in ACCOUNTS:
            analytics.group(f"{account}-u0", account, {"name": account, "seats": 40})
            analytics.track(f"{account}-u0", "Signed In", {}, context={"groupId": account})
        analytics.flush()
        history = [
            *history_batch("acct_fading", seats=40, active_days=range(20, 40, 3)),
            *history_batch("acct_gone", seats=60, active_days=range(45, 60, 4), users=2),
            *history_batch("acct_busy", seats=4, active_days=range(0, 30)),
        ]
        for start in range(0, len(history), 400):
            response = requests.post(
                f"{base}/v1/batch",
                json={"batch": history[start : start + 400]},
                headers=_basic(values["HEALTHLOOP_WRITE_KEYS"]),
                timeout=10,
            )
            assert response.status_code == 200, response.text
        # Wrong credentials of every kind, each of them a secret too.
        assert (
            requests.post(f"{base}/v1/track", json={}, headers=_basic(values["WRONG_WRITE_KEY"]), timeout=5).status_code
            == 401
        )
        assert (
            requests.post(
                f"{base}/v1/track", json={}, headers=_basic(values["HEALTHLOOP_ADMIN_TOKEN"]), timeout=5
            ).status_code
            == 401
        )
        wrong_body = {"writeKey": values["WRONG_WRITE_KEY"], "userId": "u", "event": "x"}
        assert requests.post(f"{base}/v1/track", json=wrong_body, timeout=5).status_code == 401
        query = f"{base}/v1/track?writeKey={values['HEALTHLOOP_WRITE_KEYS']}"
        assert requests.post(query, json={"userId": "u", "event": "x"}, timeout=5).status_code == 401
        # Every webhook source, signed as its vendor signs.
        for name, source in SOURCES.items():
            for fixture in sorted(source.fixtures.glob("*.json")):
                body = load_fixture(fixture)
                url = f"{base}/webhooks/{name}"
                headers = source.sign(body, values[source.secret_variable], url, datetime.now(UTC))
                response = requests.post(
                    url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=10
                )
                assert response.status_code == 200, (name, fixture.name, response.text)
            wrong = source.sign(
                b"{}", "wrong-" + values[source.secret_variable], f"{base}/webhooks/{name}", datetime.now(UTC)
            )
            requests.post(
                f"{base}/webhooks/{name}", data=b"{}", headers={"Content-Type": "application/json", **wrong}, timeout=5
            )
        admin = {"Authorization": f"Bearer {values['HEALTHLOOP_ADMIN_TOKEN']}"}
        assert requests.get(f"{base}/api/accounts/acct_busy", headers=admin, timeout=5).status_code in (200, 404)
        assert requests.get(f"{base}/metrics", headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401

        def synced() -> bool:
            companies = sandbox.state.dump("companies")["companies"]
            scored = [c for c in companies if c["properties"].get("healthloop_score")]
            return len(scored) == len(ACCOUNTS) and bool(slack.received)

        wait_for(synced, 90, "scores in the HubSpot sandbox and a Slack alert", interval=0.5)
        # The web tier's /metrics shows the worker's series too: both write to HEALTHLOOP_METRICS_DIR.
        wait_for(lambda: all(series in scrape(base, admin) for series in SERIES), 30, "every listed series")

        for args in (
            ["status"],
            ["status", "--json"],
            ["crm", "check"],
            ["accounts", "list"],
            ["sync", "--all", "--json"],
        ):
            cli(*args)
        salesforce = {
            "HEALTHLOOP_CRM": "salesforce",
            "SALESFORCE_USERNAME": "scan@example.com",
            "SALESFORCE_PASSWORD": values["SALESFORCE_PASSWORD"],
            "SALESFORCE_SECURITY_TOKEN": values["SALESFORCE_SECURITY_TOKEN"],
            "SALESFORCE_CONSUMER_KEY": "scan-consumer-key",
            "SALESFORCE_CONSUMER_SECRET": values["SALESFORCE_CONSUMER_SECRET"],
            "SALESFORCE_LOGIN_URL": sandbox.salesforce_url,
            "SALESFORCE_CA_BUNDLE": sandbox.ca_file,
        }
        assert cli("crm", "provision", extra=salesforce).returncode == 0, outputs[-1]
        _seed_salesforce(sandbox)
        report = cli("sync", "--all", "--json", extra=salesforce)
        assert orjson.loads(report.stdout)["written"] == len(ACCOUNTS), report.stdout
        cli("status", extra=salesforce)
        bad = cli("sync", "--all", extra=salesforce | {"SALESFORCE_PASSWORD": "wrong-" + values["SALESFORCE_PASSWORD"]})
        assert bad.returncode != 0
    finally:
        serve.stop()
        worker.stop()
        slack.close()
        redis.stop()
    written = "\n".join([serve.output(), worker.output(), *outputs])
    assert "gunicorn.access" in serve.output() and "Signed In" not in serve.output()
    processes = serve.output() + worker.output()
    assert "Traceback" not in processes, processes[processes.find("Traceback") - 2000 :][:4000]
    leaks = {}
    for name, value in values.items():
        forms = {value, base64.b64encode(f"{value}:".encode()).decode(), value[: len(value) // 2 + 4]}
        found = [form for form in forms if form in written]
        if found:
            leaks[name] = found
    assert not leaks, f"secrets written by the processes: {sorted(leaks)}"
    assert len(written) > 10_000, "the processes wrote almost nothing: the scan proves little"
    (tmp_path / "scanned.txt").write_text(written)
