"""Health into Salesforce end to end: events over HTTP → rescore job → coalesced sync job → the sandbox org,
through simple-salesforce over real HTTPS, on SQLite and PostgreSQL with real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select, update

from connector.cli.main import cli
from connector.config.crm_section import CrmConfig, SequenceTarget
from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.crm.sync import CrmSync
from connector.store.models import CrmRecord, Intervention
from crm_adapters.sandbox import SandboxServer
from tests.conftest import NO_CONTROL, SECRETS, WRITE_KEY
from tests.integration.crm_cli import provision, sync_json
from tests.integration.segment_calls import drain, history_batch, send

pytestmark = pytest.mark.integration

LOGIN = {
    "SALESFORCE_USERNAME": "sandbox@example.com",
    "SALESFORCE_PASSWORD": "sandbox-password",
    "SALESFORCE_SECURITY_TOKEN": "sandbox-security-token",
    "SALESFORCE_CONSUMER_KEY": "sandbox-consumer-key",
    "SALESFORCE_CONSUMER_SECRET": "sandbox-consumer-secret",
}


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tls=True) as server:
        yield server


@pytest.fixture
def settings(database_url: str, redis_url: str, sandbox: SandboxServer) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        write_keys=WRITE_KEY,
        crm="salesforce",
        salesforce_username=LOGIN["SALESFORCE_USERNAME"],
        salesforce_password=SecretStr(LOGIN["SALESFORCE_PASSWORD"]),
        salesforce_security_token=SecretStr(LOGIN["SALESFORCE_SECURITY_TOKEN"]),
        salesforce_consumer_key=LOGIN["SALESFORCE_CONSUMER_KEY"],
        salesforce_consumer_secret=SecretStr(LOGIN["SALESFORCE_CONSUMER_SECRET"]),
        salesforce_login_url=sandbox.salesforce_url,
        salesforce_ca_bundle=sandbox.ca_file,
        **SECRETS,
    )


def _users(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return sandbox.salesforce_state("User")["User"]


def _cadence(sandbox: SandboxServer) -> str:
    return next(c["Id"] for c in sandbox.salesforce_state("ActionCadence")["ActionCadence"])


@pytest.fixture
def config(sandbox: SandboxServer) -> Config:
    ana = next(u for u in _users(sandbox) if u.get("FirstName") == "Ana")
    crm = CrmConfig(
        sync_delay_seconds=0,
        owners={"escalation": ana["Id"]},
        sequences={"default": SequenceTarget(sequence_id=_cadence(sandbox), user_id=ana["Id"])},
    )
    return Config(crm=crm, scoring=NO_CONTROL)


@pytest.fixture
def env(settings: Settings, sandbox: SandboxServer) -> dict[str, str]:
    return LOGIN | {
        "HEALTHLOOP_DATABASE_URL": settings.database_url,
        "HEALTHLOOP_REDIS_URL": settings.redis_url,
        "HEALTHLOOP_CRM": "salesforce",
        "SALESFORCE_LOGIN_URL": sandbox.salesforce_url,
        "SALESFORCE_CA_BUNDLE": sandbox.ca_file,
    }


def _seed_accounts(sandbox: SandboxServer, accounts: list[str]) -> dict[str, str]:
    ben = next(u for u in _users(sandbox) if u.get("FirstName") == "Ben")
    ids = sandbox.seed_salesforce(
        {
            "accounts": [
                {"Name": a.title(), "Website": f"https://www.{a}.example.com", "Healthloop_Account_Id__c": a,
                 "OwnerId": ben["Id"]}
                for a in accounts
            ],
            "contacts": [
                {"LastName": "Champion", "Email": f"champion@{a}.example.com", "AccountIndex": i}
                for i, a in enumerate(accounts)
            ],
        }
    )  # fmt: skip
    return dict(zip(accounts, ids["accounts"], strict=True))


def _accounts(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    return {
        a.get("Healthloop_Account_Id__c"): a
        for a in sandbox.salesforce_state("Account")["Account"]
        if not a.get("IsDeleted")
    }


def _tasks(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return [t for t in sandbox.salesforce_state("Task")["Task"] if not t.get("IsDeleted")]


def test_provision_creates_the_custom_fields_once_and_check_passes(env, sandbox):
    first = CliRunner().invoke(cli, ["crm", "provision"], env=env)
    assert first.exit_code == 0, first.output
    assert "Healthloop_Score__c" in first.output
    second = CliRunner().invoke(cli, ["crm", "provision"], env=env)
    assert second.exit_code == 0 and "0 created, 0 updated" in second.output, second.output
    check = CliRunner().invoke(cli, ["crm", "check", "--json"], env=env)
    assert check.exit_code == 0, check.output
    rows = {r["name"]: r for r in orjson.loads(check.output)}
    assert {"Healthloop_Score__c", "Healthloop_Tier__c", "Healthloop_Account_Id__c"} <= set(rows)


def test_events_reach_the_account_fields_and_one_task_through_the_jobs(client, auth_headers, runtime, env, sandbox):
    provision(env)
    ids = _seed_accounts(sandbox, ["acct_quiet", "acct_busy"])
    send(client, auth_headers, history_batch("acct_quiet", seats=10, active_days=range(20, 80)))
    send(client, auth_headers, history_batch("acct_busy", seats=4, active_days=range(0, 80)))
    drain(runtime)
    accounts = _accounts(sandbox)
    quiet, busy = accounts["acct_quiet"], accounts["acct_busy"]
    shown = orjson.loads(CliRunner().invoke(cli, ["accounts", "show", "acct_quiet", "--json"], env=env).output)
    assert quiet["Healthloop_Score__c"] == shown["score"]
    assert quiet["Healthloop_Tier__c"] == shown["tier"]
    assert "inactive" in quiet["Healthloop_Open_Triggers__c"].split(";")
    assert busy["Healthloop_Score__c"] > quiet["Healthloop_Score__c"]
    tasks = [t for t in _tasks(sandbox) if str(t.get("Healthloop_Key__c", "")).startswith("acct_quiet:")]
    assert len(tasks) == 1
    task = tasks[0]
    assert task["WhatId"] == ids["acct_quiet"] and not task["IsClosed"] and task["ActivityDate"]
    contact = next(c for c in sandbox.salesforce_state("Contact")["Contact"] if c["AccountId"] == ids["acct_quiet"])
    assert task["WhoId"] == contact["Id"], "the task is about the account's contact"
    ben = next(u for u in _users(sandbox) if u.get("FirstName") == "Ben")
    assert task["OwnerId"] in (ben["Id"], runtime.config.crm.owners["escalation"]), "account owner or escalation"
    assert "days" in task["Description"]
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention).where(Intervention.account_id == "acct_quiet")).first()
        assert intervention is not None and intervention.crm_task_id == task["Id"]
    report = sync_json(env, "--all")
    assert report["written"] == 0 and report["api"]["write_calls"] == 0, "nothing changed since the jobs ran"


def test_one_task_after_a_lost_record_and_the_write_survives_an_expired_session(
    client, auth_headers, runtime, env, sandbox
):
    provision(env)
    _seed_accounts(sandbox, ["acct_crash"])
    send(client, auth_headers, history_batch("acct_crash", seats=10, active_days=range(20, 80)))
    drain(runtime)
    assert len(_tasks(sandbox)) == 1
    with runtime.sessions.begin() as session:  # the worker died after Salesforce created the task
        session.execute(update(Intervention).values(crm_task_id=None, crm_status=None))
        session.execute(update(CrmRecord).values(synced_values={}))
    sandbox.expire_sessions()
    adapter = runtime.crm_adapter()
    report = CrmSync(runtime.sessions, adapter, runtime.config.crm).sync(["acct_crash"])
    assert not report.failures and report.written == 1
    assert len(_tasks(sandbox)) == 1
    with runtime.sessions() as session:
        assert session.scalar(select(Intervention.crm_task_id)) == _tasks(sandbox)[0]["Id"]


def test_sequence_plays_assign_the_accounts_contact_to_the_cadence(client, auth_headers, runtime, env, sandbox):
    provision(env)
    _seed_accounts(sandbox, ["acct_seq"])
    send(client, auth_headers, history_batch("acct_seq", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions() as session:
        interventions = list(session.scalars(select(Intervention)))
    trackers = sandbox.salesforce_state("ActionCadenceTracker")["ActionCadenceTracker"]
    if any("email_sequence" in i.channels for i in interventions):
        assert len(trackers) == 1 and trackers[0]["State"] == "Running"
    else:
        assert trackers == []


def test_a_tier_change_is_a_completed_task_that_tells_the_story(client, auth_headers, runtime, env, sandbox):
    provision(env)
    _seed_accounts(sandbox, ["acct_slide"])
    send(client, auth_headers, history_batch("acct_slide", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions.begin() as session:
        record = session.get(CrmRecord, ("salesforce", "acct_slide"))
        assert record is not None
        record.synced_story = {"tier": "healthy", "score": 88, "signals": {"activity": 90.0}}
        record.synced_values = {}
    report = CrmSync(runtime.sessions, runtime.crm_adapter(), runtime.config.crm).sync(["acct_slide"])
    assert report.notes == 1
    notes = [t for t in _tasks(sandbox) if t["IsClosed"]]
    assert len(notes) == 1 and "moved from Healthy to" in notes[0]["Description"]
    assert "\nWhy: Activity 0/100" in notes[0]["Description"] and "<" not in notes[0]["Description"], "plain text"


def test_a_deleted_account_is_reported_and_looked_up_again(client, auth_headers, runtime, env, sandbox):
    provision(env)
    ids = _seed_accounts(sandbox, ["acct_gone", "acct_here"])
    send(client, auth_headers, history_batch("acct_gone", seats=3, active_days=range(0, 30)))
    send(client, auth_headers, history_batch("acct_here", seats=3, active_days=range(0, 30)))
    drain(runtime)
    org = sandbox.salesforce
    org.delete(org.records["Account"][ids["acct_gone"]])
    with runtime.sessions.begin() as session:
        session.execute(update(CrmRecord).values(synced_values={}))
    report = sync_json(env, "acct_gone", "acct_here")
    assert report["written"] == 1
    assert [(f["account_id"], f["what"]) for f in report["failures"]] == [("acct_gone", "fields")]
    with runtime.sessions() as session:
        record = session.get(CrmRecord, ("salesforce", "acct_gone"))
        assert record is not None and record.record_id is None


def test_a_wrong_password_is_one_clear_error_without_the_secret(env):
    result = CliRunner().invoke(cli, ["crm", "check"], env=env | {"SALESFORCE_PASSWORD": "hunter2-wrong"})
    assert result.exit_code == 2, result.output
    assert "SALESFORCE_" in result.output and "Traceback" not in result.output
    assert "hunter2-wrong" not in result.output


def test_sandbox_dump_prints_the_salesforce_org(sandbox):
    sandbox.seed_salesforce({"accounts": [{"Name": "Acct_Dump", "Website": "https://dump.example.com"}]})
    result = CliRunner().invoke(
        cli,
        ["sandbox", "dump", "--url", sandbox.url, "--crm", "salesforce", "--object", "Account"],
        env={"HEALTHLOOP_SANDBOX_TOKEN": sandbox.token},
    )
    assert result.exit_code == 0, result.output
    assert [a["Name"] for a in orjson.loads(result.output)["Account"]] == ["Acct_Dump"]


def test_username_password_and_security_token_alone_log_in_through_the_soap_login(env):
    soap = {k: v for k, v in env.items() if k not in ("SALESFORCE_CONSUMER_KEY", "SALESFORCE_CONSUMER_SECRET")}
    result = CliRunner().invoke(cli, ["crm", "provision"], env=soap)
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(cli, ["crm", "check"], env=soap | {"SALESFORCE_SECURITY_TOKEN": "stale"})
    assert refused.exit_code == 2 and "INVALID_LOGIN" in refused.output and "stale" not in refused.output


def test_outcomes_pull_reads_task_completion_and_renewal_opportunities(client, auth_headers, runtime, env, sandbox):
    from connector.store.models import Renewal

    provision(env)
    ids = _seed_accounts(sandbox, ["acct_opp"])
    org = sandbox.salesforce
    org.create(
        "Opportunity",
        {"Name": "Opp renewal", "AccountId": ids["acct_opp"], "StageName": "Closed Won", "CloseDate": "2026-11-01",
         "Amount": 5000, "Type": "Existing Customer - Upgrade"},
        trusted=True,
    )  # fmt: skip
    send(client, auth_headers, history_batch("acct_opp", seats=10, active_days=range(20, 80)))
    drain(runtime)
    task = next(t for t in _tasks(sandbox) if not t["IsClosed"])
    org.update(org.records["Task"][task["Id"]], {"Status": "Completed"})
    result = CliRunner().invoke(cli, ["outcomes", "pull"], env=env)
    assert result.exit_code == 0 and "1 completed" in result.output, result.output
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention)).one()
        renewals = list(session.scalars(select(Renewal)))
    assert intervention.task_completed_at is not None
    assert [(r.account_id, r.status, r.amount) for r in renewals] == [("acct_opp", "won", 5000.0)]


def test_a_cadence_answered_counts_as_a_response_in_the_report(client, auth_headers, runtime, env, sandbox, config):
    from connector.measure.report import build_report

    playbook = config.scoring.playbook
    sequenced = playbook.model_copy(
        update={
            "tiers": {k: r.model_copy(update={"channels": ["email_sequence"]}) for k, r in playbook.tiers.items()},
            "triggers": {
                k: r.model_copy(update={"channels": ["email_sequence"]}) for k, r in playbook.triggers.items()
            },
        }
    )
    runtime.config = config.model_copy(update={"scoring": config.scoring.model_copy(update={"playbook": sequenced})})
    provision(env)
    _seed_accounts(sandbox, ["acct_cad"])
    send(client, auth_headers, history_batch("acct_cad", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention)).one()
    assert intervention.enrollment_status == "enrolled" and intervention.enrollment_id
    (tracker,) = sandbox.salesforce_state("ActionCadenceTracker")["ActionCadenceTracker"]
    org = sandbox.salesforce
    org.finish_tracker(tracker["Id"], reason="ManuallyRemoved", disposition="Customer Engaged", state="Complete")
    result = CliRunner().invoke(cli, ["outcomes", "pull"], env=env)
    assert result.exit_code == 0 and "1 enrollment(s) answered" in result.output, result.output
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention)).one()
        report = build_report(session, runtime.config.scoring, intervention.created_at.date())
    assert intervention.enrollment_replied_at is not None and "Customer Engaged" in intervention.enrollment_state
    (everything,) = report["groups"]["all"]
    assert everything["treated"]["responses"]["successes"] == 1, "a reply is a response, like a completed task"
