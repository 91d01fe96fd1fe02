"""The behaviours every CRM adapter owes healthloop, run against each adapter over real HTTP.

Each CRM contributes a `CrmHarness`: its adapter pointed at the local sandbox, and the few
sandbox controls the contract needs (seed records, count write calls, tighten the rate limit,
expire the auth). Adding a CRM means adding a harness to `HARNESSES`, nothing else here.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from crm_adapters.base import (
    AccountKey,
    CrmAdapter,
    FieldMapping,
    FieldSpec,
    RecordUpdate,
    TaskSpec,
)
from crm_adapters.errors import CrmAuthError
from crm_adapters.hubspot import HubSpotAdapter, HubSpotCredentials, HubSpotOptions
from crm_adapters.rich_text import RichText
from crm_adapters.salesforce import SalesforceAdapter, SalesforceCredentials, SalesforceOptions
from crm_adapters.sandbox import RateLimitConfig, SalesforceSettings, SandboxServer

pytestmark = pytest.mark.integration

TIERS = ("healthy", "monitor", "at_risk", "critical", "churning")
MAPPING = FieldMapping(
    fields=(
        FieldSpec("score", "healthloop_score", "Health score", "number"),
        FieldSpec("tier", "healthloop_tier", "Health tier", "enumeration", TIERS),
        FieldSpec("scored_at", "healthloop_scored_at", "Health scored at", "datetime"),
        FieldSpec("reason", "healthloop_reason", "Health: reason", "text"),
    )
)


@dataclass
class CrmHarness:
    """One CRM's adapter against its sandbox, and the sandbox controls the contract uses."""

    name: str
    adapter: Callable[..., CrmAdapter]
    """Build an adapter; keyword overrides tune retries (max_attempts) or credentials (token)."""
    seed_accounts: Callable[[int], list[tuple[str, str]]]
    """Create n records carrying an account id; returns (account_id, record_id) pairs."""
    write_calls: Callable[[], int]
    """Batch field-write calls the sandbox has received."""
    record_values: Callable[[str], dict[str, Any]]
    delete_record: Callable[[str], None]
    tasks_with_key: Callable[[str], list[str]]
    limit_rate: Callable[[int, int], None]
    """(max requests, per milliseconds) for the portal."""
    fail_next: Callable[[int], None]
    """The next n requests answer 503."""
    oauth_adapter: Callable[[], CrmAdapter]
    expire_auth: Callable[[], None]
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    mapping: FieldMapping = MAPPING
    """MAPPING with the CRM's field names; `record_values` answers under MAPPING's names, as strings."""
    has_groups: bool = True
    """Does the CRM group fields (HubSpot property groups)? Salesforce has none."""
    short_rate_window: bool = True
    """Does the CRM rate-limit in a short window a call can wait out? Salesforce only has its daily allocation,
    so its `limit_rate(n, ms)` allows n more calls before REQUEST_LIMIT_EXCEEDED."""


