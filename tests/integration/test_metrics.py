"""`/metrics`: behind the admin token, the series the operations issue lists, labels never an id or a URL."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tests.integration.test_ticket_webhooks import post_signed
from webhooks.sources import load_fixture

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(runtime) -> dict[str, str]:  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.model_copy(update={"admin_token": SecretStr("metrics-admin")})
    return {"Authorization": "Bearer metrics-admin"}


def test_metrics_need_the_admin_token(client, admin):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers=admin).status_code == 200


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def change(before: dict, after: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_show_ingest_webhooks_latency_queue_and_backlog_without_ids(client, auth_headers, admin):
    from webhooks.registry import SOURCES

    before = samples(client.get("/metrics", headers=admin).get_data(as_text=True))
    batch = {
        "batch": [
            {"type": "track", "userId": "u-secret-1", "event": "Signed In", "context": {"groupId": "acct_metric_1"}},
            {"type": "track", "userId": "u-secret-1"},
        ]
    }
    assert client.post("/v1/batch", json=batch, headers=auth_headers).status_code == 200
    assert client.post("/v1/track", json={}, headers={"Authorization": "Basic bm9wZTo="}).status_code == 401
    fixture = sorted(SOURCES["zendesk"].fixtures.glob("*.json"))[0]
    assert post_signed(client, "zendesk", load_fixture(fixture)).status_code == 200
    assert post_signed(client, "zendesk", b"{}", tamper=True).status_code == 401
    text = client.get("/metrics", headers=admin).get_data(as_text=True)
    after = samples(text)
    events = "healthloop_events_total"
    assert change(before, after, events, outcome="stored", reason="none") == 1
    assert change(before, after, events, outcome="rejected", reason="invalid_field") == 1
    assert change(before, after, events, outcome="rejected", reason="invalid_write_key") == 1
    deliveries = "healthloop_webhook_deliveries_total"
    assert change(before, after, deliveries, outcome="unauthorized", source="zendesk") == 1
    assert sum(change(before, after, deliveries, outcome=o, source="zendesk") for o in ("handled", "ignored")) == 1
    latency = "healthloop_request_duration_seconds_count"
    assert change(before, after, latency, route="/v1/batch", method="POST", status="2xx") == 1
    for name in (
        "healthloop_queue_depth",
        "healthloop_queue_oldest_job_age_seconds",
        "healthloop_rescore_lag_seconds",
        "healthloop_outbox_account_days",
        "healthloop_unmatched_tickets",
    ):
        assert any(key[0] == name for key in after), name
    assert "acct_metric_1" not in text and "u-secret-1" not in text
