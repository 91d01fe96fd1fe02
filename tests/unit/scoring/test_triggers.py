"""Every trigger on hand-built timelines, including the seeds' own examples."""

from __future__ import annotations

import json

import pytest

from scoring.labels import TRIGGER_LABELS
from scoring.model import PriorState
from scoring.rules import TRIGGER_IDS, EventRules, ScoringRules, TriggerRules
from scoring.triggers import (
    TRIGGERS,
    core_feature_unused,
    evaluate,
    health_drop,
    inactive,
    inactivity_winback,
    login_decline,
    low_score,
    score_drop,
    seats_inactive,
    setup_incomplete,
    stuck_in_journey,
    ticket_cluster,
)
from tests.unit.scoring.timelines import (
    ONBOARDED,
    RULES,
    TEAM,
    WORK,
    context,
    day,
    healthy,
    steady,
    ticket,
    timeline,
    users_each_day,
)


def quiet_for(days: int, **overrides: object):
    """A healthy account whose last meaningful activity was `days` days ago."""
    return healthy(days=steady(40, WORK, first=days), users_by_day=users_each_day(40, TEAM, first=days), **overrides)


def test_there_is_one_trigger_function_per_id_in_order():
    assert tuple(TRIGGERS) == TRIGGER_IDS and set(TRIGGER_LABELS) == set(TRIGGER_IDS)


def test_low_score_fires_below_sixty_and_names_the_weakest_signal():
    hit = low_score(context(healthy(), score=59))
    assert hit is not None and hit.evidence["score"] == 59 and hit.evidence["below"] == 60
    assert "Acme's health score is 59/100 (At Risk)" in hit.explanation
    assert low_score(context(healthy(), score=60)) is None


def test_score_drop_fires_on_fifteen_points_within_seven_days():
    hit = score_drop(context(healthy(), score=60, prior=PriorState(score_days_ago={7: 75})))
    assert hit is not None and hit.evidence == {"score": 60, "earlier": 75, "drop": 15, "days": 7}
    assert "fell 15 points in 7 days, from 75 to 60" in hit.explanation
    assert score_drop(context(healthy(), score=61, prior=PriorState(score_days_ago={7: 75}))) is None
    assert score_drop(context(healthy(), score=10)) is None


def test_inactive_fires_after_fourteen_days_without_meaningful_activity():
    hit = inactive(context(quiet_for(14)))
    assert hit is not None and hit.evidence == {"days_inactive": 14, "last_active_on": "2025-03-17", "threshold": 14}
    assert inactive(context(quiet_for(13))) is None


def test_an_account_never_active_counts_as_inactive_since_signup():
    hit = inactive(context(timeline(signed_up=20, days={3: {"Signed Out": 1}})))
    assert hit is not None and hit.evidence["last_active_on"] is None and hit.evidence["days_inactive"] == 20
    assert "in the 20 days since it started" in hit.explanation


def test_stuck_in_journey_fires_when_a_started_journey_has_not_progressed_past_its_threshold():
    account = timeline(first_seen={"Signed Up": 20, "Setup Completed": 18})
    hit = stuck_in_journey(context(account))
    assert hit is not None
    [journey] = hit.evidence["journeys"]
    assert journey["journey"] == "onboarding" and journey["days_without_progress"] == 18
    assert journey["missing_steps"] == ["Integration Connected", "Report Created", "Onboarding Completed"]
    assert "still missing Integration Connected, Report Created, Onboarding Completed" in hit.explanation


def test_stuck_in_journey_does_not_fire_while_progress_is_recent_or_the_journey_is_done_or_not_started():
    assert stuck_in_journey(context(timeline(first_seen={"Signed Up": 20, "Setup Completed": 6}))) is None
    assert stuck_in_journey(context(timeline(first_seen=ONBOARDED))) is None
    assert stuck_in_journey(context(timeline(first_seen={"Setup Completed": 30}))) is None


