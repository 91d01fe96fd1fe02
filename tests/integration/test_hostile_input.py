"""Regression tests for hostile-but-plausible input: each answers a 4xx JSON error, never a 500.

Every reproduction of the operations issue is here, on SQLite and PostgreSQL (PostgreSQL is the
one that refuses NUL characters and out-of-range values the loudest).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import func, select

from connector.store.models import Account, Event
from tests.conftest import SECRETS
from webhooks.registry import SOURCES

pytestmark = pytest.mark.integration

EXTREME_NUMBERS = [9223372036854775807, -1e308, 1e20]


def stored(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def json_error(response, status_class: int = 4) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code // 100 == status_class, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] and body["detail"]
    return body


def good_track(message_id: str) -> dict:
    return {
        "type": "track",
        "userId": "u1",
        "event": "Signed In",
        "messageId": message_id,
        "context": {"groupId": "a1"},
    }


@pytest.mark.parametrize("endpoint", ["/v1/track", "/v1/batch"])
def test_a_timestamp_in_year_one_sent_at_year_9999_is_refused_naming_the_field(client, auth_headers, endpoint):
    message = good_track("m-skew") | {"timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T23:59:59Z"}
    body = message if endpoint == "/v1/track" else {"batch": [message]}
    error = json_error(client.post(endpoint, json=body, headers=auth_headers))
    text = error["detail"] + orjson.dumps(error.get("rejected", [])).decode()
    assert "between 1900-01-01 and 2999-12-31" in text


def test_a_batch_level_sent_at_out_of_range_is_refused_with_400(client, auth_headers):
    body = {"batch": [good_track("m-1")], "sentAt": "9999-12-31T23:59:59-05:00"}
    error = json_error(client.post("/v1/batch", json=body, headers=auth_headers))
    assert error["detail"].startswith("sentAt")


@pytest.mark.parametrize("trait", ["renewal_date", "created_at"])
@pytest.mark.parametrize("value", EXTREME_NUMBERS, ids=["int64-max", "minus-1e308", "1e20"])
def test_an_extreme_date_trait_rejects_only_its_message_and_the_rest_of_the_batch_is_stored(
    client, auth_headers, runtime, trait, value
):
    bad_group = {"type": "group", "userId": "u1", "groupId": "a1", "messageId": "g-bad", "traits": {trait: value}}
    batch = {"batch": [good_track("t-1"), bad_group, good_track("t-2")]}
    response = client.post("/v1/batch", json=batch, headers=auth_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["stored"] == 2
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [(1, "invalid_trait")]
    assert f"traits.{trait}" in body["rejected"][0]["detail"]
    assert stored(runtime, Event) == 2


def test_a_single_group_call_with_an_extreme_date_trait_answers_400(client, auth_headers, runtime):
    group = {"userId": "u1", "groupId": "a1", "traits": {"renewal_date": 1e20}}
    error = json_error(client.post("/v1/group", json=group, headers=auth_headers))
    assert error["error"] == "invalid_trait"
    assert stored(runtime, Account) == 0


def test_a_nul_in_the_batch_level_context_rejects_the_messages_it_is_merged_into(client, auth_headers, runtime):
    body = {"batch": [good_track("n-1"), good_track("n-2")], "context": {"x": "a\u0000b"}}
    error = json_error(client.post("/v1/batch", json=body, headers=auth_headers))
    assert [r["error"] for r in error["rejected"]] == ["invalid_character", "invalid_character"]
    assert "context.x" in error["rejected"][0]["detail"]
    assert stored(runtime, Event) == 0


def test_a_nul_in_one_message_context_rejects_only_that_message(client, auth_headers, runtime):
    bad = good_track("n-bad") | {"context": {"groupId": "a1", "page": {"title": "x\u0000"}}}
    body = {"batch": [good_track("n-1"), bad], "context": {"library": {"name": "sdk"}}}
    response = client.post("/v1/batch", json=body, headers=auth_headers)
    assert response.status_code == 200
    assert [r["index"] for r in response.get_json()["rejected"]] == [1]
    assert stored(runtime, Event) == 1


def _signed(name: str, body: bytes) -> dict[str, str]:
    source = SOURCES[name]
    url = f"http://localhost/webhooks/{name}"
    headers = source.sign(body, SECRETS[source.secret_setting], url, datetime.now(UTC))
    return {"Content-Type": "application/json", **headers}


@pytest.mark.parametrize("created_at", [1e20, "NaN", 2**63], ids=["1e20", "NaN", "2**63"])
def test_a_signed_intercom_notification_with_an_impossible_created_at_answers_400(client, created_at):
    payload = {
        "type": "notification_event",
        "topic": "conversation.user.created",
        "id": "notif_1",
        "created_at": created_at,
        "data": {"item": {"type": "conversation", "id": "c1", "created_at": 1700000000}},
    }
    body = orjson.dumps(payload)
    error = json_error(client.post("/webhooks/intercom", data=body, headers=_signed("intercom", body)))
    assert "created_at" in error["detail"]


def test_an_unsigned_hubspot_call_with_a_far_future_timestamp_header_answers_401(client):
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": "bm90IGEgc2lnbmF0dXJl",
        "X-HubSpot-Request-Timestamp": "999999999999999",
    }
    error = json_error(client.post("/webhooks/hubspot", data=b"[]", headers=headers))
    assert error["error"] == "stale_timestamp"


@pytest.mark.parametrize("header", ["sha256=ÿÿÿ", "é" * 64, "sha256=\u00ff"])
def test_a_non_ascii_generic_signature_answers_401(client, header):
    headers = {"Content-Type": "application/json", "X-Healthloop-Signature": header}
    error = json_error(client.post("/webhooks/tickets", data=b"{}", headers=headers))
    assert error["error"] == "invalid_signature"


@pytest.mark.parametrize("source", ["zendesk", "intercom", "freshdesk", "hubspot", "tickets"])
def test_every_source_answers_a_non_ascii_credential_header_with_401(client, source):
    headers = {"Content-Type": "application/json"}
    for name in (
        "X-Zendesk-Webhook-Signature",
        "X-Zendesk-Webhook-Signature-Timestamp",
        "X-Hub-Signature",
        "X-Healthloop-Token",
        "X-HubSpot-Signature-v3",
        "X-HubSpot-Request-Timestamp",
        "X-Healthloop-Signature",
    ):
        headers[name] = "\u00e9\u00ff1"
    error = json_error(client.post(f"/webhooks/{source}", data=b"{}", headers=headers))
    assert error["error"] in {"invalid_signature", "stale_timestamp"}


@pytest.fixture
def admin_headers(runtime) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    object.__setattr__(runtime, "settings", runtime.settings.model_copy(update={"admin_token": SecretStr("adm")}))
    return {"Authorization": "Bearer adm"}


@pytest.mark.parametrize("path", ["/api/accounts/%00", "/api/accounts/a%00b", "/api/accounts/" + "x" * 300])
def test_an_account_id_with_nul_or_too_long_answers_400_not_a_database_error(client, admin_headers, path):
    error = json_error(client.get(path, headers=admin_headers))
    assert error["error"] == "invalid_account_id"


def test_a_basic_user_that_is_not_base64_answers_401(client):
    headers = {"Authorization": "Basic %%%", "Content-Type": "application/json"}
    error = json_error(client.post("/v1/track", data=b"{}", headers=headers))
    assert error["error"] == "invalid_authorization"


def test_a_basic_user_in_latin1_bytes_answers_401(client):
    token = base64.b64encode("\u00e9\u00ff:".encode("latin-1")).decode()
    error = json_error(client.post("/v1/track", data=b"{}", headers={"Authorization": f"Basic {token}"}))
    assert error["error"] in {"invalid_authorization", "invalid_write_key"}
