"""What a CSM gets from a sync, the same on every CRM: every task has an owner (the record's, else the
configured default), is due after it was created, open triggers are a multi-select of trigger ids with labels
in words, a text field holding them is migrated or flagged, and what `sync --dry-run` lists is exactly what the
real sync then does (and the write calls it said it would take).

End to end over real HTTP: events through the app, scoring by the jobs, then `healthloop` commands against each
CRM's sandbox through the official client. SQLite only: the storage paths are the same as test_crm_sync's,
which runs both backends; here the CRM varies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select

from connector.cli.main import cli
from connector.config.crm_section import CrmConfig
from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.crm.wiring import build_adapter
from connector.store.models import AccountScore, Intervention
from crm_adapters.base import RecordUpdate
from crm_adapters.sandbox import SandboxServer
from crm_adapters.sandbox.salesforce.custom_fields import create_custom_field
from scoring.labels import TRIGGER_LABELS
from scoring.rules import TRIGGER_IDS, ScoringRules
from tests.conftest import NO_CONTROL, SECRETS, WRITE_KEY
from tests.integration.churn_models import store_model
from tests.integration.crm_cli import provision, sync_json
from tests.integration.segment_calls import drain, history_batch, send

pytestmark = pytest.mark.integration

HUBSPOT_TOKEN = "work-contract-token"
SALESFORCE_LOGIN = {
    "SALESFORCE_USERNAME": "sandbox@example.com",
    "SALESFORCE_PASSWORD": "sandbox-password",
    "SALESFORCE_SECURITY_TOKEN": "sandbox-security-token",
    "SALESFORCE_CONSUMER_KEY": "sandbox-consumer-key",
    "SALESFORCE_CONSUMER_SECRET": "sandbox-consumer-secret",
}


@dataclass
class TaskView:
    key: str
    owner: str | None
    created: datetime
    due: datetime | date
    body: str


@dataclass
class WorkHarness:
    """One CRM's sandbox as the contract needs it."""

    name: str
    sandbox: SandboxServer
    env: dict[str, str]
    crm_settings: dict[str, Any]
    seed: Callable[[list[str], list[str]], dict[str, str]]
    """(owned accounts, accounts without an owner) -> account id -> record id."""
    record_owner: str
    """Who owns the owned records."""
    other_owner: str
    """Another valid owner, used as the configured default."""
    tasks: Callable[[], list[TaskView]]
    field_value: Callable[[str, str], Any]
    """(record id, field name) -> the value as stored (None or "" when empty)."""
    open_triggers_field: Callable[[], tuple[str, list[tuple[str, str]]]]
    """(field type, [(option value, label)]) of the open-triggers field."""
    make_text_open_triggers: Callable[[], None]
    sequence: dict[str, str]
    """A sequence (cadence) the sandbox has, as `crm.sequences` names it."""

    def open_triggers(self, record_id: str) -> str | None:
        """The open-triggers value as stored."""
        return self.field_value(record_id, CrmConfig().field_names(self.name)["open_triggers"] or "")


