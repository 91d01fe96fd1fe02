"""The sandbox's store, limiter and fault injector without HTTP: the rules the routes rely on."""

from __future__ import annotations

import pytest

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.faults import FaultInjector, RateLimitConfig, RateLimiter
from crm_adapters.sandbox.hubspot.object_types import canonical_type
from crm_adapters.sandbox.hubspot.search import run_search
from crm_adapters.sandbox.hubspot.state import SandboxState


def test_object_type_aliases_resolve_and_unknown_types_are_refused():
    assert {canonical_type(name) for name in ("companies", "company", "0-2")} == {"companies"}
    with pytest.raises(SandboxError) as raised:
        canonical_type("widgets")
    assert raised.value.status == 400


def test_values_are_stored_as_hubspot_strings():
    state = SandboxState()
    record = state.create("tasks", {"hs_timestamp": 1717000000000, "hs_task_status": "NOT_STARTED"})
    assert record.properties["hs_timestamp"] == "2024-05-29T16:26:40.000Z"
    assert record.properties["hs_object_id"] == record.id
    state.update(record, {"hs_task_status": "COMPLETED"})
    assert record.properties["hs_task_completion_date"]
    assert [value for value, _ in record.history["hs_task_status"]] == ["NOT_STARTED", "COMPLETED"]


def test_one_error_names_every_bad_property():
    with pytest.raises(SandboxError) as raised:
        SandboxState().create("companies", {"nope": "1", "numberofemployees": "many", "hs_object_id": "1"})
    codes = [error["code"] for error in raised.value.errors or []]
    assert codes == ["PROPERTY_DOESNT_EXIST", "INVALID_INTEGER", "READ_ONLY_VALUE"]


def test_archived_records_are_missing_and_free_their_unique_values():
    state = SandboxState()
    first = state.create("contacts", {"email": "Ana@Acme.com"})
    assert state.find("contacts", "ana@acme.com", "email") is first, "contact email is unique, case-insensitively"
    with pytest.raises(SandboxError):
        state.create("contacts", {"email": "ana@acme.com"})
    state.archive("contacts", first.id)
    assert state.find("contacts", first.id) is None
    assert state.create("contacts", {"email": "ana@acme.com"}).id != first.id


def test_search_or_of_and_groups_with_typed_comparisons():
    state = SandboxState()
    for employees in ("9", "10", "100"):
        state.create("companies", {"name": f"Co {employees}", "numberofemployees": employees})
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": "numberofemployees", "operator": "GT", "value": "9"}]},
            {"filters": [{"propertyName": "name", "operator": "EQ", "value": "co 9"}]},
        ],
        "sorts": [{"propertyName": "numberofemployees", "direction": "DESCENDING"}],
    }
    total, page, after = run_search(state, "companies", body)
    assert total == 3 and after is None
    assert [r.properties["numberofemployees"] for r in page] == ["100", "10", "9"], "numbers sort numerically"


def test_rolling_window_refuses_then_recovers_and_zero_disables(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("crm_adapters.sandbox.faults.time.monotonic", lambda: clock[0])
    limiter = RateLimiter(RateLimitConfig(max_requests=2, interval_ms=10_000, daily=None))
    assert [limiter.check("app", search=False).allowed for _ in range(3)] == [True, True, False]
    assert limiter.check("other-app", search=False).allowed, "limits are per app"
    refused = limiter.check("app", search=False)
    assert refused.retry_after_s == 10 and refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    clock[0] += 10.001
    assert limiter.check("app", search=False).allowed
    limiter.configure(max_requests=0)
    assert all(limiter.check("app", search=False).allowed for _ in range(50))


def test_faults_replay_from_the_seed_and_bursts_come_first():
    def draws(injector: FaultInjector) -> list[int | None]:
        injector.configure(error_rate=0.3)
        return [injector.draw() for _ in range(40)]

    assert draws(FaultInjector(3)) == draws(FaultInjector(3))
    injector = FaultInjector()
    injector.configure(burst=2)
    assert [injector.draw() for _ in range(3)] == [503, 503, None]
    with pytest.raises(SandboxError):
        injector.configure(error_rate=2)