def test_a_signup_alias_starts_a_journey_that_starts_with_signed_up():
    hit = stuck_in_journey(context(timeline(first_seen={"Account Created": 12})))
    assert hit is not None and hit.evidence["journeys"][0]["started_on"] == day(12).isoformat()


def test_health_drop_needs_fifteen_points_in_seven_days_and_a_score_below_seventy():
    hit = health_drop(context(healthy(), score=69, delta=-15))
    assert (
        hit is not None and hit.evidence["earlier"] == 84 and "dropped 15 points in 7 days (84 → 69)" in hit.explanation
    )
    assert health_drop(context(healthy(), score=70, delta=-20)) is None
    assert health_drop(context(healthy(), score=50, delta=-14)) is None
    assert health_drop(context(healthy(), score=50, delta=None)) is None


@pytest.mark.parametrize(("days", "fires"), [(13, False), (14, True), (30, True), (60, True)])
def test_inactivity_trigger_fires_from_fourteen_to_sixty_days(days: int, fires: bool):
    hit = inactivity_winback(context(quiet_for(days)))
    assert (hit is not None) is fires
    if hit:
        assert hit.evidence["days_inactive"] == days and "win-back window" in hit.explanation


def test_inactivity_trigger_stops_after_sixty_days():
    assert inactivity_winback(context(quiet_for(61))) is None
    assert inactive(context(quiet_for(61))) is not None


def test_a_thirty_percent_drop_in_logins_over_two_weeks_fires_login_decline():
    account = timeline(days={3: {"Signed In": 14}, 20: {"Logged In": 20}})
    hit = login_decline(context(account))
    assert hit is not None
    assert hit.evidence == {"recent_logins": 14, "earlier_logins": 20, "drop_pct": 30.0, "window_days": 14}
    assert "Logins at Acme fell 30% over the last 14 days: 14 logins vs 20" in hit.explanation


def test_a_twenty_nine_percent_drop_in_logins_does_not_fire():
    assert login_decline(context(timeline(days={3: {"Signed In": 71}, 20: {"Signed In": 100}}))) is None


def test_login_decline_needs_enough_earlier_logins_to_judge():
    assert login_decline(context(timeline(days={20: {"Signed In": 1}}))) is None
    assert login_decline(context(timeline(days={20: {"Signed In": 4}}))) is None
    assert login_decline(context(timeline(days={20: {"Signed In": 5}}))) is not None


def test_logins_older_than_two_windows_do_not_count():
    assert login_decline(context(timeline(days={3: {"Signed In": 1}, 28: {"Signed In": 100}}))) is None


def test_onboarding_done_but_core_feature_never_activated_fires_core_feature_unused():
    account = timeline(first_seen={"Onboarding Completed": 10})
    hit = core_feature_unused(context(account))
    assert hit is not None
    assert hit.evidence == {
        "core_feature": "Report Created",
        "onboarding_completed_on": day(10).isoformat(),
        "days_since_onboarding": 10,
    }
    assert "never used Report Created, the core feature" in hit.explanation


def test_core_feature_unused_waits_for_the_grace_period_and_stops_once_the_feature_is_used():
    assert core_feature_unused(context(timeline(first_seen={"Onboarding Completed": 6}))) is None
    assert core_feature_unused(context(timeline(first_seen={"Onboarding Completed": 10, "Report Created": 2}))) is None
    no_core = ScoringRules(events=EventRules(core_feature=None))
    assert core_feature_unused(context(timeline(first_seen={"Onboarding Completed": 10}), rules=no_core)) is None


def test_four_of_five_seats_inactive_fires_seats_inactive():
    account = healthy(users_by_day=users_each_day(14, TEAM[:1]) | users_each_day(50, TEAM, first=14))
    hit = seats_inactive(context(account))
    assert hit is not None
    assert hit.evidence == {"seats": 5, "active_users": 1, "idle_seats": 4, "window_days": 14}
    assert "4 of Acme's 5 licensed seats have been idle for the last 14 days" in hit.explanation


