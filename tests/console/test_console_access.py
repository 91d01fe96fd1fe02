"""Who may see and do what in the console: sign-in, sessions, CSRF, viewers and admins, the action log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.console.users import add_user
from connector.jobs.runtime import Runtime
from connector.store.models import ConsoleAction
from tests.console.conftest import ADMIN_TOKEN, console_settings, csrf_token, post_form, sign_in
from tests.console.console_seed import FAILING, UNMATCHED, seed

pytestmark = pytest.mark.integration


def _actions(rt: Runtime) -> list[tuple[str, str, str, str | None]]:
    with rt.sessions() as session:
        rows = session.scalars(select(ConsoleAction).order_by(ConsoleAction.id)).all()
        return [(a.actor, a.action, a.outcome, a.target) for a in rows]


def _user(rt: Runtime, name: str, role: str) -> str:
    with rt.sessions.begin() as session:
        return add_user(session, name, role)  # type: ignore[arg-type]


def test_every_page_asks_for_a_sign_in_first(console):
    for path in ("/console/accounts", "/console/accounts/acct_x", "/console/outcomes", "/console/integrations",
                 "/console/config", "/console/activity", "/console/accounts.csv"):  # fmt: skip
        response = console.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/console/sign-in?next=")


def test_a_wrong_token_is_refused_and_the_refusal_is_logged_without_the_token(console, console_runtime):
    response = sign_in(console, "not-the-token")
    assert response.status_code == 401
    assert "not valid" in response.text
    assert console.get("/console/accounts").status_code == 302
    assert _actions(console_runtime) == [("-", "sign_in", "refused", None)]
    with console_runtime.sessions() as session:
        assert "not-the-token" not in str(session.scalars(select(ConsoleAction.detail)).all())


def test_the_admin_token_signs_in_and_out_and_both_are_logged(console, console_runtime):
    response = sign_in(console)
    assert response.status_code == 302 and response.headers["Location"] == "/console/accounts"
    page = console.get("/console/accounts")
    assert page.status_code == 200 and "admin (admin)" in page.text
    assert console.post("/console/sign-out", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert console.get("/console/accounts").status_code == 302
    assert [(a, act, o) for a, act, o, _ in _actions(console_runtime)] == [
        ("admin", "sign_in", "ok"),
        ("admin", "sign_out", "ok"),
    ]


def test_a_user_token_signs_in_and_removing_the_user_ends_their_session(console, console_runtime):
    token = _user(console_runtime, "dana", "viewer")
    assert token.startswith("hlc_")
    sign_in(console, token)
    assert "dana (viewer)" in console.get("/console/accounts").text
    from connector.console.users import remove_user

    with console_runtime.sessions.begin() as session:
        assert remove_user(session, "dana")
    assert console.get("/console/accounts").status_code == 302


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_over_https(console):
    page = console.get("/console/sign-in", base_url="https://console.example")
    response = console.post(
        "/console/sign-in",
        data={"token": ADMIN_TOKEN, "csrf_token": csrf_token(page.text)},
        base_url="https://console.example",
        headers={"Referer": "https://console.example/console/sign-in"},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Path=/console" in cookie
    plain = sign_in(console.application.test_client()).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "Secure" not in plain


def test_a_post_without_the_csrf_token_is_refused_and_logged(console, console_runtime):
    sign_in(console)
    response = console.post(f"/console/integrations/crm/retry/{FAILING}")
    assert response.status_code == 400
    assert "not sent from a console page" in response.text
    assert ("admin", "form_post", "refused", f"/console/integrations/crm/retry/{FAILING}") in _actions(console_runtime)
    assert console_runtime.queue.take_sync_requests() == []  # type: ignore[attr-defined]
    forged = console.post("/console/sign-out", data={"csrf_token": "forged"})
    assert forged.status_code == 400


def test_a_viewer_is_refused_every_action_and_each_refusal_is_logged(console, console_runtime):
    seed(console_runtime.sessions, accounts=6)
    sign_in(console, _user(console_runtime, "vic", "viewer"))
    page = console.get("/console/integrations").text
    assert "Retry now" not in page and "Check the mapping now" not in page
    retry = post_form(console, "/console/integrations", f"/console/integrations/crm/retry/{FAILING}")
    check = post_form(console, "/console/config", "/console/config/check", proposed="scoring: {}\n")
    assert retry.status_code == check.status_code == 403
    assert "Only admins" in retry.text
    assert console_runtime.queue.take_sync_requests() == []  # type: ignore[attr-defined]
    log = _actions(console_runtime)
    assert ("vic", "crm_retry", "refused", FAILING) in log
    assert ("vic", "config_check", "refused", None) in log


def test_an_admin_retries_a_failing_and_an_unmatched_account_now(console, console_runtime):
    seed(console_runtime.sessions, accounts=6)
    sign_in(console)
    page = console.get("/console/integrations").text
    assert "PROPERTY_DOESNT_EXIST" in page and f"Retry {UNMATCHED} now" in page
    for account_id in (FAILING, UNMATCHED):
        response = post_form(console, "/console/integrations", f"/console/integrations/crm/retry/{account_id}")
        assert response.status_code == 302
    assert sorted(console_runtime.queue.take_sync_requests()) == [FAILING, UNMATCHED]  # type: ignore[attr-defined]
    assert (
        "Sync of acct_004 requested (its CRM record will be searched for again)."
        in console.get("/console/integrations").text
    )
    log = _actions(console_runtime)
    assert ("admin", "crm_retry", "ok", FAILING) in log and ("admin", "crm_retry", "ok", UNMATCHED) in log
    activity = console.get("/console/activity").text
    assert "crm retry" in activity and UNMATCHED in activity


def test_the_console_is_closed_without_an_admin_token_or_a_secret_key(database_url, redis_url, engine, redis_client):
    from connector.config.yaml_config import Config
    from connector.jobs.runtime import Runtime
    from connector.jobs.work_queue import RedisWorkQueue
    from connector.store.db import make_sessionmaker
    from webhooks.app import create_app

    settings = console_settings(database_url, redis_url, admin_token=None)
    rt = Runtime(settings, Config(), engine, make_sessionmaker(engine), RedisWorkQueue(redis_client), redis_client)
    client = create_app(rt).test_client()
    response = client.get("/console/sign-in")
    assert response.status_code == 503
    assert "The console is closed" in response.text
    assert client.get("/console/accounts").status_code == 302


def test_console_pages_carry_a_strict_content_security_policy(console):
    sign_in(console)
    headers = console.get("/console/accounts").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_an_address_that_keeps_guessing_tokens_is_made_to_wait(console, console_runtime):
    for _ in range(10):
        assert sign_in(console, "guess").status_code == 401
    response = sign_in(console)  # even the right token waits now
    assert response.status_code == 429 and "Too many wrong tokens" in response.text
    assert ("-", "sign_in", "throttled", None) in _actions(console_runtime)
    other = console.application.test_client()
    page = other.get("/console/sign-in", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    token = csrf_token(page.text)
    allowed = other.post("/console/sign-in", data={"token": ADMIN_TOKEN, "csrf_token": token},
                         environ_base={"REMOTE_ADDR": "10.9.9.9"})  # fmt: skip
    assert allowed.status_code == 302