def hubspot_harness(sandboxes: dict[str, Any], redis_url: str) -> Iterator[CrmHarness]:
    if "hubspot" not in sandboxes:
        sandboxes["hubspot"] = SandboxServer().start()
    sandbox: SandboxServer = sandboxes["hubspot"]
    key = f"hubspot-test-{uuid.uuid4().hex[:8]}"
    built: list[HubSpotAdapter] = []

    def adapter(token: str | None = None, **options: Any) -> HubSpotAdapter:
        made = HubSpotAdapter(
            HubSpotCredentials(access_token=token or sandbox.token, base_url=sandbox.url),
            HubSpotOptions(redis_url=redis_url, rate_limit_key=key, backoff_seconds=0.01, **options),
        )
        built.append(made)
        return made

    def oauth_adapter() -> HubSpotAdapter:
        oauth = sandbox.state.oauth
        made = HubSpotAdapter(
            HubSpotCredentials(
                client_id=oauth.client_id,
                client_secret=oauth.client_secret,
                refresh_token=oauth.refresh_token,
                base_url=sandbox.url,
            ),
            HubSpotOptions(redis_url=redis_url, rate_limit_key=key, backoff_seconds=0.01),
        )
        built.append(made)
        return made

    def seed_accounts(count: int) -> list[tuple[str, str]]:
        accounts = [f"acct-{uuid.uuid4().hex[:10]}" for _ in range(count)]
        created = sandbox.seed({"companies": [{"name": f"Company {a}", "healthloop_account_id": a} for a in accounts]})[
            "companies"
        ]
        return list(zip(accounts, created, strict=True))

    def tasks_with_key(task_key: str) -> list[str]:
        return [
            record.id
            for record in sandbox.state.live_records("tasks")
            if record.properties.get("healthloop_intervention_key") == task_key
        ]

    harness = CrmHarness(
        name="hubspot",
        adapter=adapter,
        seed_accounts=seed_accounts,
        write_calls=lambda: sandbox.request_counts()["by_route"].get("POST /crm/v3/objects/companies/batch/update", 0),
        record_values=lambda record_id: dict(sandbox.state.get("companies", record_id).properties),
        delete_record=lambda record_id: sandbox.state.archive("companies", record_id),
        tasks_with_key=tasks_with_key,
        limit_rate=lambda count, ms: sandbox.set_rate_limit(max_requests=count, interval_ms=ms) and None,
        fail_next=lambda count: sandbox.set_faults(burst=count) and None,
        oauth_adapter=oauth_adapter,
        expire_auth=sandbox.expire_tokens,
    )
    yield harness
    for made in built:
        made.close()
    sandbox.reset()
    sandbox.set_rate_limit(**asdict(RateLimitConfig()))


SALESFORCE_NAMES = {
    "healthloop_score": "Healthloop_Score__c",
    "healthloop_tier": "Healthloop_Tier__c",
    "healthloop_scored_at": "Healthloop_Scored_At__c",
    "healthloop_reason": "Healthloop_Reason__c",
    "healthloop_account_id": "Healthloop_Account_Id__c",
}


def salesforce_harness(sandboxes: dict[str, Any], redis_url: str) -> Iterator[CrmHarness]:
    if "salesforce" not in sandboxes:
        sandboxes["salesforce"] = SandboxServer(tls=True).start()
    sandbox: SandboxServer = sandboxes["salesforce"]
    org = sandbox.salesforce
    creds = org.credentials
    built: list[SalesforceAdapter] = []
    mapping = FieldMapping(
        fields=tuple(replace(spec, name=SALESFORCE_NAMES[spec.name]) for spec in MAPPING.fields),
        match_field=SALESFORCE_NAMES[MAPPING.match_field],
    )

    def adapter(token: str | None = None, **options: Any) -> SalesforceAdapter:
        session = requests.Session()
        session.verify = sandbox.ca_file
        made = SalesforceAdapter(
            SalesforceCredentials(
                username=creds.username,
                password=token or creds.password,
                security_token=creds.security_token,
                consumer_key=creds.consumer_key,
                consumer_secret=creds.consumer_secret,
                login_url=sandbox.salesforce_url,
            ),
            SalesforceOptions(backoff_seconds=0.01, **options),
            session=session,
        )
        built.append(made)
        return made

    def seed_accounts(count: int) -> list[tuple[str, str]]:
        accounts = [f"acct-{uuid.uuid4().hex[:10]}" for _ in range(count)]
        rows = [{"Name": f"Company {a}", "Healthloop_Account_Id__c": a} for a in accounts]
        return list(zip(accounts, sandbox.seed_salesforce({"accounts": rows})["accounts"], strict=True))

    def record_values(record_id: str) -> dict[str, Any]:
        record = org.find(record_id)
        assert record is not None
        values = {}
        for generic, name in SALESFORCE_NAMES.items():
            value = record.values.get(name)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            values[generic] = None if value is None else str(value)
        return values

    def tasks_with_key(task_key: str) -> list[str]:
        tasks = sandbox.salesforce_state("Task")["Task"]
        return [t["Id"] for t in tasks if t.get("Healthloop_Key__c") == task_key and not t["IsDeleted"]]

    def limit_rate(count: int, _ms: int) -> None:
        used, _ = org.api_usage()
        sandbox.configure_salesforce(daily_limit=used + count)

    harness = CrmHarness(
        name="salesforce",
        adapter=adapter,
        seed_accounts=seed_accounts,
        write_calls=lambda: sandbox.request_counts()["by_route"].get("PATCH /services/data/{v}/composite/sobjects", 0),
        record_values=record_values,
        delete_record=lambda record_id: org.delete(org.get("Account", record_id)),
        tasks_with_key=tasks_with_key,
        limit_rate=limit_rate,
        fail_next=lambda count: sandbox.set_faults(burst=count) and None,
        oauth_adapter=adapter,
        expire_auth=sandbox.expire_sessions,
        mapping=mapping,
        has_groups=False,
        short_rate_window=False,
    )
    yield harness
    for made in built:
        made.close()
    sandbox.reset()
    defaults = SalesforceSettings()
    sandbox.configure_salesforce(daily_limit=defaults.daily_limit, page_size=defaults.page_size)


