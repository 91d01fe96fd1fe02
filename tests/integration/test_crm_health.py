"""The CRM side for operators: a sync that stops says the fix once, `status` shows the last sync,
failing and unmatched accounts with what to do, and `sync --retry-unmatched` retries them now."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from connector.cli.main import cli
from connector.config.crm_section import CrmConfig
from connector.config.settings import Settings
from connector.config.yaml_config import Config
from crm_adapters.sandbox import SandboxServer
from tests.conftest import NO_CONTROL, SECRETS, WRITE_KEY
from tests.integration.crm_cli import provision, sync_json
from tests.integration.segment_calls import drain, history_batch, send

pytestmark = pytest.mark.integration

TOKEN = "crm-health-test-token"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(TOKEN) as server:
        yield server


@pytest.fixture
def settings(database_url: str, redis_url: str, sandbox: SandboxServer) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        write_keys=WRITE_KEY,
        crm="hubspot",
        hubspot_access_token=SecretStr(TOKEN),
        hubspot_base_url=sandbox.url,
        **SECRETS,
    )


@pytest.fixture
def config() -> Config:
    return Config(crm=CrmConfig(sync_delay_seconds=0), scoring=NO_CONTROL)


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "HEALTHLOOP_DATABASE_URL": settings.database_url,
        "HEALTHLOOP_REDIS_URL": settings.redis_url,
        "HEALTHLOOP_CRM": "hubspot",
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
        "HUBSPOT_BASE_URL": settings.hubspot_base_url or "",
    }


def status_json(env: dict[str, str]) -> dict:
    result = CliRunner().invoke(cli, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def test_a_sync_into_an_unprovisioned_portal_says_run_crm_provision_once_and_status_shows_it(
    client, auth_headers, runtime, env, caplog
):
    send(client, auth_headers, history_batch("acct_new", seats=10, active_days=range(0, 20, 2)))
    with caplog.at_level(logging.WARNING):
        drain(runtime)
        runtime.queue.request_sync(["acct_new"])
        drain(runtime)
    stopped = [r.getMessage() for r in caplog.records if "CRM sync stopped" in r.getMessage()]
    assert len(stopped) == 1, stopped
    assert "run `healthloop crm provision`" in stopped[0]
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a CRM the operator must fix"
    crm = status_json(env)["crm"]
    assert "healthloop crm provision" in crm["jobs"]["last_error_fix"]
    text = CliRunner().invoke(cli, ["status"], env=env).output
    assert "last sync FAILED" in text and "healthloop crm provision" in text


def test_status_lists_unmatched_accounts_and_retry_unmatched_syncs_them_now(
    client, auth_headers, runtime, env, sandbox
):
    provision(env)
    send(client, auth_headers, history_batch("acct_late", seats=10, active_days=range(0, 20, 2)))
    drain(runtime)
    assert sync_json(env, "--all")["unmatched"] == ["acct_late"]
    crm = status_json(env)["crm"]
    assert crm["unmatched_accounts"]["count"] == 1
    assert crm["unmatched_accounts"]["shown"] == ["acct_late"]
    assert "--retry-unmatched" in crm["unmatched_accounts"]["retry"]
    # Without the flag, the account is looked up again only after an hour; with it, now.
    sandbox.seed({"companies": [{"name": "Late", "healthloop_account_id": "acct_late"}]})
    assert sync_json(env, "--all")["unmatched"] == ["acct_late"]
    report = sync_json(env, "--retry-unmatched")
    assert report["unmatched"] == [] and report["written"] == 1
    crm = status_json(env)["crm"]
    assert crm["unmatched_accounts"]["count"] == 0
    assert crm["last_record_write"] is not None
