"""SalesforceAdapter against the Salesforce sandbox over real HTTPS with simple-salesforce: what is Salesforce's
own (logins, session expiry, Tooling provisioning, describe checks, SOQL paging, the daily API allocation,
tasks and notes as Tasks, cadences, opportunities). The behaviours every CRM shares live in test_crm_contract.py."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.adapters import HTTPAdapter

from crm_adapters.base import (
    AccountKey,
    EnrollmentSpec,
    FieldMapping,
    FieldSpec,
    NoteSpec,
    Outcome,
    RecordUpdate,
    TaskSpec,
    TaskUpdate,
)
from crm_adapters.errors import CrmAuthError, CrmRetryableError
from crm_adapters.rich_text import RichText
from crm_adapters.salesforce import SalesforceAdapter, SalesforceCredentials, SalesforceOptions
from crm_adapters.sandbox import SalesforceSettings, SandboxServer

pytestmark = pytest.mark.integration

TIERS = ("healthy", "monitor", "at_risk", "critical", "churning")
SCORE = FieldSpec("score", "Healthloop_Score__c", "Health score", "number")
TIER = FieldSpec("tier", "Healthloop_Tier__c", "Health tier", "enumeration", TIERS)
SCORED_AT = FieldSpec("scored_at", "Healthloop_Scored_At__c", "Health scored at", "datetime")
REASON = FieldSpec("reason", "Healthloop_Reason__c", "Health: reason", "text")
MAPPING = FieldMapping(fields=(SCORE, TIER, SCORED_AT, REASON), match_field="Healthloop_Account_Id__c")
DUE = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CREATE = "POST /services/data/{v}/composite/sobjects"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tls=True) as server:
        yield server


@pytest.fixture
def make_adapter(sandbox: SandboxServer) -> Iterator[Callable[..., SalesforceAdapter]]:
    built: list[SalesforceAdapter] = []
    creds = sandbox.salesforce.credentials

    def make(credentials: SalesforceCredentials | None = None, **options: Any) -> SalesforceAdapter:
        session = requests.Session()
        session.verify = sandbox.ca_file
        credentials = credentials or SalesforceCredentials(
            username=creds.username,
            password=creds.password,
            security_token=creds.security_token,
            consumer_key=creds.consumer_key,
            consumer_secret=creds.consumer_secret,
            login_url=sandbox.salesforce_url,
        )
        made = SalesforceAdapter(
            credentials, SalesforceOptions(**({"backoff_seconds": 0.01} | options)), session=session
        )
        built.append(made)
        return made

    yield make
    for made in built:
        made.close()
    sandbox.reset()
    defaults = SalesforceSettings()
    sandbox.configure_salesforce(
        daily_limit=defaults.daily_limit, page_size=defaults.page_size, sales_engagement=True, jwt_public_key=None
    )


@pytest.fixture
def adapter(make_adapter: Callable[..., SalesforceAdapter]) -> SalesforceAdapter:
    made = make_adapter()
    made.provision(MAPPING)
    return made


def seed_accounts(sandbox: SandboxServer, count: int, **extra: Any) -> list[tuple[str, str]]:
    accounts = [f"acct-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    rows = [{"Name": f"Company {a}", "Healthloop_Account_Id__c": a} | extra for a in accounts]
    return list(zip(accounts, sandbox.seed_salesforce({"accounts": rows})["accounts"], strict=True))


def values_of(sandbox: SandboxServer, record_id: str) -> dict[str, Any]:
    record = sandbox.salesforce.find(record_id)
    assert record is not None
    return record.values


def count(sandbox: SandboxServer, route: str) -> int:
    return sandbox.request_counts()["by_route"].get(route, 0)


# --- logins and sessions ------------------------------------------------------------------------


def test_the_password_flow_logs_in_and_reads_the_daily_allocation(adapter: SalesforceAdapter):
    assert adapter.check(MAPPING)
    assert adapter.usage.by_kind["oauth.token"] == 1
    assert adapter.usage.daily_max == SalesforceSettings().daily_limit
    assert 0 < adapter.usage.daily_remaining < adapter.usage.daily_max


def test_a_wrong_password_is_an_auth_error_that_names_the_variables_not_the_secret(make_adapter, sandbox):
    creds = sandbox.salesforce.credentials
    wrong = SalesforceCredentials(
        username=creds.username, password="hunter2-wrong", security_token=creds.security_token,
        consumer_key=creds.consumer_key, consumer_secret=creds.consumer_secret, login_url=sandbox.salesforce_url,
    )  # fmt: skip
    with pytest.raises(CrmAuthError) as caught:
        make_adapter(wrong).check(MAPPING)
    assert "SALESFORCE_PASSWORD" in caught.value.message and "hunter2" not in caught.value.message
    assert "hunter2" not in repr(wrong)


def test_the_jwt_bearer_flow_signs_an_assertion_the_org_accepts(make_adapter, sandbox: SandboxServer, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    sandbox.configure_salesforce(jwt_public_key=public.decode())
    (tmp_path / "key.pem").write_bytes(pem)
    creds = sandbox.salesforce.credentials
    for private_key in (pem.decode(), str(tmp_path / "key.pem")):
        made = make_adapter(
            SalesforceCredentials(
                username=creds.username,
                consumer_key=creds.consumer_key,
                private_key=private_key,
                login_url=sandbox.salesforce_url,
            )
        )
        assert made.client.credentials.mode == "jwt"
        assert made.provision(MAPPING).created or made.check(MAPPING)


def test_a_session_id_works_until_it_expires_and_then_names_the_variable(make_adapter, sandbox: SandboxServer):
    made = make_adapter(
        SalesforceCredentials(session_id=sandbox.issue_salesforce_session(), instance_url=sandbox.salesforce_url)
    )
    assert made.provision(MAPPING).created
    sandbox.expire_sessions()
    with pytest.raises(CrmAuthError) as caught:
        made.check(MAPPING)
    assert "SALESFORCE_SESSION_ID" in caught.value.message


def test_an_expired_session_logs_in_again_and_the_write_in_flight_lands(adapter: SalesforceAdapter, sandbox):
    [(account_id, record_id)] = seed_accounts(sandbox, 1)
    sandbox.expire_sessions()
    [outcome] = adapter.write_fields([RecordUpdate(account_id, record_id, {SCORE.name: "77"})])
    assert outcome.ok
    assert values_of(sandbox, record_id)[SCORE.name] == 77
    assert adapter.usage.by_kind["relogin"] == 1
    assert adapter.usage.by_kind["oauth.token"] == 2


# --- provisioning and checks --------------------------------------------------------------------


def test_provisioning_creates_the_key_fields_and_runs_twice(make_adapter, sandbox: SandboxServer):
    made = make_adapter()
    first = made.provision(MAPPING)
    assert set(first.created) == {*MAPPING.names(), "Healthloop_Account_Id__c", "Task.Healthloop_Key__c"}
    second = made.provision(MAPPING)
    assert (second.created, second.updated, set(second.existing)) == ((), (), set(first.created))
    described = {f["name"]: f for f in sandbox.salesforce.describe("Account")["fields"]}
    assert described[SCORE.name]["precision"] == 3
    assert [v["value"] for v in described[TIER.name]["picklistValues"]] == list(TIERS)
    assert described["Healthloop_Account_Id__c"]["externalId"] and described["Healthloop_Account_Id__c"]["unique"]
    assert next(f for f in sandbox.salesforce.describe("Task")["fields"] if f["name"] == "Healthloop_Key__c")["unique"]


def test_provisioning_adds_missing_picklist_values_and_keeps_the_existing(make_adapter, sandbox: SandboxServer):
    metadata = {"label": "Tier", "type": "Picklist", "valueSet": {"restricted": True, "valueSetDefinition": {
        "sorted": False, "value": [{"fullName": "legacy", "label": "Legacy", "default": False},
                                   {"fullName": "healthy", "label": "Healthy", "default": False}]}}}  # fmt: skip
    sandbox.seed_salesforce({"custom_fields": [{"FullName": f"Account.{TIER.name}", "Metadata": metadata}]})
    made = make_adapter()
    result = made.provision(MAPPING)
    assert result.updated == (TIER.name,)
    tier = next(f for f in sandbox.salesforce.describe("Account")["fields"] if f["name"] == TIER.name)
    values = [v["value"] for v in tier["picklistValues"]]
    assert values == ["legacy", *TIERS]
    assert all(c.ok for c in made.check(MAPPING))


def test_check_reports_missing_wrong_type_missing_values_and_read_only_fields(make_adapter, sandbox):
    metadata = {"label": "Tier", "type": "Picklist", "valueSet": {"restricted": True, "valueSetDefinition": {
        "value": [{"fullName": "healthy", "label": "Healthy"}]}}}  # fmt: skip
    sandbox.seed_salesforce({"custom_fields": [{"FullName": f"Account.{TIER.name}", "Metadata": metadata}]})
    mapping = FieldMapping(
        fields=(
            SCORE,
            TIER,
            FieldSpec("trend", "Name", "Trend", "number"),
            FieldSpec("scored_at", "CreatedDate", "Scored at", "datetime"),
        ),
        match_field="Healthloop_Account_Id__c",
    )
    checks = {c.name: c for c in make_adapter().check(mapping)}
    assert {name: c.problem for name, c in checks.items()} == {
        SCORE.name: "missing",
        TIER.name: "missing_options",
        "Name": "wrong_type",
        "CreatedDate": "read_only",
        "Healthloop_Account_Id__c": "missing",
    }
    assert "field-level security" in checks[SCORE.name].fix
    assert "monitor" in checks[TIER.name].detail


# --- resolving and writing ----------------------------------------------------------------------


def test_resolve_follows_next_records_url_pages(adapter: SalesforceAdapter, sandbox: SandboxServer):
    accounts = seed_accounts(sandbox, 7)
    sandbox.configure_salesforce(page_size=2)
    found = adapter.resolve([AccountKey(a) for a, _ in accounts], MAPPING)
    assert found == dict(accounts)
    assert adapter.usage.by_kind["accounts.resolve.more"] == 3


def test_resolve_by_domain_normalizes_websites(adapter: SalesforceAdapter, sandbox: SandboxServer):
    ids = sandbox.seed_salesforce({"accounts": [
        {"Name": "Acme", "Website": "https://www.Acme.com/pricing"},
        {"Name": "Notacme", "Website": "notacme.com"},
        {"Name": "Globex", "Website": "globex.io"},
    ]})["accounts"]  # fmt: skip
    mapping = FieldMapping(fields=MAPPING.fields, match_by="domain", match_field="Website")
    keys = [AccountKey("a1", "acme.com"), AccountKey("a2", "http://GLOBEX.io/"), AccountKey("a3", "initech.com")]
    assert adapter.resolve(keys, mapping) == {"a1": ids[0], "a2": ids[2]}


def test_values_are_written_by_kind_and_none_clears(adapter: SalesforceAdapter, sandbox: SandboxServer):
    [(account_id, record_id)] = seed_accounts(sandbox, 1)
    values = {SCORE.name: "64", TIER.name: "monitor", SCORED_AT.name: "2026-03-01T10:00:00+00:00", REASON.name: "x"}
    assert adapter.write_fields([RecordUpdate(account_id, record_id, values)])[0].ok
    stored = values_of(sandbox, record_id)
    assert (stored[SCORE.name], stored[TIER.name], stored[REASON.name]) == (64, "monitor", "x")
    assert stored[SCORED_AT.name].startswith("2026-03-01T10:00:00")
    assert adapter.write_fields([RecordUpdate(account_id, record_id, {REASON.name: None, SCORE.name: None})])[0].ok
    assert values_of(sandbox, record_id)[REASON.name] is None


def test_a_bad_number_fails_alone_before_it_reaches_salesforce(adapter: SalesforceAdapter, sandbox: SandboxServer):
    accounts = seed_accounts(sandbox, 2)
    updates = [RecordUpdate(a, r, {SCORE.name: v}) for (a, r), v in zip(accounts, ("lots", "12"), strict=True)]
    bad, good = adapter.write_fields(updates)
    assert (bad.ok, bad.retryable, good.ok) == (False, False, True)
    assert "lots" in bad.reason


# --- the daily API allocation -------------------------------------------------------------------


def test_request_limit_exceeded_pauses_without_hammering(make_adapter, sandbox: SandboxServer):
    made = make_adapter()
    made.provision(MAPPING)
    accounts = seed_accounts(sandbox, 2)
    sandbox.configure_salesforce(daily_limit=sandbox.salesforce.api_usage()[0])
    [outcome] = made.write_fields([RecordUpdate(accounts[0][0], accounts[0][1], {SCORE.name: "1"})])
    assert (outcome.ok, outcome.retryable) == (False, True)
    assert "REQUEST_LIMIT_EXCEEDED" in outcome.reason or "request limit" in outcome.reason
    before = sandbox.request_counts()["total"]
    with pytest.raises(CrmRetryableError) as caught:
        made.resolve([AccountKey(accounts[1][0])], MAPPING)
    assert caught.value.retry_after and caught.value.retry_after > 60
    assert sandbox.request_counts()["total"] == before  # paused locally: nothing was sent
    assert made.usage.retries == 0


def test_the_adapter_stops_at_its_share_of_the_daily_allocation(make_adapter, sandbox: SandboxServer):
    made = make_adapter(max_daily_share=0.5)
    made.provision(MAPPING)
    accounts = seed_accounts(sandbox, 30)
    used = sandbox.salesforce.api_usage()[0]
    sandbox.configure_salesforce(daily_limit=2 * used + 10)
    outcomes = []
    for pair in accounts:
        outcomes += made.write_fields([RecordUpdate(pair[0], pair[1], {SCORE.name: "5"})])
    written = [o for o in outcomes if o.ok]
    paused = [o for o in outcomes if not o.ok]
    assert written and paused and all(o.retryable for o in paused)
    assert "share" in paused[0].reason
    spent, limit = sandbox.salesforce.api_usage()
    assert spent <= limit * 0.5 + 1  # one call may cross the line: the header that says so comes with it


# --- tasks and notes ----------------------------------------------------------------------------


def task(key: str, record_id: str, **changes: Any) -> TaskSpec:
    return TaskSpec(key, record_id, "Re-engage Acme", RichText.of("Score dropped 18 points"), DUE, "HIGH", **changes)


def tasks_with_key(sandbox: SandboxServer, key: str) -> list[dict[str, Any]]:
    rows = sandbox.salesforce_state("Task")["Task"]
    return [t for t in rows if t.get("Healthloop_Key__c") == key and not t["IsDeleted"]]


def test_tasks_carry_every_field_and_land_once_per_key(adapter: SalesforceAdapter, sandbox: SandboxServer):
    [(_, record_id)] = seed_accounts(sandbox, 1)
    owner = sandbox.seed_salesforce({"users": [{"FirstName": "Cy", "LastName": "Csm", "Email": "cy@example.com"}]})
    spec = task("iv-1", record_id, task_type="CALL", owner_id=owner["users"][0])
    first = adapter.upsert_tasks([spec])
    again = adapter.upsert_tasks([spec])
    assert first[0].ok and again == [Outcome("iv-1", True, first[0].remote_id, reason="already exists")]
    [stored] = tasks_with_key(sandbox, "iv-1")
    assert (stored["Subject"], stored["Priority"], stored["Status"], stored["ActivityDate"]) == (
        "Re-engage Acme", "High", "Not Started", "2026-12-01",
    )  # fmt: skip
    assert (stored["WhatId"], stored["OwnerId"], stored["TaskSubtype"]) == (record_id, owner["users"][0], "Call")


class LoseFirstCreateResponse(HTTPAdapter):
    """Transport that arms the sandbox's fail-after-commit fault just before the first Task create goes out."""

    def __init__(self, sandbox: SandboxServer) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.armed = False

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if not self.armed and request.method == "POST" and str(request.url).endswith("composite/sobjects"):
            self.armed = True
            self.sandbox.set_faults(burst=1, fail_after_commit=True)  # created, but the answer never arrives
        return super().send(request, *args, **kwargs)