HARNESSES = {"hubspot": hubspot_harness, "salesforce": salesforce_harness}


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[str, Any]]:
    """One running sandbox per CRM for the module (reset after each test): starting one per test is slow."""
    running: dict[str, Any] = {}
    yield running
    for sandbox in running.values():
        sandbox.stop()


@pytest.fixture(params=sorted(HARNESSES))
def crm(
    request: pytest.FixtureRequest, sandboxes: dict[str, Any], redis_client, redis_url: str
) -> Iterator[CrmHarness]:  # type: ignore[no-untyped-def]
    yield from HARNESSES[request.param](sandboxes, redis_url)


@pytest.fixture
def provisioned(crm: CrmHarness) -> CrmAdapter:
    adapter = crm.adapter()
    adapter.provision(crm.mapping)
    return adapter


def field_name(crm: CrmHarness, generic: str) -> str:
    """The CRM's name for one of MAPPING's fields."""
    return next(c.name for g, c in zip(MAPPING.fields, crm.mapping.fields, strict=True) if g.name == generic)


def updates_for(crm: CrmHarness, accounts: list[tuple[str, str]], score: str = "55") -> list[RecordUpdate]:
    score_field, tier_field = field_name(crm, "healthloop_score"), field_name(crm, "healthloop_tier")
    return [
        RecordUpdate(account_id, record_id, {score_field: score, tier_field: "at_risk"})
        for account_id, record_id in accounts
    ]


def test_provisioning_twice_creates_everything_once_and_checks_clean(crm: CrmHarness):
    adapter = crm.adapter()
    first = adapter.provision(crm.mapping)
    second = adapter.provision(crm.mapping)
    assert first.group_created == crm.has_groups and set(crm.mapping.names()) <= set(first.created)
    assert (second.group_created, second.created, second.updated) == (False, (), ())
    assert set(first.created) == set(second.existing)
    assert [check for check in adapter.check(crm.mapping) if not check.ok] == []


def test_resolve_finds_seeded_accounts_and_leaves_unknown_ones_out(crm: CrmHarness, provisioned: CrmAdapter):
    accounts = crm.seed_accounts(3)
    keys = [AccountKey(account_id) for account_id, _ in accounts] + [AccountKey("acct-unknown")]
    assert provisioned.resolve(keys, crm.mapping) == dict(accounts)


@pytest.mark.parametrize("batches", [0.01, 1, 1.01, 2.5])
def test_writing_n_records_takes_ceil_n_over_batch_size_calls(crm: CrmHarness, provisioned: CrmAdapter, batches: float):
    count = max(1, round(batches * provisioned.write_batch_size))
    accounts = crm.seed_accounts(count)
    before = crm.write_calls()
    outcomes = provisioned.write_fields(updates_for(crm, accounts))
    assert [o.key for o in outcomes] == [account_id for account_id, _ in accounts]
    assert all(o.ok for o in outcomes)
    assert crm.write_calls() - before == math.ceil(count / provisioned.write_batch_size)
    assert crm.record_values(accounts[-1][1])["healthloop_tier"] == "at_risk"


def test_a_deleted_record_fails_alone_and_says_so(crm: CrmHarness, provisioned: CrmAdapter):
    accounts = crm.seed_accounts(5)
    crm.delete_record(accounts[2][1])
    outcomes = {o.key: o for o in provisioned.write_fields(updates_for(crm, accounts, "42"))}
    gone = outcomes.pop(accounts[2][0])
    assert (gone.ok, gone.retryable, gone.not_found) == (False, False, True)
    assert "deleted or merged" in gone.reason
    assert all(o.ok for o in outcomes.values())
    assert crm.record_values(accounts[0][1])["healthloop_score"] == "42"


