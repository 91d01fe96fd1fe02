"""The console's pages and the read models behind them, on SQLite and PostgreSQL, empty and with data."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from connector.config.settings import SettingsError, load_settings
from connector.health.account_list import AccountQuery, list_page
from connector.store.models import Account, AccountScore, LatestScore, Renewal
from scoring.rules import TierBands
from tests.console.conftest import console_settings, post_form, sign_in
from tests.console.console_seed import (
    STORY,
    STORY_HISTORY_DAYS,
    STORY_INTERVENTIONS_IN_90_DAYS,
    STORY_OUTCOMES_IN_90_DAYS,
    score_of,
    seed,
    tier_of,
)

pytestmark = pytest.mark.integration
PAGES = ("/console/accounts", "/console/outcomes", "/console/integrations", "/console/config", "/console/activity")
BANDS = TierBands()


def test_every_page_says_plainly_that_nothing_is_there_yet_on_an_empty_database(console):
    sign_in(console)
    expected = {
        "/console/accounts": "No accounts yet",
        "/console/outcomes": "No interventions yet",
        "/console/integrations": "Every stored ticket is matched to an account.",
        "/console/config": "0 closed renewals (0 lost, 0 won)",
        "/console/activity": "admin (admin)",
    }
    for path in PAGES:
        response = console.get(path)
        assert response.status_code == 200, path
        assert expected[path] in response.text, path
    assert console.get("/console/accounts/nobody").status_code == 404


def test_every_page_shows_the_stored_data(console, console_runtime):
    seed(console_runtime.sessions, accounts=12)
    sign_in(console)
    accounts = console.get("/console/accounts").text
    assert "Company 011" in accounts and "Story Inc" in accounts and "13 accounts match." in accounts
    outcomes = console.get("/console/outcomes").text
    assert "interventions" in outcomes and "tier: At Risk" in outcomes and "Reactive" in outcomes
    integrations = console.get("/console/integrations").text
    assert "no account has zendesk organization 999" in integrations
    assert "gmail.com is a shared mail provider" in integrations
    assert "unsupported 1" in integrations and "zen:event-type:unsupported (1)" in integrations
    assert "PROPERTY_DOESNT_EXIST" in integrations
    config = console.get("/console/config").text
    assert "built-in defaults" in config and "Check this YAML" in config


def test_latest_scores_follow_every_write_to_the_score_history(console_runtime):
    sessions = console_runtime.sessions
    seed(sessions, accounts=3)
    today = datetime.now(UTC).date()
    with sessions() as session:
        latest = {r.account_id: (r.day, r.score) for r in session.scalars(select(LatestScore))}
    assert latest["acct_001"] == (today, score_of(1)) and latest[STORY][0] == today
    with sessions.begin() as session:  # a backfill of an older day never hides the newest score
        older = session.get(AccountScore, ("acct_001", today - timedelta(days=13)))
        session.add(AccountScore(**{c.key: getattr(older, c.key) for c in AccountScore.__table__.c} | {
            "day": today - timedelta(days=20)}))  # fmt: skip
    with sessions() as session:
        assert (session.get(LatestScore, "acct_001").day, session.get(LatestScore, "acct_001").score) == (
            today, score_of(1))  # fmt: skip
    with sessions.begin() as session:  # deleting the newest falls back to the one before
        session.execute(delete(AccountScore).where(AccountScore.account_id == "acct_001", AccountScore.day == today))
    with sessions() as session:
        assert session.get(LatestScore, "acct_001").day == today - timedelta(days=1)
    with sessions.begin() as session:  # rescoring a day in place updates the copy
        yesterday = session.get(AccountScore, ("acct_001", today - timedelta(days=1)))
        yesterday.score, yesterday.tier = 3, "churning"
    with sessions() as session:
        assert (session.get(LatestScore, "acct_001").score, session.get(LatestScore, "acct_001").tier) == (
            3, "churning")  # fmt: skip
    with sessions.begin() as session:
        session.execute(delete(AccountScore).where(AccountScore.account_id == "acct_001"))
    with sessions() as session:
        assert session.get(LatestScore, "acct_001") is None


def test_filters_sort_search_and_pages_choose_the_accounts(console_runtime):
    seed(console_runtime.sessions, accounts=40)
    today = datetime.now(UTC).date()
    scores = {f"acct_{n:03d}": score_of(n) for n in range(40)} | {STORY: 65}
    with console_runtime.readers() as session:

        def page(**query: object) -> list[str]:
            return [row.account_id for row in list_page(session, AccountQuery(**query), BANDS, today).rows]

        everyone = list_page(session, AccountQuery(per_page=25), BANDS, today)
        assert (everyone.total, everyone.pages, len(everyone.rows)) == (41, 2, 25)
        assert [r.score for r in everyone.rows] == sorted(scores.values())[:25]
        assert len(page(page=2, per_page=25)) == 16
        critical = page(tier="critical", per_page=100)
        assert critical and all(tier_of(scores[a]) == "critical" for a in critical)
        assert len(critical) == sum(tier_of(s) == "critical" for s in scores.values())
        inactive = page(trigger="inactive", per_page=100)
        assert sorted(inactive) == [f"acct_{n:03d}" for n in range(0, 40, 7)]
        escalation = page(owner="escalation", per_page=100)
        assert sorted(escalation) == sorted(a for a, s in scores.items() if s < 40 and a != STORY)
        assert page(search="story") == [STORY] and page(search="COMPANY017.example") == ["acct_017"]
        assert page(search="100%_") == []
        found = list_page(session, AccountQuery(search="company 01", per_page=4, page=3), BANDS, today)
        assert (found.total, found.pages, len(found.rows)) == (10, 3, 2)
        assert list_page(session, AccountQuery(search="company 01", per_page=4, page=9), BANDS, today).total == 10
        at_risk = list_page(session, AccountQuery(sort="revenue_at_risk", descending=True), BANDS, today).rows
        values = [r.revenue_at_risk for r in at_risk if r.revenue_at_risk is not None]
        assert values == sorted(values, reverse=True) and values[0] > 0
        assert all(r.revenue_at_risk is None for r in at_risk[len(values) :])
        first = everyone.rows[0]
        assert len(first.recent_scores) == 14 and first.open_triggers and first.play_owner
    with console_runtime.sessions.begin() as session:  # an account with no score yet comes last either way
        session.add(Account(account_id="acct_new", name="New Co", traits={}, first_seen_at=datetime.now(UTC),
                            updated_at=datetime.now(UTC)))  # fmt: skip
    with console_runtime.readers() as session:
        for descending in (False, True):
            last = list_page(session, AccountQuery(descending=descending, page=3, per_page=20), BANDS, today)
            assert last.unscored == 1 and last.total == 42
            assert [r.account_id for r in last.rows] == [last.rows[0].account_id, "acct_new"]
            assert last.rows[0].score == (min if descending else max)(scores.values())  # the last scored one


def test_the_csv_export_has_every_matching_account_in_the_list_order(console, console_runtime):
    seed(console_runtime.sessions, accounts=30)
    sign_in(console)
    response = console.get("/console/accounts.csv?tier=churning&sort=name")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    expected = sorted(f"acct_{n:03d}" for n in range(30) if tier_of(score_of(n)) == "churning")
    assert [r["account_id"] for r in rows] == expected
    assert all(r["tier"] == "churning" and "low_score" in r["open_triggers"] for r in rows)


def test_the_account_page_draws_a_point_per_day_and_a_marker_per_intervention_and_outcome(
    console, console_runtime, database_url, redis_url
):
    seed(console_runtime.sessions, accounts=2)
    sign_in(console)
    page = console.get(f"/console/accounts/{STORY}").text
    assert len(re.findall(r'data-kind="point"', page)) == 90
    assert len(re.findall(r'data-kind="intervention"', page)) == STORY_INTERVENTIONS_IN_90_DAYS
    assert len(re.findall(r'data-kind="outcome"', page)) == STORY_OUTCOMES_IN_90_DAYS
    assert "renewal won" in page and "task completed" in page and "recovered to 60+" in page
    assert "dropped 22 points in 7 days" in page and "control group: not sent" in page
    assert "Export times out" in page and "hubspot record 4242" in page
    whole = console.get(f"/console/accounts/{STORY}?days=365").text
    assert len(re.findall(r'data-kind="point"', whole)) == STORY_HISTORY_DAYS
    assert "set HEALTHLOOP_CRM_RECORD_URL to link it" in page
    template = "https://crm.example/companies/{record_id}"
    console_runtime.settings = console_settings(database_url, redis_url, crm_record_url=template)
    linked = console.get(f"/console/accounts/{STORY}").text
    assert 'href="https://crm.example/companies/4242"' in linked


def test_a_crm_record_url_without_the_record_id_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match=r"HEALTHLOOP_CRM_RECORD_URL: .*record_id"):
        load_settings(crm_record_url="https://crm.example/companies/")


def test_a_proposed_config_is_checked_line_by_line_and_replayed(console, console_runtime):
    seed(console_runtime.sessions, accounts=3)
    sign_in(console)
    bad = post_form(
        console, "/console/config", "/console/config/check", proposed="scoring:\n  tiers:\n    healthy: 500\n"
    )
    assert bad.status_code == 200 and "line 3: scoring.tiers.healthy" in bad.text
    proposed = "scoring:\n  tiers:\n    monitor: 70\n"
    good = post_form(console, "/console/config", "/console/config/check", proposed=proposed, days="7")
    assert "Valid: config version" in good.text and "Replay of" in good.text
    assert "scoring.tiers.monitor" in good.text
    assert "config check" in console.get("/console/activity").text


def test_calibrates_decision_is_shown_with_the_outcomes_it_would_need(console, console_runtime):
    seeded = seed(console_runtime.sessions, accounts=30)
    close = seeded.today + timedelta(days=30)  # 30 days after today's score: calibrate reads that score
    with console_runtime.sessions.begin() as session:
        for n in range(30):
            lost = score_of(n) < 50
            session.add(Renewal(source="import", external_id=f"r{n}", account_id=f"acct_{n:03d}", close_date=close,
                                status="lost" if lost else "won", updated_at=datetime.now(UTC)))  # fmt: skip
    sign_in(console)
    page = console.get("/console/config").text
    # 30 renewals are below calibrate's floor: it refuses and says how many it needs, as the CLI does.
    assert "30 closed renewals" in page and "Needs at least" in page
    assert "The proposed change as a diff" not in page
