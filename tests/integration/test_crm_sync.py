"""Health into HubSpot end to end: events over HTTP → rescore job → coalesced sync job → the sandbox,
through the official hubspot-api-client, on SQLite and PostgreSQL with real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select, update

from connector.cli.main import cli
from connector.config.crm_section import CrmConfig, CrmTasks, SequenceTarget
from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.crm.sync import CrmSync
from connector.jobs.tasks import rescore_all
from connector.store.models import Alert, CrmRecord, Intervention
from crm_adapters.sandbox import SandboxServer
from tests.conftest import NO_CONTROL, SECRETS, WRITE_KEY
from tests.integration.churn_models import store_model
from tests.integration.crm_cli import provision, sync_json
from tests.integration.segment_calls import TODAY, drain, history_batch, send

pytestmark = pytest.mark.integration

TOKEN = "crm-sync-test-token"


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


def _sequence(sandbox: SandboxServer) -> SequenceTarget:
    sequence = next(s for s in sandbox.state.dump()["sequences"] if s["name"] == "Onboarding nudge")
    owner = sandbox.state.owner_by_user(str(sequence["userId"]))
    assert owner is not None
    return SequenceTarget(sequence_id=str(sequence["id"]), user_id=str(sequence["userId"]), sender_email=owner["email"])


@pytest.fixture
def config(sandbox: SandboxServer) -> Config:
    escalation = sandbox.state.dump()["owners"][2]["id"]
    crm = CrmConfig(sync_delay_seconds=0, owners={"escalation": escalation}, sequences={"default": _sequence(sandbox)})
    return Config(crm=crm, scoring=NO_CONTROL)


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "HEALTHLOOP_DATABASE_URL": settings.database_url,
        "HEALTHLOOP_REDIS_URL": settings.redis_url,
        "HEALTHLOOP_CRM": "hubspot",
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
        "HUBSPOT_BASE_URL": settings.hubspot_base_url or "",
    }


def _companies(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    """account id -> the company record in the sandbox."""
    return {
        c["properties"].get("healthloop_account_id"): c
        for c in sandbox.state.dump("companies")["companies"]
        if not c["archived"]
    }


def _tasks(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return [t for t in sandbox.state.dump("tasks")["tasks"] if not t["archived"]]


def _seed_companies(sandbox: SandboxServer, accounts: list[str], owner_index: int = 0) -> dict[str, str]:
    owner = sandbox.state.dump()["owners"][owner_index]["id"]
    companies = [
        {"name": a.title(), "domain": f"{a}.example.com", "healthloop_account_id": a, "hubspot_owner_id": owner}
        for a in accounts
    ]
    contacts = [
        {"properties": {"email": f"lead@{a}.example.com", "firstname": "Lead"}, "associate": {"companies": [i]}}
        for i, a in enumerate(accounts)
    ]
    ids = sandbox.seed({"companies": companies, "contacts": contacts})
    return dict(zip(accounts, ids["companies"], strict=True))


def test_provision_creates_the_fields_once_and_check_passes(env, sandbox):
    first = CliRunner().invoke(cli, ["crm", "provision"], env=env)
    assert first.exit_code == 0, first.output
    assert "healthloop_score" in first.output and "created" in first.output
    second = CliRunner().invoke(cli, ["crm", "provision"], env=env)
    assert second.exit_code == 0, second.output
    assert "0 created, 0 updated" in second.output
    check = CliRunner().invoke(cli, ["crm", "check", "--json"], env=env)
    assert check.exit_code == 0, check.output
    rows = orjson.loads(check.output)
    assert {r["name"] for r in rows} >= {"healthloop_score", "healthloop_tier", "healthloop_account_id"}
    assert all(r["ok"] for r in rows)


def test_events_reach_the_company_fields_and_a_task_through_the_jobs(client, auth_headers, runtime, env, sandbox):
    provision(env)
    ids = _seed_companies(sandbox, ["acct_quiet", "acct_busy"])
    send(client, auth_headers, history_batch("acct_quiet", seats=10, active_days=range(20, 80)))
    send(client, auth_headers, history_batch("acct_busy", seats=4, active_days=range(0, 80)))
    drain(runtime)  # the rescore job asks for a sync; the sync job runs in the same burst
    companies = _companies(sandbox)
    quiet, busy = companies["acct_quiet"]["properties"], companies["acct_busy"]["properties"]
    shown = orjson.loads(CliRunner().invoke(cli, ["accounts", "show", "acct_quiet", "--json"], env=env).output)
    assert quiet["healthloop_score"] == str(shown["score"])
    assert quiet["healthloop_tier"] == shown["tier"]
    assert "inactive" in quiet["healthloop_open_triggers"].split(";")
    assert quiet["healthloop_reason"] and quiet["healthloop_scored_at"]
    assert int(busy["healthloop_score"]) > int(quiet["healthloop_score"])
    tasks = _tasks(sandbox)
    assert tasks, "the quiet account's intervention became a task"
    task = next(t for t in tasks if t["properties"]["healthloop_intervention_key"].startswith("acct_quiet:"))
    assert task["properties"]["hs_task_status"] == "NOT_STARTED"
    assert "days" in task["properties"]["hs_task_body"], "the body tells the story behind the alert"
    links = [a for a in sandbox.state.dump()["associations"] if a["fromType"] == "tasks" and a["toType"] == "companies"]
    assert any(a["fromId"] == task["id"] and a["toId"] == ids["acct_quiet"] for a in links)
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention).where(Intervention.account_id == "acct_quiet")).first()
        assert intervention is not None and intervention.crm_task_id == task["id"]
        assert intervention.crm_status == "created"


def test_a_second_sync_with_nothing_changed_makes_no_write_call(client, auth_headers, runtime, env, sandbox):
    provision(env)
    _seed_companies(sandbox, [f"acct_{n}" for n in range(5)])
    for n in range(5):
        send(client, auth_headers, history_batch(f"acct_{n}", seats=5, active_days=range(n, 40)))
    drain(runtime)
    first = sync_json(env, "--all")
    assert first["written"] == 0 and first["unchanged"] == 5, ("the jobs already wrote everything", first)
    assert first["api"]["write_calls"] == 0
    dry = CliRunner().invoke(cli, ["sync", "--all", "--dry-run"], env=env)
    assert dry.exit_code == 0 and "0 record(s) would change" in dry.output


def test_dry_run_prints_the_changes_and_writes_nothing(client, auth_headers, runtime, env, sandbox, settings):
    runtime.settings = settings.model_copy(update={"crm": "none"})  # score without syncing
    # Quiet for 20 days: a problem that calls for a task (a steady account would need none).
    send(client, auth_headers, history_batch("acct_dry", seats=5, active_days=range(20, 60)))
    drain(runtime)
    provision(env)
    _seed_companies(sandbox, ["acct_dry"])
    result = CliRunner().invoke(cli, ["sync", "acct_dry", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert "healthloop_score: None ->" in result.output and "1 record(s) would change" in result.output
    assert "healthloop_score" not in _companies(sandbox)["acct_dry"]["properties"]
    assert not _tasks(sandbox)
    report = sync_json(env, "acct_dry")
    assert report["written"] == 1 and report["tasks_created"] >= 1
    assert report["api"]["write_calls"] >= 1


def test_the_jobs_write_the_learned_churn_probability_and_the_daily_rescore_clears_a_retired_models(
    client, auth_headers, runtime, env, sandbox
):
    provision(env)
    _seed_companies(sandbox, ["acct_quiet", "acct_busy"])
    store_model(runtime.sessions, in_use=True)
    send(client, auth_headers, history_batch("acct_quiet", seats=5, active_days=range(20, 60)))
    send(client, auth_headers, history_batch("acct_busy", seats=5, active_days=range(0, 60)))
    drain(runtime)  # rescore jobs store each probability; the sync job writes it
    shown = orjson.loads(CliRunner().invoke(cli, ["accounts", "show", "acct_quiet", "--json"], env=env).output)
    quiet, busy = (_companies(sandbox)[a]["properties"] for a in ("acct_quiet", "acct_busy"))
    assert quiet["healthloop_churn_probability"] == f"{shown['churn']['probability'] * 100:.1f}"
    assert float(quiet["healthloop_churn_probability"]) > float(busy["healthloop_churn_probability"])
    assert quiet["healthloop_churn_drivers"] == "days since the last meaningful action +1.0"
    store_model(runtime.sessions, in_use=False)  # the latest fit no longer beats the score
    rescore_all()
    drain(runtime)
    for account, company in _companies(sandbox).items():
        assert not company["properties"].get("healthloop_churn_probability"), account
        assert not company["properties"].get("healthloop_churn_drivers"), account
        assert company["properties"]["healthloop_score"], "the score stays"


def test_one_task_per_intervention_even_when_recording_it_was_lost(client, auth_headers, runtime, env, sandbox):
    provision(env)
    _seed_companies(sandbox, ["acct_crash"])
    send(client, auth_headers, history_batch("acct_crash", seats=10, active_days=range(20, 80)))
    drain(runtime)
    assert len(_tasks(sandbox)) == 1
    with runtime.sessions.begin() as session:  # as if the worker died after HubSpot created the task
        session.execute(update(Intervention).values(crm_task_id=None, crm_status=None))
    report = sync_json(env, "acct_crash")
    assert report["failures"] == []
    assert len(_tasks(sandbox)) == 1, "the retry found the task instead of creating a second one"
    with runtime.sessions() as session:
        assert session.scalar(select(Intervention.crm_task_id)) == _tasks(sandbox)[0]["id"]


@pytest.mark.parametrize("on_clear", ["note", "complete"])
def test_a_task_whose_trigger_cleared_says_so(client, auth_headers, runtime, env, sandbox, config, on_clear):
    runtime.config = config.model_copy(
        update={"crm": config.crm.model_copy(update={"tasks": CrmTasks(on_clear=on_clear)})}
    )
    provision(env)
    _seed_companies(sandbox, ["acct_back"])
    send(client, auth_headers, history_batch("acct_back", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions.begin() as session:  # the alerts behind the task clear (the account came back)
        session.execute(update(Alert).values(cleared_on=TODAY.date()))
    report = CrmSync(runtime.sessions, runtime.crm_adapter(), runtime.config.crm).sync(["acct_back"])
    assert report.tasks_updated == 1 and not report.failures
    task = _tasks(sandbox)[0]["properties"]
    assert "cleared before this task was done" in task["hs_task_body"]
    assert task["hs_task_status"] == ("COMPLETED" if on_clear == "complete" else "NOT_STARTED")
    with runtime.sessions() as session:
        assert session.scalar(select(Intervention.crm_status)) == "cleared"


def test_a_tier_change_adds_a_note_that_tells_the_story(client, auth_headers, runtime, env, sandbox):
    provision(env)
    _seed_companies(sandbox, ["acct_slide"])
    send(client, auth_headers, history_batch("acct_slide", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions.begin() as session:  # what the record got before: a healthy account
        record = session.get(CrmRecord, ("hubspot", "acct_slide"))
        assert record is not None
        record.synced_story = {"tier": "healthy", "score": 88, "signals": {"activity": 90.0, "engagement": 80.0}}
        record.synced_values = {}
    report = CrmSync(runtime.sessions, runtime.crm_adapter(), runtime.config.crm).sync(["acct_slide"])
    assert report.notes == 1
    notes = [n for n in sandbox.state.dump("notes")["notes"] if not n["archived"]]
    assert len(notes) == 1
    body = notes[0]["properties"]["hs_note_body"]
    assert "moved from Healthy to" in body and "score 88 →" in body and "<li>Activity 90 → 0</li>" in body
    assert "10 of 10 seats idle for 14 days" in body
    assert "<strong>Why:</strong> Activity 0/100" in body, "a tier note always says why"
    assert "Most seats idle" in body and "seats_inactive" not in body, "problems in words"


def test_monitor_and_sequence_channels_enroll_the_companys_contact(client, auth_headers, runtime, env, sandbox):
    provision(env)
    _seed_companies(sandbox, ["acct_seq"])
    send(client, auth_headers, history_batch("acct_seq", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions() as session:
        interventions = list(session.scalars(select(Intervention)))
    sequenced = [i for i in interventions if "email_sequence" in i.channels]
    enrollments = sandbox.state.dump()["enrollments"]
    if sequenced:
        assert all(i.enrollment_status == "enrolled" for i in sequenced), [i.enrollment_error for i in sequenced]
        assert len(enrollments) == 1
    else:
        assert all(i.enrollment_status is None for i in interventions)
        assert enrollments == []


def test_a_company_deleted_in_hubspot_is_reported_and_looked_up_again(client, auth_headers, runtime, env, sandbox):
    provision(env)
    ids = _seed_companies(sandbox, ["acct_gone", "acct_here"])
    send(client, auth_headers, history_batch("acct_gone", seats=3, active_days=range(0, 30)))
    send(client, auth_headers, history_batch("acct_here", seats=3, active_days=range(0, 30)))
    drain(runtime)
    sandbox.state.archive("companies", ids["acct_gone"])
    with runtime.sessions.begin() as session:  # something changed for both since the last sync
        session.execute(update(CrmRecord).values(synced_values={}))
    report = sync_json(env, "acct_gone", "acct_here")
    assert report["written"] == 1
    assert [(f["account_id"], f["what"]) for f in report["failures"]] == [("acct_gone", "fields")]
    assert (
        "deleted" in report["failures"][0]["reason"].lower() or "not found" in report["failures"][0]["reason"].lower()
    )
    with runtime.sessions() as session:
        record = session.get(CrmRecord, ("hubspot", "acct_gone"))
        assert record is not None and record.record_id is None and record.last_error
    again = sync_json(env, "acct_gone")
    assert again["unmatched"] == ["acct_gone"] and again["failures"] == []


def test_accounts_without_a_company_are_reported_not_failed(client, auth_headers, runtime, env, sandbox):
    provision(env)
    send(client, auth_headers, history_batch("acct_nowhere", seats=3, active_days=range(0, 30)))
    drain(runtime)
    report = sync_json(env, "acct_nowhere")
    assert report["unmatched"] == ["acct_nowhere"] and report["failures"] == []


def test_a_mapping_to_a_missing_property_is_caught_before_any_write(
    client, auth_headers, runtime, env, sandbox, tmp_path
):
    provision(env)
    _seed_companies(sandbox, ["acct_map"])
    send(client, auth_headers, history_batch("acct_map", seats=3, active_days=range(0, 30)))
    config = tmp_path / "healthloop.yaml"
    config.write_text("crm:\n  fields:\n    score: hl_score_typo\n")
    bad_env = env | {"HEALTHLOOP_CONFIG": str(config)}
    check = CliRunner().invoke(cli, ["crm", "check"], env=bad_env)
    assert check.exit_code == 1 and "hl_score_typo" in check.output and "missing" in check.output
    sync = CliRunner().invoke(cli, ["sync", "--all"], env=bad_env)
    assert sync.exit_code == 2 and "nothing was written" in sync.output
    assert sandbox.request_counts()["total"] > 0
    assert "hl_score_typo" not in _companies(sandbox)["acct_map"]["properties"]


def test_a_wrong_token_is_one_clear_error_naming_the_variable(env):
    result = CliRunner().invoke(cli, ["crm", "check"], env=env | {"HUBSPOT_ACCESS_TOKEN": "not-the-token"})
    assert result.exit_code == 2
    assert "HUBSPOT_ACCESS_TOKEN" in result.output and "Traceback" not in result.output
    assert "not-the-token" not in result.output


def test_five_percent_server_errors_slow_the_sync_but_lose_nothing(client, auth_headers, runtime, env, sandbox):
    provision(env)
    accounts = [f"acct_f{n:02d}" for n in range(30)]
    _seed_companies(sandbox, accounts)
    runtime.settings = runtime.settings.model_copy(update={"crm": "none"})
    for n, account in enumerate(accounts):
        send(client, auth_headers, history_batch(account, seats=5, active_days=range(n % 20, 40), users=2))
    drain(runtime)
    sandbox.set_faults(error_rate=0.3, seed=3)
    report = sync_json(env, "--all")
    sandbox.set_faults(error_rate=0.0)
    assert report["failures"] == [] and report["retry_later"] == []
    assert report["written"] == 30 and report["api"]["retries"] > 0, {k: v for k, v in report.items() if k != "changes"}
    companies = _companies(sandbox)
    assert all(companies[a]["properties"].get("healthloop_score") for a in accounts)
    tasks = _tasks(sandbox)
    keys = [t["properties"]["healthloop_intervention_key"] for t in tasks]
    assert len(keys) == len(set(keys)), "no task was created twice"


def test_crm_check_validates_the_sequences_and_owners_the_playbook_names(env, sandbox, tmp_path):
    provision(env)
    good = _sequence(sandbox)
    owner = sandbox.state.dump()["owners"][0]
    config = tmp_path / "healthloop.yaml"
    config.write_text(
        "crm:\n"
        "  owners: {escalation: '" + str(owner["id"]) + "', executive: '999999'}\n"
        "  sequences:\n"
        f"    default: {{sequence_id: '{good.sequence_id}', user_id: '{good.user_id}', "
        f"sender_email: {good.sender_email}}}\n"
        f"    monitor: {{sequence_id: '424242', user_id: '{good.user_id}', sender_email: {good.sender_email}}}\n"
        f"    inactivity_winback: {{sequence_id: '{good.sequence_id}', user_id: '{good.user_id}', "
        "sender_email: someone@else.com}\n"
    )
    result = CliRunner().invoke(cli, ["crm", "check", "--json"], env=env | {"HEALTHLOOP_CONFIG": str(config)})
    assert result.exit_code == 1, result.output
    rows = {r["source"]: r for r in orjson.loads(result.output)}
    assert rows["sequence:default"]["ok"] and rows["owner:escalation"]["ok"]
    assert rows["sequence:monitor"]["problem"] == "missing" and "sequence id" in rows["sequence:monitor"]["fix"]
    assert rows["sequence:inactivity_winback"]["problem"] == "wrong_sender"
    assert rows["owner:executive"]["problem"] == "missing"


def test_a_task_the_csm_already_completed_is_left_alone_when_its_trigger_clears(
    client, auth_headers, runtime, env, sandbox
):
    provision(env)
    _seed_companies(sandbox, ["acct_done"])
    send(client, auth_headers, history_batch("acct_done", seats=10, active_days=range(20, 80)))
    drain(runtime)
    task = _tasks(sandbox)[0]
    record = sandbox.state.get("tasks", task["id"])
    sandbox.state.update(record, {"hs_task_status": "COMPLETED"})
    body_before = sandbox.state.get("tasks", task["id"]).properties["hs_task_body"]
    with runtime.sessions.begin() as session:
        session.execute(update(Alert).values(cleared_on=TODAY.date()))
    report = CrmSync(runtime.sessions, runtime.crm_adapter(), runtime.config.crm).sync(["acct_done"])
    assert not report.failures
    assert sandbox.state.get("tasks", task["id"]).properties["hs_task_body"] == body_before
    with runtime.sessions() as session:
        assert session.scalar(select(Intervention.crm_status)) == "cleared"


def test_outcomes_pull_reads_task_completion_and_renewals_back(client, auth_headers, runtime, env, sandbox):
    from connector.store.models import Renewal

    provision(env)
    ids = _seed_companies(sandbox, ["acct_out"])
    sandbox.seed(
        {
            "deals": [
                {"properties": {"dealname": "Out renewal", "dealtype": "existingbusiness", "pipeline": "default",
                                "dealstage": "closedlost", "closedate": "2026-11-01T00:00:00Z", "amount": "1200"},
                 "associations": [{"to": {"id": ids["acct_out"]},
                                   "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}]}]},
                {"properties": {"dealname": "New logo", "dealtype": "newbusiness", "pipeline": "default",
                                "dealstage": "closedwon", "closedate": "2026-10-01T00:00:00Z"},
                 "associations": [{"to": {"id": ids["acct_out"]},
                                   "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}]}]},
            ]
        }
    )  # fmt: skip
    send(client, auth_headers, history_batch("acct_out", seats=10, active_days=range(20, 80)))
    drain(runtime)
    task = _tasks(sandbox)[0]
    sandbox.state.update(sandbox.state.get("tasks", task["id"]), {"hs_task_status": "COMPLETED"})
    result = CliRunner().invoke(cli, ["outcomes", "pull"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 completed" in result.output
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention)).one()
        renewals = list(session.scalars(select(Renewal)))
    assert intervention.task_status == "COMPLETED" and intervention.task_completed_at is not None
    assert [(r.account_id, r.status, r.name) for r in renewals] == [("acct_out", "lost", "Out renewal")]
    again = CliRunner().invoke(cli, ["outcomes", "pull"], env=env)
    assert again.exit_code == 0 and "0 open task(s) read" in again.output, again.output


def test_control_group_interventions_are_recorded_but_never_sent(client, auth_headers, runtime, env, sandbox, config):
    always = config.scoring.model_copy(
        update={"playbook": config.scoring.playbook.model_copy(update={"control_share": 1.0})}
    )
    runtime.config = config.model_copy(update={"scoring": always})
    provision(env)
    _seed_companies(sandbox, ["acct_held"])
    send(client, auth_headers, history_batch("acct_held", seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions() as session:
        interventions = list(session.scalars(select(Intervention)))
    assert interventions and all(i.control and i.crm_status == "control" for i in interventions)
    assert all(not i.slack_alert and i.crm_task_id is None for i in interventions)
    assert _tasks(sandbox) == [], "no task for the control group"
    assert _companies(sandbox)["acct_held"]["properties"]["healthloop_score"], "health fields are still written"


def test_a_task_completed_in_hubspot_reaches_the_outcome_through_the_webhook(
    client, auth_headers, runtime, env, sandbox
):
    from datetime import UTC, datetime

    from tests.conftest import SECRETS
    from webhooks.registry import SOURCES

    provision(env)
    _seed_companies(sandbox, ["acct_hook"])
    send(client, auth_headers, history_batch("acct_hook", seats=10, active_days=range(20, 80)))
    drain(runtime)
    task = _tasks(sandbox)[0]
    sandbox.state.update(sandbox.state.get("tasks", task["id"]), {"hs_task_status": "COMPLETED"})
    event = {
        "eventId": 1, "subscriptionId": 7, "portalId": 62515, "appId": 54321, "attemptNumber": 0,
        "occurredAt": int(datetime.now(UTC).timestamp() * 1000), "subscriptionType": "object.propertyChange",
        "objectTypeId": "0-27", "objectId": int(task["id"]), "propertyName": "hs_task_status",
        "propertyValue": "COMPLETED", "changeSource": "CRM_UI",
    }  # fmt: skip
    body = orjson.dumps([event])
    source = SOURCES["hubspot"]
    headers = source.sign(
        body, SECRETS["hubspot_client_secret"], "http://localhost/webhooks/hubspot", datetime.now(UTC)
    )
    response = client.post("/webhooks/hubspot", data=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 200 and response.json["outcomes"] == ["handled"], response.json
    drain(runtime)  # the refresh job reads the task back now, not at the next hourly pull
    with runtime.sessions() as session:
        intervention = session.scalars(select(Intervention)).one()
    assert intervention.task_status == "COMPLETED" and intervention.task_completed_at is not None


def test_a_deal_closed_in_hubspot_reaches_the_renewals_through_the_webhook(client, auth_headers, runtime, env, sandbox):
    from datetime import UTC, datetime

    from connector.store.models import Renewal
    from tests.conftest import SECRETS
    from webhooks.registry import SOURCES

    provision(env)
    ids = _seed_companies(sandbox, ["acct_deal"])
    send(client, auth_headers, history_batch("acct_deal", seats=4, active_days=range(0, 40)))
    drain(runtime)  # resolves the company
    link = [
        {
            "to": {"id": ids["acct_deal"]},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}],
        }
    ]
    (deal_id,) = sandbox.seed(
        {"deals": [{"properties": {"dealname": "Deal renewal", "dealtype": "existingbusiness", "pipeline": "default",
                                   "dealstage": "closedwon", "closedate": "2026-11-20T00:00:00Z"},
                    "associations": link}]}
    )["deals"]  # fmt: skip
    event = {
        "eventId": 2, "subscriptionId": 8, "portalId": 62515, "appId": 54321, "attemptNumber": 0,
        "occurredAt": int(datetime.now(UTC).timestamp() * 1000), "subscriptionType": "deal.propertyChange",
        "objectId": int(deal_id), "propertyName": "dealstage", "propertyValue": "closedwon", "changeSource": "CRM_UI",
    }  # fmt: skip
    body = orjson.dumps([event])
    headers = SOURCES["hubspot"].sign(
        body, SECRETS["hubspot_client_secret"], "http://localhost/webhooks/hubspot", datetime.now(UTC)
    )
    response = client.post("/webhooks/hubspot", data=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 200 and response.json["outcomes"] == ["handled"], response.json
    drain(runtime)
    with runtime.sessions() as session:
        renewals = [(r.account_id, r.status, r.external_id) for r in session.scalars(select(Renewal))]
    assert renewals == [("acct_deal", "won", deal_id)]


def test_a_first_sync_shows_the_work_it_would_create_in_status_and_the_dry_run(
    client, auth_headers, runtime, env, sandbox, settings
):
    runtime.settings = settings.model_copy(update={"crm": "none"})  # score for a while before connecting the CRM
    for account in ("acct_quiet", "acct_unmatched"):
        send(client, auth_headers, history_batch(account, seats=10, active_days=range(20, 80)))
    drain(runtime)
    with runtime.sessions() as session:
        waiting = list(session.scalars(select(Intervention)))
    matched = [i for i in waiting if i.account_id == "acct_quiet"]
    assert matched and {i.account_id for i in waiting} == {"acct_quiet", "acct_unmatched"}
    status = orjson.loads(CliRunner().invoke(cli, ["status", "--json"], env=env).output)["crm"]
    assert status["first_sync"] is True and status["crm"] == "hubspot"
    assert (status["tasks_waiting"], status["accounts_waiting"]) == (len(waiting), 2)
    table = CliRunner().invoke(cli, ["status"], env=env).output
    assert f"first sync would create up to {len(waiting)} task(s) for 2 account(s)" in " ".join(table.split())
    provision(env)
    _seed_companies(sandbox, ["acct_quiet"])
    dry = sync_json(env, "--all", "--dry-run")
    sequenced = [i for i in matched if "email_sequence" in i.channels]
    assert (dry["tasks_created"], dry["task_accounts"], dry["enrolled"]) == (len(matched), 1, len(sequenced))
    assert dry["unmatched"] == ["acct_unmatched"]
    assert not _tasks(sandbox) and sandbox.state.dump()["enrollments"] == [], "a dry run creates nothing"
    text = CliRunner().invoke(cli, ["sync", "--all", "--dry-run"], env=env).output
    assert f"would create {len(matched)} task(s) for 1 account(s), 0 note(s), {len(sequenced)} enrollment(s)" in text
    done = sync_json(env, "--all")
    assert (done["tasks_created"], done["task_accounts"], done["enrolled"]) == (len(matched), 1, len(sequenced))
    after = orjson.loads(CliRunner().invoke(cli, ["status", "--json"], env=env).output)["crm"]
    assert after["first_sync"] is False
    assert after["summary"] == f"{len(waiting) - len(matched)} intervention(s) for 1 account(s) waiting for the CRM"