def hubspot(sandbox: SandboxServer) -> WorkHarness:
    state = sandbox.state
    owners = [str(o["id"]) for o in state.dump()["owners"]]

    def seed(owned: list[str], unowned: list[str]) -> dict[str, str]:
        companies = [{"name": a.title(), "healthloop_account_id": a, "hubspot_owner_id": owners[0]} for a in owned]
        companies += [{"name": a.title(), "healthloop_account_id": a} for a in unowned]
        contacts = [
            {"properties": {"email": f"lead@{a}.example.com"}, "associate": {"companies": [i]}}
            for i, a in enumerate(owned + unowned)
        ]
        ids = sandbox.seed({"companies": companies, "contacts": contacts})["companies"]
        return dict(zip(owned + unowned, ids, strict=True))

    def tasks() -> list[TaskView]:
        return [
            TaskView(
                p["healthloop_intervention_key"],
                p.get("hubspot_owner_id"),
                datetime.fromisoformat(t["createdAt"].replace("Z", "+00:00")),
                datetime.fromisoformat(p["hs_timestamp"].replace("Z", "+00:00")),
                p["hs_task_body"],
            )
            for t in state.dump("tasks")["tasks"]
            if not t["archived"]
            for p in [t["properties"]]
        ]

    def field() -> tuple[str, list[tuple[str, str]]]:
        definition = state.property_definition("companies", "healthloop_open_triggers")
        return f"{definition['type']}/{definition['fieldType']}", [
            (o["value"], o["label"]) for o in definition["options"]
        ]

    def make_text() -> None:
        state.create_group("companies", {"name": "healthloop", "label": "healthloop"})
        body = {"name": "healthloop_open_triggers", "label": "Open triggers", "type": "string", "fieldType": "text"}
        state.create_property("companies", body | {"groupName": "healthloop"})

    return WorkHarness(
        name="hubspot",
        sandbox=sandbox,
        env={"HEALTHLOOP_CRM": "hubspot", "HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN, "HUBSPOT_BASE_URL": sandbox.url},
        crm_settings={
            "crm": "hubspot",
            "hubspot_access_token": SecretStr(HUBSPOT_TOKEN),
            "hubspot_base_url": sandbox.url,
        },
        seed=seed,
        record_owner=owners[0],
        other_owner=owners[1],
        tasks=tasks,
        field_value=lambda record_id, name: state.get("companies", record_id).properties.get(name),
        open_triggers_field=field,
        make_text_open_triggers=make_text,
        sequence=_hubspot_sequence(sandbox),
    )


def _hubspot_sequence(sandbox: SandboxServer) -> dict[str, str]:
    sequence = next(s for s in sandbox.state.dump()["sequences"] if s["name"] == "Onboarding nudge")
    owner = sandbox.state.owner_by_user(str(sequence["userId"]))
    assert owner is not None
    return {"sequence_id": str(sequence["id"]), "user_id": str(sequence["userId"]), "sender_email": owner["email"]}


def salesforce(sandbox: SandboxServer) -> WorkHarness:
    org = sandbox.salesforce
    users = {u.get("FirstName"): u["Id"] for u in sandbox.salesforce_state("User")["User"]}

    def seed(owned: list[str], unowned: list[str]) -> dict[str, str]:
        # Records an integration creates belong to its own user: for a CSM that is no owner at all.
        accounts = [{"Name": a.title(), "Healthloop_Account_Id__c": a, "OwnerId": users["Ben"]} for a in owned]
        accounts += [{"Name": a.title(), "Healthloop_Account_Id__c": a} for a in unowned]
        contacts = [{"LastName": "Lead", "AccountIndex": i} for i in range(len(owned + unowned))]
        ids = sandbox.seed_salesforce({"accounts": accounts, "contacts": contacts})["accounts"]
        return dict(zip(owned + unowned, ids, strict=True))

    def tasks() -> list[TaskView]:
        return [
            TaskView(
                t["Healthloop_Key__c"],
                t.get("OwnerId"),
                datetime.strptime(t["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%f%z"),
                date.fromisoformat(t["ActivityDate"]),
                t.get("Description") or "",
            )
            for t in sandbox.salesforce_state("Task")["Task"]
            if not t["IsDeleted"] and not t["IsClosed"]
        ]

    def field() -> tuple[str, list[tuple[str, str]]]:
        described = org.field("Account", "Healthloop_Open_Triggers__c") or {}
        return str(described.get("type")), [(v["value"], v["label"]) for v in described.get("picklistValues", [])]

    def make_text() -> None:
        metadata = {"label": "Open triggers", "type": "LongTextArea", "length": 32768, "visibleLines": 3}
        create_custom_field(org, {"FullName": "Account.Healthloop_Open_Triggers__c", "Metadata": metadata})

    return WorkHarness(
        name="salesforce",
        sandbox=sandbox,
        env=SALESFORCE_LOGIN
        | {"HEALTHLOOP_CRM": "salesforce", "SALESFORCE_LOGIN_URL": sandbox.salesforce_url,
           "SALESFORCE_CA_BUNDLE": sandbox.ca_file},
        crm_settings={
            "crm": "salesforce",
            "salesforce_username": SALESFORCE_LOGIN["SALESFORCE_USERNAME"],
            "salesforce_password": SecretStr(SALESFORCE_LOGIN["SALESFORCE_PASSWORD"]),
            "salesforce_security_token": SecretStr(SALESFORCE_LOGIN["SALESFORCE_SECURITY_TOKEN"]),
            "salesforce_consumer_key": SALESFORCE_LOGIN["SALESFORCE_CONSUMER_KEY"],
            "salesforce_consumer_secret": SecretStr(SALESFORCE_LOGIN["SALESFORCE_CONSUMER_SECRET"]),
            "salesforce_login_url": sandbox.salesforce_url,
            "salesforce_ca_bundle": sandbox.ca_file,
        },
        seed=seed,
        record_owner=users["Ben"],
        other_owner=users["Ana"],
        tasks=tasks,
        field_value=lambda record_id, name: (org.find(record_id) or org.get("Account", record_id)).values.get(name),
        open_triggers_field=field,
        make_text_open_triggers=make_text,
        sequence={"sequence_id": sandbox.salesforce_state("ActionCadence")["ActionCadence"][0]["Id"],
                  "user_id": users["Ana"]},
    )  # fmt: skip


@pytest.fixture(params=["hubspot", "salesforce"])
def crm(request: pytest.FixtureRequest) -> Iterator[WorkHarness]:
    with SandboxServer(HUBSPOT_TOKEN, tls=request.param == "salesforce") as sandbox:
        yield (hubspot if request.param == "hubspot" else salesforce)(sandbox)


@pytest.fixture
def database_url(sqlite_url: str) -> str:  # type: ignore[override]
    from tests.conftest import _empty, _engine_for

    _empty(_engine_for(sqlite_url))
    return sqlite_url


@pytest.fixture
def settings(database_url: str, redis_url: str, crm: WorkHarness) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        write_keys=WRITE_KEY,
        console_url="https://hl.example.com",
        **crm.crm_settings,
        **SECRETS,
    )


@pytest.fixture
def config() -> Config:
    return Config(crm=CrmConfig(sync_delay_seconds=0), scoring=NO_CONTROL)


@pytest.fixture
def env(settings: Settings, crm: WorkHarness, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return crm.env | {
        "HEALTHLOOP_DATABASE_URL": settings.database_url,
        "HEALTHLOOP_REDIS_URL": settings.redis_url,
        "HEALTHLOOP_CONSOLE_URL": "https://hl.example.com",
    }


def configured(env: dict[str, str], tmp_path, owners: dict[str, str], **crm: Any) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """`env` with a config file naming these owners (and any other `crm:` keys)."""
    path = tmp_path / "healthloop.yaml"
    path.write_bytes(orjson.dumps({"crm": {"owners": owners, **crm}}))  # JSON is YAML
    return env | {"HEALTHLOOP_CONFIG": str(path)}


def sequence_plays() -> ScoringRules:
    """The playbook with every tier's play an email sequence (so the sync also enrolls)."""
    tiers = {
        tier: row.model_copy(update={"channels": ["email_sequence"]}) for tier, row in NO_CONTROL.playbook.tiers.items()
    }
    return NO_CONTROL.model_copy(update={"playbook": NO_CONTROL.playbook.model_copy(update={"tiers": tiers})})


def score_quietly(client, auth_headers, runtime, settings, accounts: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Score accounts that went quiet 20 days ago (each gets an intervention) without syncing them."""
    runtime.settings = settings.model_copy(update={"crm": "none"})
    for account in accounts:
        send(client, auth_headers, history_batch(account, seats=8, active_days=range(20, 80)))
    drain(runtime)
    runtime.settings = settings


def test_every_task_goes_to_the_record_owner_else_the_configured_default(
    client, auth_headers, runtime, settings, env, crm, tmp_path
):
    provision(env)
    ids = crm.seed(["acct_owned"], ["acct_orphan"])
    score_quietly(client, auth_headers, runtime, settings, ["acct_owned", "acct_orphan"])
    env = configured(env, tmp_path, {"default": crm.other_owner})
    check = CliRunner().invoke(cli, ["crm", "check", "--json"], env=env)
    rows = {r["source"]: r for r in orjson.loads(check.output)}
    assert rows["owner:fallback"]["ok"] and rows["owner:fallback"]["name"] == crm.other_owner, check.output
    report = sync_json(env, "--all")
    assert report["failures"] == [] and report["tasks_created"] == 2, report
    owners = {task.key.split(":")[0]: task.owner for task in crm.tasks()}
    assert owners == {"acct_owned": crm.record_owner, "acct_orphan": crm.other_owner}
    assert ids  # both records exist


def test_no_task_without_an_owner_and_check_and_status_say_so_first(client, auth_headers, runtime, settings, env, crm):
    provision(env)
    crm.seed(["acct_owned"], ["acct_orphan"])
    score_quietly(client, auth_headers, runtime, settings, ["acct_owned", "acct_orphan"])
    status = CliRunner().invoke(cli, ["status"], env=env)
    assert "no default or escalation owner" in " ".join(status.output.split()), status.output
    check = CliRunner().invoke(cli, ["crm", "check", "--json"], env=env)
    assert check.exit_code == 1, check.output
    row = next(r for r in orjson.loads(check.output) if r["source"] == "owner:fallback")
    assert row["problem"] == "no_owner" and "Acct_Orphan" in row["detail"] and "crm.owners.default" in row["fix"]
    assert crm.tasks() == [], "crm check made nothing"
    dry = sync_json(env, "--all", "--dry-run")
    assert [(i["kind"], i["account_id"]) for i in dry["items"] if i["kind"] == "no_owner"] == [
        ("no_owner", "acct_orphan")
    ]
    report = sync_json(env, "--all")
    assert [(f["account_id"], f["what"]) for f in report["failures"]] == [("acct_orphan", "task")]
    assert "no owner" in report["failures"][0]["reason"]
    assert [task.owner for task in crm.tasks()] == [crm.record_owner], "only the owned record got its task"
    later = CliRunner().invoke(cli, ["status"], env=env)
    assert "1 task(s) wait for an owner" in " ".join(later.output.split()), later.output


def test_every_task_is_due_after_it_was_created_even_a_play_due_immediately(
    client, auth_headers, runtime, settings, env, crm, tmp_path
):
    provision(env)
    crm.seed(["acct_owned"], [])
    score_quietly(client, auth_headers, runtime, settings, ["acct_owned"])
    with runtime.sessions.begin() as session:  # as decided an hour ago, due at once (a Critical play)
        for intervention in session.scalars(select(Intervention)):
            intervention.due_at = intervention.created_at
    sync_json(env, "--all")
    [task] = crm.tasks()
    if isinstance(task.due, datetime):
        assert task.due > task.created
    else:
        assert task.due >= task.created.date(), "a date-only due date is on or after the day it was created"
    with runtime.sessions() as session:
        stored = session.scalars(select(Intervention)).one()
    assert stored.crm_due_at is not None and stored.crm_due_at > datetime.now(UTC)
    assert stored.crm_owner_id == crm.record_owner
    assert "acct_owned" not in task.body.replace("https://hl.example.com/console/accounts/acct_owned", "")
    assert "https://hl.example.com/console/accounts/acct_owned" in task.body, "the link to the account page"


def test_open_triggers_are_a_multi_select_of_trigger_ids_with_labels_in_words(
    client, auth_headers, runtime, settings, env, crm
):
    provision(env)
    ids = crm.seed(["acct_owned"], [])
    score_quietly(client, auth_headers, runtime, settings, ["acct_owned"])
    sync_json(env, "--all")
    kind, options = crm.open_triggers_field()
    assert kind in ("enumeration/checkbox", "multipicklist")
    assert options == [(trigger, TRIGGER_LABELS[trigger]) for trigger in TRIGGER_IDS]
    value = crm.open_triggers(ids["acct_owned"])
    assert value and value.split(";") == sorted(value.split(";")) and set(value.split(";")) <= set(TRIGGER_IDS)
    assert "inactive" in value.split(";")


def test_a_text_open_triggers_field_is_migrated_or_flagged_with_the_way_out(env, crm):
    crm.make_text_open_triggers()
    result = CliRunner().invoke(cli, ["crm", "provision"], env=env)
    assert result.exit_code == 0, result.output
    check = CliRunner().invoke(cli, ["crm", "check", "--json"], env=env)
    row = next(r for r in orjson.loads(check.output) if r["source"] == "open_triggers")
    if crm.name == "hubspot":
        assert "migrated healthloop_open_triggers" in " ".join(result.output.split())
        assert "now a multi-select" in result.output
        assert row["ok"] and not row["warning"] and crm.open_triggers_field()[0] == "enumeration/checkbox"
    else:  # Salesforce cannot turn a long text area into a multi-select picklist without losing its data
        assert "stays as it is" in result.output and "delete Account.Healthloop_Open_Triggers__c" in result.output
        assert (row["ok"], row["warning"], row["problem"]) == (True, True, "not_multiselect")
        assert "run `healthloop crm provision`" in row["fix"]
    assert check.exit_code == 0, "the values still land: the sync may run"


def test_a_dry_run_lists_exactly_what_the_real_run_then_does(
    client, auth_headers, runtime, settings, env, crm, tmp_path
):
    provision(env)
    crm.seed(["acct_a", "acct_b"], ["acct_c"])
    runtime.config = runtime.config.model_copy(update={"scoring": sequence_plays()})
    score_quietly(client, auth_headers, runtime, settings, ["acct_a", "acct_b", "acct_c"])
    env = configured(env, tmp_path, {"default": crm.other_owner}, sequences={"default": crm.sequence})
    dry = sync_json(env, "--all", "--dry-run")
    text = CliRunner().invoke(cli, ["sync", "--all", "--dry-run"], env=env).output
    assert crm.tasks() == [], "a dry run creates nothing"
    done = sync_json(env, "--all")
    assert done["failures"] == [] and done["retry_later"] == []

    def listed(report: dict[str, Any]) -> list[tuple[str, str, str]]:
        return sorted((i["kind"], i["account_id"], i["what"]) for i in report["items"])

    assert listed(dry) == listed(done)
    assert {kind for kind, _, _ in listed(dry)} >= {"task", "enrollment"}, listed(dry)
    for count in ("tasks_created", "task_accounts", "enrolled", "notes", "tasks_updated"):
        assert dry[count] == done[count], count
    assert {c["account_id"]: c["fields"] for c in dry["changes"]} == {
        c["account_id"]: c["fields"] for c in done["changes"]
    }
    assert dry["estimate"]["writes"] == done["api"]["write_calls"], (dry["estimate"], done["api"])
    for item in dry["items"]:
        assert item["what"] in text, f"the dry run's text lists {item['what']}"
    assert f"{dry['estimate']['writes']} write(s)" in text


def test_the_crm_refuses_a_multi_select_value_that_is_not_one_of_its_options(settings, env, crm):
    provision(env)
    ids = crm.seed(["acct_owned"], [])
    adapter = build_adapter(settings, Config())
    name = CrmConfig().field_names(crm.name)["open_triggers"]
    assert name is not None
    good, bad = (
        RecordUpdate("acct_owned", ids["acct_owned"], {name: "low_score;seats_inactive"}),
        RecordUpdate("acct_owned", ids["acct_owned"], {name: "low_score;no_such_trigger"}),
    )
    assert [o.ok for o in adapter.write_fields([good])] == [True]
    [refused] = adapter.write_fields([bad])
    assert not refused.ok and not refused.retryable and "no_such_trigger" in refused.reason
    assert crm.open_triggers(ids["acct_owned"]) == "low_score;seats_inactive", "the good value stays"
    adapter.close()  # type: ignore[attr-defined]


def test_the_learned_churn_probability_is_written_while_a_model_is_in_use_and_cleared_once_it_is_retired(
    client, auth_headers, runtime, settings, env, crm
):
    provision(env)
    ids = crm.seed(["acct_a", "acct_b"], [])
    store_model(runtime.sessions, in_use=True)
    score_quietly(client, auth_headers, runtime, settings, ["acct_a", "acct_b"])
    with runtime.sessions() as session:
        stored = dict(session.execute(select(AccountScore.account_id, AccountScore.churn_probability)).all())
    assert set(stored) == {"acct_a", "acct_b"} and all(0 < p < 1 for p in stored.values()), stored
    names = CrmConfig().field_names(crm.name)
    probability, drivers = names["churn_probability"] or "", names["churn_drivers"] or ""
    assert sync_json(env, "--all")["failures"] == []
    for account, record_id in ids.items():
        assert float(crm.field_value(record_id, probability)) == round(stored[account] * 100, 1), account
        assert crm.field_value(record_id, drivers) == "days since the last meaningful action +1.0", "20 days quiet"
    store_model(runtime.sessions, in_use=False)  # a later fit that did not beat the score: the model is retired
    dry = sync_json(env, "--all", "--dry-run")
    for change in dry["changes"]:
        assert change["fields"][probability]["new"] is None and change["fields"][drivers]["new"] is None
        assert float(change["fields"][probability]["old"]) == round(stored[change["account_id"]] * 100, 1)
    assert sorted(c["account_id"] for c in dry["changes"]) == ["acct_a", "acct_b"]
    assert sync_json(env, "--all")["written"] == 2, "cleared before any rescore: the stored numbers are stale"
    for record_id in ids.values():
        assert crm.field_value(record_id, probability) in (None, "")
        assert crm.field_value(record_id, drivers) in (None, "")


def test_without_a_model_in_use_the_churn_fields_stay_empty(client, auth_headers, runtime, settings, env, crm):
    provision(env)
    ids = crm.seed(["acct_a"], [])
    store_model(runtime.sessions, in_use=False)  # fitted, evaluated, not better than the score
    score_quietly(client, auth_headers, runtime, settings, ["acct_a"])
    report = sync_json(env, "--all")
    assert report["failures"] == [] and report["written"] == 1
    names = CrmConfig().field_names(crm.name)
    for value in ("churn_probability", "churn_drivers"):
        assert crm.field_value(ids["acct_a"], names[value] or "") in (None, ""), value
    assert crm.field_value(ids["acct_a"], names["score"] or "") not in (None, ""), "the rest was written"
