"""Every ticket source over HTTP, driven by its fixture payloads, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from connector.store.models import DailyRollup, Ticket, TicketDelivery
from webhooks.registry import SOURCES
from webhooks.sources import load_fixture

pytestmark = pytest.mark.integration

FIXTURES = [
    pytest.param(name, path, id=f"{name}-{path.stem}")
    for name, source in sorted(SOURCES.items())
    for path in sorted(source.fixtures.glob("*.json"))
]


def post_signed(client, name: str, body: bytes, *, secret: str | None = None, tamper: bool = False):  # type: ignore[no-untyped-def]
    from tests.conftest import SECRETS

    source = SOURCES[name]
    url = f"http://localhost/webhooks/{name}"
    headers = source.sign(body, secret or SECRETS[source.secret_setting], url, datetime.now(UTC))
    sent = body + b" " if tamper else body
    return client.post(f"/webhooks/{name}", data=sent, headers={"Content-Type": "application/json", **headers})


def deliveries(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(TicketDelivery))


def given_demo_accounts(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    """Accounts whose traits explain the fixtures: organization ids and domains."""
    batch = [
        {
            "type": "group",
            "userId": "acct_acme_u03",
            "groupId": "acct_acme",
            "traits": {
                "name": "Acme",
                "website": "https://acme.com",
                "zendesk_organization_id": "509974",
                "hubspot_company_id": "8120331",
            },
        },
        {"type": "identify", "userId": "acct_acme_u03", "traits": {"email": "ana@acme.com"}},
        {
            "type": "group",
            "userId": "acct_globex_u00",
            "groupId": "acct_globex",
            "traits": {"name": "Globex", "website": "globex.io", "zendesk_organization_id": "509975"},
        },
    ]
    assert client.post("/v1/batch", json={"batch": batch}, headers=auth_headers).status_code == 200


@pytest.mark.parametrize(("name", "path"), FIXTURES)
def test_each_sample_is_accepted_with_a_valid_signature_and_stored_once(client, runtime, name, path: Path):
    body = load_fixture(path)
    first = post_signed(client, name, body)
    assert first.status_code == 200, first.json
    assert first.json["duplicates"] == 0
    assert set(first.json["outcomes"]) <= {"handled", "ignored", "unsupported"}
    stored = deliveries(runtime)
    again = post_signed(client, name, body)
    assert again.status_code == 200
    assert again.json["stored"] == 0 and again.json["duplicates"] == first.json["stored"]
    assert deliveries(runtime) == stored, "a retried delivery is stored once"


@pytest.mark.parametrize(("name", "path"), FIXTURES)
def test_each_sample_is_refused_with_a_bad_signature_and_nothing_is_stored(client, runtime, name, path: Path):
    body = load_fixture(path)
    refused = [post_signed(client, name, body, secret="not-the-secret")]
    if SOURCES[name].signs_body:
        refused.append(post_signed(client, name, body, tamper=True))
    for response in refused:
        assert response.status_code == 401
        assert response.json["error"] in {"invalid_signature", "invalid_token"}
    assert deliveries(runtime) == 0


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_source_without_its_secret_refuses_everything(client, runtime, name, caplog):
    source = SOURCES[name]
    runtime.settings = runtime.settings.model_copy(update={source.secret_setting: None})
    body = load_fixture(next(iter(sorted(source.fixtures.glob("*.json")))))
    response = post_signed(client, name, body, secret="anything")
    assert (response.status_code, response.json["error"]) == (401, "source_not_configured")
    assert source.secret_variable in response.json["detail"]
    assert f"{source.secret_variable} is not set" in caplog.text
    assert deliveries(runtime) == 0


def test_unknown_sources_and_wrong_content_types_are_refused(client):
    assert client.post("/webhooks/jira", json={}).status_code == 404
    body = load_fixture(SOURCES["tickets"].fixtures / "ticket_created.json")
    response = client.post("/webhooks/tickets", data=body, headers={"Content-Type": "text/plain"})
    assert (response.status_code, response.json["error"]) == (415, "unsupported_media_type")


def test_a_stale_signed_request_is_refused_as_a_replay(client, runtime):
    from tests.conftest import SECRETS

    source = SOURCES["zendesk"]
    body = load_fixture(source.fixtures / "ticket_created.json")
    old = datetime(2020, 1, 1, tzinfo=UTC)
    headers = source.sign(body, SECRETS["zendesk_webhook_secret"], "http://localhost/webhooks/zendesk", old)
    response = client.post("/webhooks/zendesk", data=body, headers={"Content-Type": "application/json", **headers})
    assert (response.status_code, response.json["error"]) == (401, "stale_timestamp")


def test_tickets_are_matched_by_organization_user_email_and_domain(client, auth_headers, runtime):
    given_demo_accounts(client, auth_headers)
    for name, sample in [
        ("zendesk", "ticket_created"),
        ("zendesk", "comment_added"),
        ("intercom", "conversation_user_created"),
        ("freshdesk", "ticket_created"),
        ("hubspot", "ticket_association_change"),
        ("tickets", "ticket_solved"),
    ]:
        assert post_signed(client, name, load_fixture(SOURCES[name].fixtures / f"{sample}.json")).status_code == 200
    with runtime.sessions() as session:
        tickets = {(t.source, t.external_id): t for t in session.scalars(select(Ticket))}
    by_account = {(t.account_id, t.match_method) for t in tickets.values()}
    assert ("acct_acme", "organization") in by_account, "Zendesk organization 509974 is acme's"
    assert ("acct_globex", "organization") in by_account, "Zendesk organization 509975 is globex's"
    assert any(t.source == "intercom" and t.account_id == "acct_acme" for t in tickets.values())
    assert any(t.source == "freshdesk" and t.account_id == "acct_acme" for t in tickets.values())
    assert any(t.source == "hubspot" and t.account_id == "acct_acme" for t in tickets.values())
    solved = tickets[("generic", "SUP-77")]
    assert (solved.account_id, solved.match_method, solved.status) == ("acct_globex", "domain", "solved")


def test_an_unmatched_ticket_is_kept_and_matched_when_the_account_arrives(client, auth_headers, runtime):
    body = load_fixture(SOURCES["tickets"].fixtures / "ticket_solved.json")
    response = post_signed(client, "tickets", body)
    assert response.json["unmatched"] == 1
    with runtime.sessions() as session:
        assert session.scalars(select(Ticket.account_id)).one() is None
    group = {"userId": "u1", "groupId": "acct_globex", "traits": {"website": "https://www.globex.io"}}
    assert client.post("/v1/group", json=group, headers=auth_headers).status_code == 200
    with runtime.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
    assert (ticket.account_id, ticket.match_method) == ("acct_globex", "rematched")


def test_a_late_delivery_never_overwrites_a_newer_ticket_state(client, runtime):
    base = {"type": "ticket.updated", "ticket": {"id": "T-1", "account_id": "acct_1"}}
    newer = {
        **base,
        "id": "e2",
        "occurred_at": "2026-11-20T12:00:00Z",
        "ticket": {**base["ticket"], "status": "solved", "priority": "low"},
    }
    older = {
        **base,
        "id": "e1",
        "occurred_at": "2026-11-20T09:00:00Z",
        "ticket": {**base["ticket"], "status": "open", "priority": "urgent", "subject": "Export broken"},
    }
    import orjson

    for payload in (newer, older):
        assert post_signed(client, "tickets", orjson.dumps(payload)).status_code == 200
    with runtime.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
    assert (ticket.status, ticket.priority) == ("solved", "low"), "the newer state stands"
    assert ticket.subject == "Export broken", "an older delivery still fills what was unknown"


def test_matched_tickets_reach_the_daily_rollup(client, auth_headers, runtime):
    given_demo_accounts(client, auth_headers)
    post_signed(client, "tickets", load_fixture(SOURCES["tickets"].fixtures / "ticket_created.json"))
    SimpleWorker([runtime.queue.queue], connection=runtime.redis).work(burst=True)
    with runtime.sessions() as session:
        rollup = session.get(DailyRollup, ("acct_acme", date(2026, 11, 20)))
    assert rollup is not None and rollup.tickets_opened == 1


ODD_PAYLOADS = [
    b"[]",
    b"{}",
    b'"text"',
    b"42",
    b"null",
    b'{"type": 5}',
    b"[{}]",
    b"[1, 2]",
    b'{"detail": []}',
    b'{"topic": "conversation.user.created", "data": {"item": []}}',
    b'{"freshdesk_webhook": "x"}',
    b'{"type": "ticket.created", "occurred_at": "soon", "ticket": {"id": ""}}',
    b'{"type": "zen:event-type:ticket.created", "id": "x", "detail": {"id": null}}',
    b'[{"subscriptionType": "ticket.creation", "objectId": {"a": 1}, "occurredAt": "never"}]',
    b'{"ticket_id": [], "status": {}, "priority": 9, "updated_at": 12}',
]


@pytest.mark.parametrize("name", sorted(SOURCES))
@pytest.mark.parametrize("body", ODD_PAYLOADS, ids=range(len(ODD_PAYLOADS)))
def test_odd_but_authentic_payloads_get_a_clear_answer_never_a_5xx(client, runtime, name, body):
    response = post_signed(client, name, body)
    assert response.status_code < 500, response.json
    if response.status_code >= 400:
        assert response.json["error"] and response.json["detail"]