def test_three_of_five_seats_inactive_does_not_fire():
    account = healthy(users_by_day=users_each_day(14, TEAM[:2]) | users_each_day(50, TEAM, first=14))
    assert seats_inactive(context(account)) is None


def test_seats_inactive_is_not_judged_without_seats_or_before_the_account_is_old_enough():
    assert seats_inactive(context(timeline(seats=None))) is None
    assert seats_inactive(context(timeline(signed_up=10))) is None
    assert seats_inactive(context(timeline(signed_up=13))) is not None


def test_setup_not_completed_after_three_days_fires_setup_incomplete():
    hit = setup_incomplete(context(timeline(signed_up=3)))
    assert hit is not None and hit.evidence == {
        "signed_up_on": day(3).isoformat(),
        "days_since_signup": 3,
        "grace_days": 3,
    }
    assert setup_incomplete(context(timeline(signed_up=2))) is None
    assert setup_incomplete(context(timeline(signed_up=5, first_seen={"Integration Connected": 4}))) is None


def test_three_tickets_tagged_export_within_thirty_days_fire_ticket_cluster():
    tickets = [ticket("101", 2, None, "Export"), ticket("102", 10, "bug", "export"), ticket("103", 29, None, "EXPORT ")]
    hit = ticket_cluster(context(timeline(tickets=tickets)))
    assert hit is not None
    assert hit.evidence["issues"] == [{"issue": "export", "tickets": 3, "ticket_ids": ["101", "102", "103"]}]
    assert 'opened 3 tickets about "export" (101, 102, 103) in the last 30 days' in hit.explanation


def test_ticket_cluster_needs_three_on_the_same_issue_inside_the_window():
    spread = [ticket("1", 2, None, "export"), ticket("2", 10, None, "export"), ticket("3", 30, None, "export")]
    assert ticket_cluster(context(timeline(tickets=spread))) is None
    mixed = [ticket("1", 2, "billing"), ticket("2", 3, "export"), ticket("3", 4, None, "sso")]
    assert ticket_cluster(context(timeline(tickets=mixed))) is None


def test_a_category_and_a_tag_with_the_same_name_are_one_issue():
    tickets = [ticket("1", 2, "Billing"), ticket("2", 3, None, "billing"), ticket("3", 4, "billing", "billing")]
    hit = ticket_cluster(context(timeline(tickets=tickets)))
    assert hit is not None and hit.evidence["issues"][0]["ticket_ids"] == ["1", "2", "3"]


def test_evaluate_returns_the_true_triggers_in_order_and_honours_enabled():
    account = timeline(signed_up=20, tickets=[ticket(str(n), n, "export") for n in range(3)])
    hits = evaluate(account, context(account, score=30).score, "critical", context(account).trend, PriorState(), RULES)
    assert [hit.trigger_id for hit in hits] == [
        "low_score", "inactive", "inactivity_winback", "seats_inactive", "setup_incomplete", "ticket_cluster",
    ]  # fmt: skip
    only = ScoringRules(triggers=TriggerRules(enabled=["ticket_cluster"]))
    hits = evaluate(account, context(account, score=30).score, "critical", context(account).trend, PriorState(), only)
    assert [hit.trigger_id for hit in hits] == ["ticket_cluster"]


def test_every_hit_has_json_ready_evidence_and_names_the_account():
    account = timeline(
        signed_up=40,
        days={3: {"Signed In": 1}, 20: {"Signed In": 30}},
        first_seen={"Signed Up": 40, "Onboarding Completed": 30},
        tickets=[ticket(str(n), n, "export") for n in range(3)],
    )
    ctx = context(account, score=40, delta=-20, prior=PriorState(score_days_ago={7: 60}))
    hits = [hit for check in TRIGGERS.values() if (hit := check(ctx)) is not None]
    assert {hit.trigger_id for hit in hits} == set(TRIGGER_IDS) - {"inactive", "inactivity_winback"}
    for hit in hits:
        json.dumps(dict(hit.evidence))
        assert "Acme" in hit.explanation