def test_a_bad_value_fails_alone_and_the_rest_are_written(crm: CrmHarness, provisioned: CrmAdapter):
    accounts = crm.seed_accounts(6)
    updates = updates_for(crm, accounts, "61")
    updates[4] = RecordUpdate(accounts[4][0], accounts[4][1], {field_name(crm, "healthloop_tier"): "not-a-tier"})
    outcomes = {o.key: o for o in provisioned.write_fields(updates)}
    bad = outcomes.pop(accounts[4][0])
    assert (bad.ok, bad.retryable) == (False, False)
    assert "not-a-tier" in bad.reason
    assert all(o.ok for o in outcomes.values())
    assert crm.record_values(accounts[5][1])["healthloop_score"] == "61"


def test_a_rate_limited_portal_still_gets_every_write(crm: CrmHarness, provisioned: CrmAdapter):
    if not crm.short_rate_window:
        pytest.skip(f"{crm.name} has no short rate window to wait out (its daily limit is the next test's)")
    accounts = crm.seed_accounts(6)
    crm.limit_rate(2, 1000)
    outcomes = []
    for pair in accounts[:4]:
        outcomes += provisioned.write_fields(updates_for(crm, [pair], "70"))
    assert all(o.ok for o in outcomes)
    assert provisioned.usage.retries >= 1


def test_rate_limits_outlasting_the_retries_leave_retryable_outcomes(crm: CrmHarness):
    adapter = crm.adapter(max_attempts=1)
    adapter.provision(crm.mapping)
    accounts = crm.seed_accounts(3)
    crm.limit_rate(1, 60_000)
    assert adapter.write_fields(updates_for(crm, accounts[:1]))[0].ok  # spends the one request of the minute
    outcomes = adapter.write_fields(updates_for(crm, accounts[1:]))
    assert [(o.ok, o.retryable) for o in outcomes] == [(False, True), (False, True)]
    assert "rate limit" in outcomes[0].reason


def test_an_outage_outlasting_the_retries_leaves_retryable_outcomes(crm: CrmHarness):
    adapter = crm.adapter(max_attempts=2)
    adapter.provision(crm.mapping)
    accounts = crm.seed_accounts(3)
    crm.fail_next(10)
    outcomes = adapter.write_fields(updates_for(crm, accounts))
    assert all((o.ok, o.retryable) == (False, True) for o in outcomes)


def test_a_short_outage_is_retried_away(crm: CrmHarness, provisioned: CrmAdapter):
    accounts = crm.seed_accounts(3)
    crm.fail_next(2)
    assert all(o.ok for o in provisioned.write_fields(updates_for(crm, accounts)))
    assert provisioned.usage.retries == 2


def test_expired_oauth_auth_is_refreshed_and_the_call_succeeds(crm: CrmHarness):
    adapter = crm.oauth_adapter()
    adapter.provision(crm.mapping)
    accounts = crm.seed_accounts(2)
    crm.expire_auth()
    assert all(o.ok for o in adapter.write_fields(updates_for(crm, accounts)))


def test_refused_credentials_raise_an_auth_error_naming_the_variable_not_the_token(crm: CrmHarness):
    adapter = crm.adapter(token="wrong-token-value")
    with pytest.raises(CrmAuthError) as caught:
        adapter.check(crm.mapping)
    message = str(caught.value)
    assert "wrong-token-value" not in message
    assert "ACCESS_TOKEN" in message or "credentials" in message.lower()


def test_a_task_key_creates_one_task_however_often_it_is_asked(crm: CrmHarness, provisioned: CrmAdapter):
    [(_, record_id)] = crm.seed_accounts(1)
    task = TaskSpec(
        "iv-dup", record_id, "Re-engage", RichText.of("Score dropped"), datetime(2026, 12, 1, tzinfo=UTC), "HIGH"
    )
    first = provisioned.upsert_tasks([task, task])
    again = provisioned.upsert_tasks([task])
    assert [o.ok for o in first + again] == [True, True, True]
    assert len({o.remote_id for o in first + again}) == 1
    assert crm.tasks_with_key("iv-dup") == [first[0].remote_id]
