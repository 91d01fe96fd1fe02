"""Scoring end to end: events in over HTTP, the rescore job, score history, alerts, interventions,
the CLI and the admin API, on SQLite and PostgreSQL with real Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import orjson
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import func, select

from connector.cli.main import cli
from connector.jobs import tasks as jobs
from connector.jobs.slack import SlackUnavailable, deliver_slack_alerts
from connector.store.models import AccountScore, Alert, Intervention
from tests.integration.segment_calls import TODAY, drain, history_batch, send

pytestmark = pytest.mark.integration


def show(database_url: str, account: str) -> dict:
    result = CliRunner().invoke(
        cli, ["accounts", "show", account, "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def test_events_over_http_are_scored_by_the_job_and_shown_by_the_cli(client, auth_headers, runtime, database_url):
    send(client, auth_headers, history_batch("acct_busy", seats=5, active_days=range(0, 60)))
    send(client, auth_headers, history_batch("acct_quiet", seats=5, active_days=range(25, 90)))
    drain(runtime)
    busy, quiet = show(database_url, "acct_busy"), show(database_url, "acct_quiet")
    for shown in (busy, quiet):
        assert 0 <= shown["score"] <= 100
        assert shown["tier"] in {"healthy", "monitor", "at_risk", "critical", "churning"}
        assert set(shown["signals"]) == {"activity", "engagement", "milestones", "recency"}
        assert shown["score_history"][-1]["score"] == shown["score"]
        assert shown["reason"]
    assert busy["score"] > quiet["score"]
    quiet_triggers = {t["id"]: t for t in quiet["open_triggers"]}
    assert {"inactive", "inactivity_winback"} <= set(quiet_triggers)
    assert quiet_triggers["inactive"]["fired_at"] and quiet_triggers["inactive"]["explanation"]
    assert "inactive" not in {t["id"] for t in busy["open_triggers"]}
    assert any("inactivity_winback" in i["trigger_ids"] for i in quiet["interventions"])


def test_rescoring_the_same_day_fires_nothing_twice(client, auth_headers, runtime):
    send(client, auth_headers, history_batch("acct_quiet", seats=5, active_days=range(25, 90)))
    drain(runtime)
    with runtime.sessions() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert))
        interventions = session.scalar(select(func.count()).select_from(Intervention))
    jobs.rescore_accounts(["acct_quiet"])
    jobs.rescore_accounts(["acct_quiet"])
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == alerts
        assert session.scalar(select(func.count()).select_from(Intervention)) == interventions
        assert session.scalar(select(func.count()).select_from(AccountScore)) == 1, "one row per scored day"


def test_score_from_to_fills_history_without_interventions_and_gives_the_same_trend_as_daily(
    client, auth_headers, runtime, database_url
):
    send(client, auth_headers, history_batch("acct_fading", seats=10, active_days=range(10, 80)))
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    start = (TODAY - timedelta(days=30)).date().isoformat()
    end = (TODAY - timedelta(days=1)).date().isoformat()
    result = CliRunner().invoke(cli, ["score", "acct_fading", "--from", start, "--to", end, "--json"], env=env)
    assert result.exit_code == 0, result.output
    with runtime.sessions() as session:
        days = session.scalar(select(func.count()).where(AccountScore.account_id == "acct_fading"))
        assert days == 30
        assert session.scalar(select(func.count()).select_from(Intervention)) == 0, "backfills decide no actions"
        backfilled = {d: s for d, s in session.execute(select(AccountScore.day, AccountScore.trend_delta))}
    assert all(delta is not None for day, delta in backfilled.items() if day > TODAY.date() - timedelta(days=23))
    today = CliRunner().invoke(cli, ["score", "acct_fading", "--json"], env=env)
    assert today.exit_code == 0, today.output
    assert orjson.loads(today.output)["trend"] is not None


def test_scoring_a_past_day_without_history_recomputes_the_earlier_score(client, auth_headers, runtime, database_url):
    send(client, auth_headers, history_batch("acct_new", seats=3, active_days=range(0, 40)))
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    as_of = (TODAY - timedelta(days=5)).date().isoformat()
    result = CliRunner().invoke(cli, ["score", "acct_new", "--as-of", as_of, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["trend"] is not None, "the score 7 days earlier came from stored events"


def test_score_command_usage_errors_are_clear(database_url):
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    assert "name one ACCOUNT_ID or pass --all" in CliRunner().invoke(cli, ["score"], env=env).output
    future = (TODAY + timedelta(days=3)).date().isoformat()
    assert "cannot score the future" in CliRunner().invoke(cli, ["score", "--all", "--as-of", future], env=env).output
    unknown = CliRunner().invoke(cli, ["score", "nobody"], env=env)
    assert unknown.exit_code == 1 and "no account 'nobody'" in unknown.output


def test_the_admin_api_returns_the_same_json_with_a_bearer_token(client, auth_headers, runtime, database_url):
    send(client, auth_headers, history_batch("acct_busy", seats=5, active_days=range(0, 30)))
    drain(runtime)
    runtime.settings = runtime.settings.model_copy(update={"admin_token": SecretStr("s3cret-admin")})
    response = client.get("/api/accounts/acct_busy", headers={"Authorization": "Bearer s3cret-admin"})
    assert response.status_code == 200
    from_cli = show(database_url, "acct_busy")
    assert response.json["score"] == from_cli["score"] and response.json["score_history"] == from_cli["score_history"]
    assert client.get("/api/accounts/acct_busy").status_code == 401
    assert client.get("/api/accounts/acct_busy", headers={"Authorization": "Bearer nope"}).json["error"] == (
        "invalid_token"
    )
    assert client.get("/api/accounts/nobody", headers={"Authorization": "Bearer s3cret-admin"}).status_code == 404
    runtime.settings = runtime.settings.model_copy(update={"admin_token": None})
    closed = client.get("/api/accounts/acct_busy", headers={"Authorization": "Bearer s3cret-admin"})
    assert (closed.status_code, closed.json["error"]) == (401, "source_not_configured")


def test_the_daily_rescore_queues_every_account(client, auth_headers, runtime):
    send(client, auth_headers, history_batch("acct_a", seats=2, active_days=range(0, 3)))
    send(client, auth_headers, history_batch("acct_b", seats=2, active_days=range(0, 3)))
    drain(runtime)
    assert jobs.rescore_all() == {"accounts": 2, "enqueued": 2}


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(orjson.loads(body))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok" if type(self).status == 200 else b"no_service")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slack_receiver(monkeypatch) -> Iterator[type[_Receiver]]:  # type: ignore[no-untyped-def]
    import connector.jobs.slack

    monkeypatch.setattr(connector.jobs.slack, "PACE_SECONDS", 0)
    _Receiver.status, _Receiver.received = 200, []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.url = f"http://127.0.0.1:{server.server_port}/services/T0/B0/x"  # type: ignore[attr-defined]
    yield _Receiver
    server.shutdown()


def _slack_interventions(runtime) -> list[int]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return list(session.scalars(select(Intervention.id).where(Intervention.slack_alert)))


def test_slack_alerts_are_posted_once_and_their_delivery_recorded(client, auth_headers, runtime, slack_receiver):
    runtime.settings = runtime.settings.model_copy(update={"slack_webhook_url": SecretStr(slack_receiver.url)})
    send(client, auth_headers, history_batch("acct_falling", seats=20, active_days=range(20, 90), users=1))
    drain(runtime)
    ids = _slack_interventions(runtime)
    assert ids, "an at-risk account gets a Slack alert"
    assert len(slack_receiver.received) == len(ids)
    assert "Acct_Falling" in slack_receiver.received[0]["text"]
    deliver_slack_alerts(ids)
    assert len(slack_receiver.received) == len(ids), "an alert is posted once"
    with runtime.sessions() as session:
        assert set(session.scalars(select(Intervention.slack_status).where(Intervention.id.in_(ids)))) == {"sent"}


@pytest.mark.parametrize(("status", "outcome"), [(404, "failed"), (500, "pending")])
def test_slack_failures_are_permanent_or_retried(client, auth_headers, runtime, slack_receiver, status, outcome):
    send(client, auth_headers, history_batch("acct_falling", seats=20, active_days=range(20, 90), users=1))
    drain(runtime)  # no URL configured yet
    ids = _slack_interventions(runtime)
    with runtime.sessions() as session:
        assert set(session.scalars(select(Intervention.slack_status).where(Intervention.id.in_(ids)))) == {
            "not_configured"
        }
    with runtime.sessions.begin() as session:
        session.execute(Intervention.__table__.update().values(slack_status="pending"))
    runtime.settings = runtime.settings.model_copy(update={"slack_webhook_url": SecretStr(slack_receiver.url)})
    slack_receiver.status = status
    if outcome == "pending":
        with pytest.raises(SlackUnavailable):
            deliver_slack_alerts(ids)
    else:
        deliver_slack_alerts(ids)
    with runtime.sessions() as session:
        assert set(session.scalars(select(Intervention.slack_status).where(Intervention.id.in_(ids)))) == {outcome}


def test_backtest_reports_triggers_tiers_and_lead_time_before_losses(
    client, auth_headers, runtime, database_url, tmp_path
):
    send(client, auth_headers, history_batch("acct_lost", seats=10, active_days=range(30, 100)))
    send(client, auth_headers, history_batch("acct_kept", seats=5, active_days=range(0, 100)))
    drain(runtime)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(f"account_id,date,outcome\nacct_lost,{TODAY.date()},churned\nacct_kept,{TODAY.date()},won\n")
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    start = (TODAY - timedelta(days=40)).date().isoformat()
    result = CliRunner().invoke(cli, ["backtest", "--from", start, "--outcomes", str(outcomes), "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert report["accounts"] == 2 and report["losses"] == 1
    inactive = report["triggers"]["inactive"]
    assert inactive["accounts"] == 1 and inactive["losses_warned"] == 1
    assert inactive["median_lead_days"] >= 10, "inactivity was visible well before the churn date"
    table = CliRunner().invoke(cli, ["backtest", "--from", start], env=env)
    assert table.exit_code == 0 and "inactivity_winback" in table.output


def test_the_bulk_read_scores_exactly_like_a_full_history_read(client, auth_headers, runtime):
    """The rescore reads per-user counts only for the days that need them; nothing may change."""
    from connector.config.yaml_config import Config
    from connector.health.history import load_histories
    from connector.health.population import compute_population
    from connector.health.scores import assess_accounts, load_priors
    from scoring.assess import assess

    # Nine users active until 16 days ago, two since: engagement (28 days) and idle seats (14 days)
    # see different users, and the account without stored history also recomputes its week-old score.
    calls = history_batch("acct_window", seats=12, active_days=range(16, 85), users=9)
    calls += history_batch("acct_window", seats=12, active_days=range(0, 16), users=2)[1:]
    send(client, auth_headers, calls)
    drain(runtime)
    rules, today = Config().scoring, TODAY.date()
    with runtime.sessions() as session:
        session.execute(AccountScore.__table__.delete().where(AccountScore.day < today))
        population = compute_population(session, today, rules)
        bulk = assess_accounts(session, ["acct_window"], today, rules, TODAY, population)
        full = load_histories(session, ["acct_window"], today - timedelta(days=200), today)
        priors = load_priors(session, full, today, rules, population=population)
    expected = assess(full["acct_window"].timeline(today, rules), rules, priors["acct_window"], TODAY, population)
    assert expected.score.signals["engagement"].inputs["active_users"] == 9
    assert bulk[0].score == expected.score
    assert bulk[0].trend == expected.trend
    assert [hit.trigger_id for hit in bulk[0].fired] == [hit.trigger_id for hit in expected.fired]
