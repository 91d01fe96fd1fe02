"""HubSpotAdapter against the HubSpot sandbox over real HTTP with hubspot-api-client: what is HubSpot's own
(schema details, domains, tasks and notes, sequences, deals, OAuth, rate-limit headers, lost responses).
The behaviours every CRM shares live in test_crm_contract.py."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import pytest

from crm_adapters.base import (
    AccountKey,
    EnrollmentSpec,
    FieldMapping,
    FieldSpec,
    NoteSpec,
    RecordUpdate,
    TaskSpec,
    TaskUpdate,
)
from crm_adapters.errors import CrmAuthError, CrmRetryableError
from crm_adapters.hubspot import HubSpotAdapter, HubSpotCredentials, HubSpotOptions
from crm_adapters.rich_text import Bullets, Paragraph, RichText
from crm_adapters.sandbox import RateLimitConfig, SandboxServer

pytestmark = pytest.mark.integration

TIERS = ("healthy", "monitor", "at_risk", "critical", "churning")
SCORE = FieldSpec("score", "healthloop_score", "Health score", "number")
TIER = FieldSpec("tier", "healthloop_tier", "Health tier", "enumeration", TIERS)
SCORED_AT = FieldSpec("scored_at", "healthloop_scored_at", "Health scored at", "datetime")
MAPPING = FieldMapping(fields=(SCORE, TIER, SCORED_AT))
DUE = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CREATE_TASKS = "POST /crm/v3/objects/tasks/batch/create"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def make_adapter(sandbox: SandboxServer, redis_client, redis_url: str) -> Iterator[Callable[..., HubSpotAdapter]]:  # type: ignore[no-untyped-def]
    key = f"hubspot-test-{uuid.uuid4().hex[:8]}"
    built: list[HubSpotAdapter] = []

    def make(credentials: HubSpotCredentials | None = None, **options: Any) -> HubSpotAdapter:
        options = {"redis_url": redis_url, "rate_limit_key": key, "backoff_seconds": 0.01} | options
        made = HubSpotAdapter(
            credentials or HubSpotCredentials(access_token=sandbox.token, base_url=sandbox.url),
            HubSpotOptions(**options),
        )
        built.append(made)
        return made

    yield make
    for made in built:
        made.close()
    sandbox.reset()
    sandbox.set_rate_limit(**asdict(RateLimitConfig()))


@pytest.fixture
def adapter(make_adapter: Callable[..., HubSpotAdapter]) -> HubSpotAdapter:
    made = make_adapter()
    made.provision(MAPPING)
    return made


def seed(sandbox: SandboxServer, payload: dict[str, Any]) -> dict[str, Any]:
    return sandbox.seed(payload)


def calls_to(sandbox: SandboxServer, route: str) -> int:
    return sandbox.request_counts()["by_route"].get(route, 0)


def oauth_credentials(sandbox: SandboxServer, **changes: str) -> HubSpotCredentials:
    oauth = sandbox.state.oauth
    values = {"client_id": oauth.client_id, "client_secret": oauth.client_secret, "refresh_token": oauth.refresh_token}
    return HubSpotCredentials(base_url=sandbox.url, **(values | changes))


# --- schema ----------------------------------------------------------------------------------


def test_provision_adds_only_the_missing_options_to_an_existing_enumeration(sandbox, make_adapter):
    seed(
        sandbox,
        {
            "properties": {
                "companies": [
                    {"name": "healthloop_tier", "label": "Tier", "type": "enumeration", "fieldType": "select",
                     "groupName": "companyinformation",
                     "options": [{"label": "Fine", "value": "healthy", "hidden": False, "displayOrder": 0},
                                 {"label": "Custom", "value": "custom", "hidden": False, "displayOrder": 1}]}
                ]
            }
        },
    )  # fmt: skip
    adapter = make_adapter()
    result = adapter.provision(MAPPING)
    assert result.updated == ("healthloop_tier",)
    options = sandbox.state.property_definition("companies", "healthloop_tier")["options"]
    assert [o["value"] for o in options] == ["healthy", "custom", "monitor", "at_risk", "critical", "churning"]
    assert options[0]["label"] == "Fine"  # the admin's label stays
    assert adapter.provision(MAPPING).updated == ()


def test_provision_makes_the_idempotency_keys_unique(sandbox, adapter):
    for object_type, name in (("tasks", "healthloop_intervention_key"), ("notes", "healthloop_note_key")):
        assert sandbox.state.property_definition(object_type, name)["hasUniqueValue"] is True
    assert sandbox.state.property_definition("companies", "healthloop_account_id")["hasUniqueValue"] is True


def test_check_reports_each_kind_of_problem_with_a_fix(sandbox, make_adapter):
    seed(
        sandbox,
        {
            "properties": {
                "companies": [
                    {"name": "scored_on", "label": "Scored on", "type": "date", "fieldType": "date",
                     "groupName": "companyinformation"},
                    {"name": "tier_text", "label": "Tier", "type": "string", "fieldType": "text",
                     "groupName": "companyinformation"},
                ]
            }
        },
    )  # fmt: skip
    mapping = FieldMapping(
        fields=(
            FieldSpec("score", "hs_object_id", "Object id", "number"),
            FieldSpec("tier", "tier_text", "Tier", "enumeration", TIERS),
            FieldSpec("scored_at", "scored_on", "Scored on", "datetime"),
            FieldSpec("reason", "healthloop_reason", "Reason", "text"),
        )
    )
    checks = {check.source: check for check in make_adapter().check(mapping)}
    assert {source: check.problem for source, check in checks.items()} == {
        "score": "read_only",
        "tier": "wrong_type",
        "scored_at": "wrong_type",
        "reason": "missing",
        "match": "missing",
    }
    assert "midnight" in checks["scored_at"].detail
    assert all(check.fix for check in checks.values())


# --- records ---------------------------------------------------------------------------------


def test_resolve_by_domain_ignores_case_scheme_and_www(sandbox, adapter):
    ids = seed(
        sandbox, {"companies": [{"name": "Acme", "domain": "acme.com"}, {"name": "Beta", "domain": "www.beta.io"}]}
    )
    mapping = FieldMapping(fields=MAPPING.fields, match_by="domain", match_field="domain")
    keys = [
        AccountKey("a1", "https://WWW.Acme.com/pricing"),
        AccountKey("a2", "beta.io"),
        AccountKey("a3", "acme.com"),
        AccountKey("a4", "unknown.example"),
        AccountKey("a5", None),
    ]
    acme, beta = ids["companies"]
    assert adapter.resolve(keys, mapping) == {"a1": acme, "a2": beta, "a3": acme}


def test_values_are_written_and_none_clears_a_field(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme", "healthloop_score": "40"}]})["companies"]
    update = RecordUpdate("a1", record_id, {"healthloop_score": None, "healthloop_scored_at": "2026-11-30T10:00:00Z"})
    assert adapter.write_fields([update])[0].ok
    props = sandbox.state.get("companies", record_id).properties
    assert props.get("healthloop_score") in (None, "")
    assert props["healthloop_scored_at"].startswith("2026-11-30T10:00:00")


def test_two_accounts_on_one_company_are_written_in_separate_batches(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Shared"}]})["companies"]
    updates = [
        RecordUpdate("a1", record_id, {"healthloop_score": "10"}),
        RecordUpdate("a2", record_id, {"healthloop_score": "20"}),
    ]
    assert [o.ok for o in adapter.write_fields(updates)] == [True, True]
    assert sandbox.state.get("companies", record_id).properties["healthloop_score"] == "20"


def test_writes_go_in_batches_of_100(sandbox, adapter):
    assert adapter.write_batch_size == 100
    ids = seed(sandbox, {"companies": [{"name": f"C{n}"} for n in range(201)]})["companies"]
    writes_before = adapter.usage.write_calls
    adapter.write_fields([RecordUpdate(f"a{n}", rid, {"healthloop_score": "50"}) for n, rid in enumerate(ids)])
    assert calls_to(sandbox, "POST /crm/v3/objects/companies/batch/update") == 3
    assert adapter.usage.by_kind["companies.update"] == adapter.usage.write_calls - writes_before == 3


def test_record_owners_reads_each_companys_owner(sandbox, adapter):
    owner = next(iter(sandbox.state.owners.values()))
    ids = seed(sandbox, {"companies": [{"name": "Owned", "hubspot_owner_id": owner["id"]}, {"name": "Nobody's"}]})
    owned, unowned = ids["companies"]
    assert adapter.record_owners([owned, unowned, "999999"]) == {owned: str(owner["id"]), unowned: None}


def test_rate_limit_headers_are_counted_into_usage(adapter):
    adapter.check(MAPPING)
    usage = adapter.usage
    assert usage.interval_max == 100 and usage.remaining is not None and usage.remaining < 100
    assert usage.daily_max == 250_000 and usage.daily_remaining is not None
    assert usage.by_kind["properties.list"] >= 2 and usage.calls == sum(usage.by_kind.values())


# --- tasks and notes -------------------------------------------------------------------------


def task(key: str, record_id: str, **changes: Any) -> TaskSpec:
    values = {
        "subject": "Re-engage Acme",
        "body": RichText.of("Score dropped 18 points"),
        "due_at": DUE,
        "priority": "HIGH",
    }
    return TaskSpec(key, record_id, **(values | changes))


def test_a_task_is_created_with_its_fields_owner_and_company(sandbox, adapter):
    owner = next(iter(sandbox.state.owners.values()))
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    [outcome] = adapter.upsert_tasks([task("iv-1", record_id, owner_id=str(owner["id"]), task_type="CALL")])
    props = sandbox.state.get("tasks", outcome.remote_id).properties
    assert props["hs_task_subject"] == "Re-engage Acme"
    assert (props["hs_task_status"], props["hs_task_priority"], props["hs_task_type"]) == (
        "NOT_STARTED",
        "HIGH",
        "CALL",
    )
    assert props["hubspot_owner_id"] == str(owner["id"])
    assert props["hs_timestamp"].startswith("2026-12-01T15:00:00")
    assert record_id in sandbox.state.associated("tasks", outcome.remote_id, "companies")


def test_a_task_created_before_a_crash_is_found_not_created_again(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    done = {"hs_task_subject": "done by CSM", "hs_timestamp": "2026-12-01T00:00:00Z", "hs_task_status": "COMPLETED"}
    [existing] = seed(sandbox, {"tasks": [done | {"healthloop_intervention_key": "iv-9"}]})["tasks"]
    before = calls_to(sandbox, CREATE_TASKS)
    [outcome] = adapter.upsert_tasks([task("iv-9", record_id)])
    assert (outcome.ok, outcome.remote_id) == (True, existing)
    assert calls_to(sandbox, CREATE_TASKS) == before
    assert sandbox.state.get("tasks", existing).properties["hs_task_status"] == "COMPLETED"  # never reset


def test_a_lost_create_response_is_retried_without_a_second_task(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    sandbox.set_faults(burst=1, fail_after_commit=True)  # HubSpot creates it, the answer never arrives
    [outcome] = adapter.upsert_tasks([task("iv-lost", record_id)])
    matching = [
        r.id
        for r in sandbox.state.live_records("tasks")
        if r.properties.get("healthloop_intervention_key") == "iv-lost"
    ]
    assert outcome.ok and matching == [outcome.remote_id]
    assert adapter.usage.retries == 1


def test_two_workers_racing_on_one_key_make_one_task(sandbox, make_adapter):
    first, second = make_adapter(), make_adapter()
    first.provision(MAPPING)
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def run(worker: HubSpotAdapter) -> None:
        barrier.wait()
        outcomes.extend(worker.upsert_tasks([task(f"iv-race-{n}", record_id) for n in range(5)]))

    threads = [threading.Thread(target=run, args=(worker,)) for worker in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(outcomes) == 10 and all(o.ok for o in outcomes)
    assert len(sandbox.state.live_records("tasks")) == 5
    assert len({o.remote_id for o in outcomes}) == 5


def test_a_task_on_a_missing_company_fails_alone(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    outcomes = adapter.upsert_tasks([task("iv-ok", record_id), task("iv-orphan", "987654321")])
    assert outcomes[0].ok
    assert (outcomes[1].ok, outcomes[1].retryable, outcomes[1].not_found) == (False, False, True)
    assert "987654321" in outcomes[1].reason


def test_updating_a_task_appends_the_note_once_and_completes_it(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    [created] = adapter.upsert_tasks([task("iv-u", record_id)])
    update = TaskUpdate(created.remote_id, RichText.of("Update 2026-11-30: the trigger cleared"), complete=True)
    assert adapter.update_tasks([update])[0].ok
    writes = calls_to(sandbox, "POST /crm/v3/objects/tasks/batch/update")
    assert adapter.update_tasks([update])[0].ok  # a re-run after a crash changes nothing
    assert calls_to(sandbox, "POST /crm/v3/objects/tasks/batch/update") == writes
    props = sandbox.state.get("tasks", created.remote_id).properties
    assert props["hs_task_body"] == "<p>Score dropped 18 points</p><p>Update 2026-11-30: the trigger cleared</p>"
    assert props["hs_task_status"] == "COMPLETED"
    status = adapter.read_tasks([created.remote_id, "31337"])
    assert list(status) == [created.remote_id] and status[created.remote_id].completed
    assert status[created.remote_id].completed_at is not None


def test_updating_a_deleted_task_reports_it_gone(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    [created] = adapter.upsert_tasks([task("iv-del", record_id)])
    sandbox.state.archive("tasks", created.remote_id)
    [outcome] = adapter.update_tasks([TaskUpdate(created.remote_id, RichText.of("cleared"))])
    assert (outcome.ok, outcome.retryable, outcome.not_found) == (False, False, True)


def test_a_note_is_added_once_per_key_on_its_company(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    body = RichText((Paragraph("Tier fell to At Risk & <why>", lead="Acme."), Bullets(("Activity 90 → 40",))))
    note = NoteSpec("acct:tier:2026-11-30:healthy>at_risk", record_id, body, DUE)
    first, again = adapter.add_notes([note]), adapter.add_notes([note])
    assert first[0].ok and again[0].remote_id == first[0].remote_id
    assert len(sandbox.state.live_records("notes")) == 1
    assert sandbox.state.get("notes", first[0].remote_id).properties["hs_note_body"] == (
        "<p><strong>Acme.</strong> Tier fell to At Risk &amp; &lt;why&gt;</p><ul><li>Activity 90 → 40</li></ul>"
    ), "rich text, escaped"
    assert record_id in sandbox.state.associated("notes", first[0].remote_id, "companies")


# --- sequences and renewals ------------------------------------------------------------------


@pytest.fixture
def enrollment(sandbox) -> Callable[..., EnrollmentSpec]:
    sequence = next(iter(sandbox.state.sequences.values()))
    owner = sandbox.state.owner_by_user(str(sequence["userId"]))
    ids = seed(
        sandbox,
        {
            "companies": [{"name": "Acme", "domain": "acme.com"}, {"name": "Empty"}],
            "contacts": [
                {"properties": {"email": "partner@agency.example"}, "associate": {"companies": [0]}},
                {"properties": {"email": "pat@acme.com"}, "associate": {"companies": [0]}},
            ],
        },
    )

    def make(**changes: Any) -> EnrollmentSpec:
        values = {"key": "en-1", "record_id": ids["companies"][0], "sequence_id": str(sequence["id"]),
                  "sender_email": owner["email"], "user_id": str(sequence["userId"])}  # fmt: skip
        return EnrollmentSpec(**(values | changes))

    make.ids = ids  # type: ignore[attr-defined]
    return make


def test_enrolling_picks_the_first_contact_and_a_second_call_is_already_enrolled(sandbox, adapter, enrollment):
    first, again = adapter.enroll([enrollment()]), adapter.enroll([enrollment()])
    assert first[0].ok and first[0].remote_id
    assert (again[0].ok, again[0].reason) == (True, "already enrolled")
    [enrolled] = sandbox.state.enrollments.values()
    assert str(enrolled.get("contactId")) == enrollment.ids["contacts"][0]  # type: ignore[attr-defined]


def test_the_email_domain_rule_picks_the_contact_at_the_companys_domain(sandbox, make_adapter, enrollment):
    adapter = make_adapter(enroll_contact="owner_email_domain")
    assert adapter.enroll([enrollment()])[0].ok
    [enrolled] = sandbox.state.enrollments.values()
    assert str(enrolled.get("contactId")) == enrollment.ids["contacts"][1]  # type: ignore[attr-defined]


def test_enrollment_misconfiguration_says_what_to_fix(adapter, enrollment):
    empty = enrollment.ids["companies"][1]  # type: ignore[attr-defined]
    outcomes = adapter.enroll(
        [
            enrollment(key="bad-seq", sequence_id="404404"),
            enrollment(key="bad-sender", sender_email="someone.else@example.com"),
            enrollment(key="no-contact", record_id=empty),
            enrollment(key="no-user", user_id=None),
        ]
    )
    reasons = {o.key: o.reason for o in outcomes}
    assert all(not o.ok and not o.retryable for o in outcomes)
    assert "sequence 404404 not found for user" in reasons["bad-seq"] and "crm.sequences" in reasons["bad-seq"]
    assert "not a connected inbox" in reasons["bad-sender"]
    assert reasons["no-contact"] == f"no contact to enroll on company {empty}"
    assert "user_id" in reasons["no-user"] or "userId" in reasons["no-user"]


def test_renewals_are_the_companies_deals_of_the_renewal_type(sandbox, make_adapter):
    ids = seed(
        sandbox,
        {
            "companies": [{"name": "Acme"}, {"name": "Beta"}],
            "deals": [
                {"properties": {"dealname": "Acme renewal", "dealtype": "existingbusiness", "amount": "1200",
                                "pipeline": "default", "dealstage": "closedwon", "closedate": "2026-10-01T00:00:00Z"},
                 "associate": {"companies": [0]}},
                {"properties": {"dealname": "Acme upsell", "dealtype": "newbusiness", "pipeline": "default",
                                "dealstage": "appointmentscheduled"}, "associate": {"companies": [0]}},
                {"properties": {"dealname": "Beta renewal", "dealtype": "existingbusiness", "pipeline": "default",
                                "dealstage": "closedlost"}, "associate": {"companies": [1]}},
            ],
        },
    )  # fmt: skip
    acme, beta = ids["companies"]
    renewals = {r.name: r for r in make_adapter().read_renewals([acme, beta])}
    assert set(renewals) == {"Acme renewal", "Beta renewal"}
    won = renewals["Acme renewal"]
    assert (won.record_id, won.closed, won.won, won.amount, won.close_date) == (
        acme,
        True,
        True,
        1200.0,
        date(2026, 10, 1),
    )
    assert (renewals["Beta renewal"].closed, renewals["Beta renewal"].won) == (True, False)
    any_type = make_adapter(renewal_deal_type=None).read_renewals([acme])
    assert {r.name for r in any_type} == {"Acme renewal", "Acme upsell"}


# --- auth, limits and outages ----------------------------------------------------------------


def test_oauth_tokens_are_refreshed_before_they_expire(sandbox, make_adapter):
    sandbox.set_token_ttl(61)  # 61 s: refreshed again once under a minute remains
    adapter = make_adapter(oauth_credentials(sandbox))
    adapter.check(MAPPING)
    assert adapter.usage.by_kind["oauth.token"] == 1
    time.sleep(1.1)
    adapter.check(MAPPING)
    assert adapter.usage.by_kind["oauth.token"] == 2
    assert sandbox.request_counts()["by_status"].get("401", 0) == 0


def test_a_refused_refresh_token_names_its_variable_and_not_the_secret(sandbox, make_adapter):
    adapter = make_adapter(oauth_credentials(sandbox, refresh_token="stale-refresh-secret"))
    with pytest.raises(CrmAuthError) as caught:
        adapter.check(MAPPING)
    assert "HUBSPOT_REFRESH_TOKEN" in str(caught.value) and "stale-refresh-secret" not in str(caught.value)


def test_a_refused_access_token_names_its_variable_and_the_scopes(sandbox, make_adapter):
    adapter = make_adapter(HubSpotCredentials(access_token="pat-na1-secret", base_url=sandbox.url))
    with pytest.raises(CrmAuthError) as caught:
        adapter.write_fields([RecordUpdate("a1", "1", {"healthloop_score": "1"})])
    message = str(caught.value)
    assert message.startswith("HUBSPOT_ACCESS_TOKEN was refused by HubSpot (401)")
    assert "crm.objects.companies.write" in message and "pat-na1-secret" not in message


def test_a_429_pauses_every_worker_sharing_the_portal(sandbox, make_adapter):
    seen_429, other = make_adapter(max_attempts=1), make_adapter()
    sandbox.set_rate_limit(max_requests=1, interval_ms=1000)
    seen_429.check(MAPPING)  # the one request of this second
    with pytest.raises(CrmRetryableError) as caught:
        seen_429.check(MAPPING)
    assert caught.value.retry_after == 1
    assert other.limiter.paused_until() is not None
    started = time.monotonic()
    other.check(MAPPING)  # waits out the pause instead of drawing a second 429
    assert time.monotonic() - started >= 0.5
    assert sandbox.request_counts()["rate_limited"] == 1


def test_the_daily_limit_is_not_waited_out_inside_a_call(sandbox, adapter):
    [record_id] = seed(sandbox, {"companies": [{"name": "Acme"}]})["companies"]
    sandbox.set_rate_limit(daily=1)  # provisioning has spent more than that already
    started = time.monotonic()
    [outcome] = adapter.write_fields([RecordUpdate("a1", record_id, {"healthloop_score": "1"})])
    assert (outcome.ok, outcome.retryable) == (False, True)
    assert "daily" in outcome.reason and time.monotonic() - started < 2
    assert adapter.usage.retries == 0


def test_an_unreachable_hubspot_leaves_retryable_outcomes(make_adapter):
    adapter = make_adapter(HubSpotCredentials(access_token="t", base_url="http://127.0.0.1:9"), max_attempts=2)
    [outcome] = adapter.write_fields([RecordUpdate("a1", "1", {"healthloop_score": "1"})])
    assert (outcome.ok, outcome.retryable) == (False, True)
    assert "connection" in outcome.reason or "no response" in outcome.reason


def test_api_objects_are_built_once_and_point_at_the_configured_host(sandbox, adapter):
    batch_api = adapter.client.api("crm.objects.batch_api")
    assert adapter.client.api("crm.objects.batch_api") is batch_api  # the client builds a new pool per access
    assert batch_api.api_client.configuration.host == sandbox.url
    assert adapter.client.hubspot.config["base_url"] == sandbox.url  # what api_request() builds URLs from
