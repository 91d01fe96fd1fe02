"""Plays that reach every account, most valuable first: the current tier's play once per tier episode (an
account already in its tier when first scored included), renewal and MRR from traits or the CRM's open
renewal, and the lists sorted by revenue at risk. Events over HTTP, the real jobs, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli.main import cli
from connector.health.account_value import account_values
from connector.jobs import tasks as jobs
from connector.store.models import AccountScore, Intervention, Renewal
from tests.integration.segment_calls import TODAY, drain, history_batch, send

pytestmark = pytest.mark.integration


def interventions(runtime, account: str) -> list[Intervention]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return list(session.scalars(select(Intervention).where(Intervention.account_id == account)))


def test_an_account_already_in_its_tier_when_first_scored_gets_that_tiers_play_once(client, auth_headers, runtime):
    send(client, auth_headers, history_batch("acct_steady", seats=5, active_days=range(0, 80)))
    drain(runtime)
    [play] = interventions(runtime, "acct_steady")
    with runtime.sessions() as session:
        tier = session.scalar(select(AccountScore.tier).where(AccountScore.account_id == "acct_steady"))
    assert play.tier_play and play.tier == tier and play.trigger_ids == []
    assert play.story is not None and "healthloop scored it for the first time" in play.story["opening"]
    jobs.rescore_accounts(["acct_steady"])
    assert len(interventions(runtime, "acct_steady")) == 1, "once per tier episode, not once per rescore"


def test_an_episode_that_began_before_healthloop_acted_still_gets_its_play(client, auth_headers, runtime, database_url):
    send(client, auth_headers, history_batch("acct_known", seats=5, active_days=range(0, 80)))
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    start, end = (TODAY - timedelta(days=10)).date(), (TODAY - timedelta(days=1)).date()
    result = CliRunner().invoke(cli, ["score", "acct_known", "--from", str(start), "--to", str(end)], env=env)
    assert result.exit_code == 0, result.output
    assert interventions(runtime, "acct_known") == [], "history fills decide no work"
    drain(runtime)  # today's live score: the same tier as the days before
    [play] = interventions(runtime, "acct_known")
    assert play.tier_play and play.story is not None
    assert f"has been in {play.story['health'].split('(')[1].split(')')[0]} since {start}" in play.story["opening"]


def test_renewal_and_mrr_come_from_traits_else_from_the_crms_open_renewal(client, auth_headers, runtime):
    calls = history_batch("acct_traits", seats=5, active_days=range(0, 10))
    calls[0]["traits"] |= {"mrr": 900, "renewal_date": (TODAY + timedelta(days=40)).date().isoformat()}
    send(client, auth_headers, calls)
    send(client, auth_headers, history_batch("acct_crm", seats=5, active_days=range(0, 10)))
    now = datetime.now(UTC)
    with runtime.sessions.begin() as session:
        for account, days, amount in (("acct_crm", 30, 12_000.0), ("acct_crm", 400, 99_000.0), ("acct_traits", 5, 1.0)):
            session.add(
                Renewal(source="hubspot", external_id=f"{account}-{days}", account_id=account, name="renewal",
                        close_date=(now + timedelta(days=days)).date(), status="open", amount=amount, updated_at=now)
            )  # fmt: skip
    with runtime.sessions() as session:
        values = account_values(session, ["acct_traits", "acct_crm", "acct_none"], now.date())
    assert values["acct_traits"].mrr == 900 and values["acct_traits"].renewal_on == (TODAY + timedelta(days=40)).date()
    assert values["acct_crm"].mrr == 1000 and values["acct_crm"].renewal_on == (now + timedelta(days=30)).date()
    assert (values["acct_none"].mrr, values["acct_none"].renewal_on) == (None, None)


def test_accounts_and_the_report_sort_by_revenue_at_risk(client, auth_headers, runtime, database_url):
    for account, mrr, active in (("acct_small", 100, range(25, 90)), ("acct_big", 5000, range(25, 90)),
                                 ("acct_fine", 9000, range(0, 90))):  # fmt: skip
        calls = history_batch(account, seats=5, active_days=active)
        calls[0]["traits"] |= {"mrr": mrr}
        send(client, auth_headers, calls)
    drain(runtime)
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    listed = CliRunner().invoke(cli, ["accounts", "list", "--sort", "revenue-at-risk", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = orjson.loads(listed.output)
    assert [r["account_id"] for r in rows][:2] == ["acct_big", "acct_small"]
    assert rows[0]["revenue_at_risk"] == 60_000 and rows[-1]["revenue_at_risk"] == 0, "healthy: nothing at risk"
    report = CliRunner().invoke(cli, ["report", "--sort", "revenue-at-risk", "--json"], env=env)
    assert report.exit_code == 0, report.output
    at_risk = orjson.loads(report.output)["at_risk_accounts"]
    assert [r["account_id"] for r in at_risk] == ["acct_big", "acct_small"]
    assert at_risk[0]["play"] and at_risk[0]["play_state"] == "waiting for the CRM"