def test_a_lost_create_response_still_leaves_one_task(adapter: SalesforceAdapter, sandbox: SandboxServer):
    [(_, record_id)] = seed_accounts(sandbox, 1)
    adapter.client.session.mount("https://", LoseFirstCreateResponse(sandbox))
    [outcome] = adapter.upsert_tasks([task("iv-lost", record_id)])
    sandbox.set_faults(fail_after_commit=False)
    assert outcome.ok
    assert [t["Id"] for t in tasks_with_key(sandbox, "iv-lost")] == [outcome.remote_id]
    assert count(sandbox, CREATE) == 2  # the retry met DUPLICATE_VALUE and read the task back
    assert adapter.usage.retries == 1


def test_racing_workers_create_one_task(make_adapter, sandbox: SandboxServer):
    first, second = make_adapter(), make_adapter()
    first.provision(MAPPING)
    [(_, record_id)] = seed_accounts(sandbox, 1)
    specs = [task(f"iv-race-{i}", record_id) for i in range(20)]
    results: dict[str, list] = {}
    threads = [
        threading.Thread(target=lambda n=n, a=a: results.__setitem__(n, a.upsert_tasks(specs)))
        for n, a in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, spec in enumerate(specs):
        stored = tasks_with_key(sandbox, spec.key)
        assert len(stored) == 1
        assert results["first"][index].remote_id == results["second"][index].remote_id == stored[0]["Id"]


def test_a_task_on_a_deleted_account_fails_alone(adapter: SalesforceAdapter, sandbox: SandboxServer):
    accounts = seed_accounts(sandbox, 2)
    sandbox.salesforce.delete(sandbox.salesforce.get("Account", accounts[0][1]))
    gone, fine = adapter.upsert_tasks([task("iv-gone", accounts[0][1]), task("iv-fine", accounts[1][1])])
    assert (gone.ok, gone.not_found, fine.ok) == (False, True, True)


def test_update_tasks_appends_notes_completes_and_leaves_closed_tasks_alone(adapter, sandbox: SandboxServer):
    [(_, record_id)] = seed_accounts(sandbox, 1)
    noted, completed, closed = (
        o.remote_id for o in adapter.upsert_tasks([task(f"iv-u{i}", record_id) for i in range(3)])
    )
    sandbox.salesforce.update(sandbox.salesforce.get("Task", closed), {"Status": "Completed"})
    outcomes = adapter.update_tasks([
        TaskUpdate(noted, RichText.of("Trigger cleared: activity is back")),
        TaskUpdate(completed, RichText.of("Score recovered"), complete=True),
        TaskUpdate(closed, RichText.of("Score recovered"), complete=True),
        TaskUpdate("00T000000000000AAA", RichText.of("gone")),
    ])  # fmt: skip
    assert [(o.ok, o.reason) for o in outcomes[:3]] == [(True, ""), (True, ""), (True, "already completed")]
    assert (outcomes[3].ok, outcomes[3].not_found) == (False, True)
    assert values_of(sandbox, noted)["Description"] == "Score dropped 18 points\n\nTrigger cleared: activity is back"
    assert values_of(sandbox, noted)["IsClosed"] is False
    assert values_of(sandbox, completed)["IsClosed"] is True
    assert values_of(sandbox, closed)["Description"] == "Score dropped 18 points"
    assert adapter.update_tasks([TaskUpdate(noted, RichText.of("Trigger cleared: activity is back"))])[0].reason == (
        "already up to date"
    )


def test_notes_become_completed_tasks_once_per_key(adapter: SalesforceAdapter, sandbox: SandboxServer):
    [(_, record_id)] = seed_accounts(sandbox, 1)
    note = NoteSpec(
        "note-1", record_id, RichText.of("Monitor -> At Risk", "logins down 40%"), datetime(2026, 5, 2, tzinfo=UTC)
    )
    first, again = adapter.add_notes([note]), adapter.add_notes([note])
    assert first[0].ok and again[0].remote_id == first[0].remote_id
    [stored] = tasks_with_key(sandbox, "note-1")
    assert (stored["Subject"], stored["IsClosed"], stored["ActivityDate"]) == (
        "healthloop: Monitor -> At Risk", True, "2026-05-02",
    )  # fmt: skip


def test_read_tasks_reports_status_and_completion(adapter: SalesforceAdapter, sandbox: SandboxServer):
    [(_, record_id)] = seed_accounts(sandbox, 1)
    open_id, done_id = (o.remote_id for o in adapter.upsert_tasks([task("iv-r1", record_id), task("iv-r2", record_id)]))
    sandbox.salesforce.update(sandbox.salesforce.get("Task", done_id), {"Status": "Completed"})
    statuses = adapter.read_tasks([open_id, done_id, "00T000000000000AAA", "not-an-id"])
    assert set(statuses) == {open_id, done_id}
    assert (statuses[open_id].completed, statuses[done_id].completed) == (False, True)
    assert statuses[done_id].completed_at is not None


# --- cadences, owners and renewals --------------------------------------------------------------


def test_cadence_assignment_with_the_first_contact_and_clear_failures(adapter: SalesforceAdapter, sandbox):
    seeded = sandbox.seed_salesforce({
        "accounts": [{"Name": "Acme"}, {"Name": "Empty"}],
        "contacts": [{"LastName": "First", "AccountIndex": 0}, {"LastName": "Second", "AccountIndex": 0}],
    })  # fmt: skip
    acme, empty = seeded["accounts"]
    outcomes = adapter.enroll([
        EnrollmentSpec("e1", acme, "Re-engagement: at risk"),
        EnrollmentSpec("e2", acme, "No such cadence", contact_id=seeded["contacts"][1]),
        EnrollmentSpec("e3", empty, "Re-engagement: at risk"),
    ])  # fmt: skip
    assert outcomes[0].ok
    assert not outcomes[1].ok and "cadence No such cadence does not exist" in outcomes[1].reason
    assert not outcomes[2].ok and "no contact" in outcomes[2].reason
    [tracker] = adapter.read_enrollments([seeded["contacts"][0]])
    assert (tracker.state, tracker.target_id) == ("Running", seeded["contacts"][0])


def test_cadences_report_sales_engagement_being_off(adapter: SalesforceAdapter, sandbox: SandboxServer):
    seeded = sandbox.seed_salesforce(
        {"accounts": [{"Name": "Acme"}], "contacts": [{"LastName": "A", "AccountIndex": 0}]}
    )
    sandbox.configure_salesforce(sales_engagement=False)
    [outcome] = adapter.enroll([EnrollmentSpec("e1", seeded["accounts"][0], "Executive save")])
    assert (outcome.ok, outcome.retryable) == (False, False)
    assert "Sales Engagement is not enabled" in outcome.reason


def test_check_playbook_finds_cadences_and_active_owners(adapter: SalesforceAdapter, sandbox: SandboxServer):
    users = sandbox.seed_salesforce({"users": [{"LastName": "Gone", "Email": "gone@example.com", "IsActive": False}]})
    active = sandbox.salesforce.integration_user_id
    checks = adapter.check_playbook(
        {"at_risk": EnrollmentSpec("", "", "Executive save"), "critical": EnrollmentSpec("", "", "Nope")},
        {"escalation": active, "executive": users["users"][0], "typo": "005000000000999AAA"},
    )
    assert [(c.source, c.ok, c.problem) for c in checks] == [
        ("sequence:at_risk", True, ""),
        ("sequence:critical", False, "missing"),
        ("owner:escalation", True, ""),
        ("owner:executive", False, "inactive"),
        ("owner:typo", False, "missing"),
    ]


def test_read_renewals_filters_by_type(make_adapter, sandbox: SandboxServer):
    seeded = sandbox.seed_salesforce({
        "accounts": [{"Name": "Acme"}],
        "opportunities": [
            {"Name": "Renewal 2026", "StageName": "Closed Won", "CloseDate": "2026-05-01", "Amount": 1200,
             "Type": "Existing Customer - Upgrade", "AccountIndex": 0},
            {"Name": "New logo", "StageName": "Prospecting", "CloseDate": "2026-09-01", "AccountIndex": 0},
        ],
    })  # fmt: skip
    account = seeded["accounts"][0]
    any_type = make_adapter().read_renewals([account])
    assert {r.name for r in any_type} == {"Renewal 2026", "New logo"}
    [renewal] = make_adapter(renewal_type="Existing Customer - Upgrade").read_renewals([account])
    assert (renewal.record_id, renewal.won, renewal.closed, renewal.close_date, renewal.amount) == (
        account, True, True, date(2026, 5, 1), 1200.0,
    )  # fmt: skip
