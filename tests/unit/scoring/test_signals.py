"""The four signals on hand-built timelines."""

from __future__ import annotations

from datetime import date

from scoring.daily import account_start, days_inactive, last_meaningful_day, meaningful_count
from scoring.model import DayActivity
from scoring.rules import EventRules, Milestone, ScoringRules
from scoring.signals import activity, engagement, milestones, recency
from tests.unit.scoring.timelines import RULES, TEAM, WORK, day, healthy, steady, timeline, users_each_day


def test_meaningful_count_takes_every_track_call_but_the_ignored_ones_plus_page_views():
    activity_day = DayActivity(date(2025, 3, 1), event_counts={"Signed In": 2, "Signed Out": 3, "X": 1}, page_views=4)
    assert meaningful_count(activity_day, RULES) == 7


def test_meaningful_count_takes_only_the_configured_events_when_some_are_named():
    rules = ScoringRules(events=EventRules(meaningful=["Report Created"]))
    activity_day = DayActivity(date(2025, 3, 1), event_counts={"Report Created": 2, "Signed In": 5}, page_views=4)
    assert meaningful_count(activity_day, rules) == 2


def test_last_meaningful_day_skips_days_with_only_ignored_events_and_days_after_as_of():
    account = timeline(days={3: {"Signed In": 1}, 1: {"Signed Out": 4}, -2: {"Signed In": 1}})
    assert last_meaningful_day(account, RULES) == day(3)


def test_account_start_falls_back_to_the_earliest_first_seen_event():
    account = timeline(signed_up=None, first_seen={"Signed Up": 40, "Report Created": 30})
    assert account_start(account) == day(40)


def test_activity_is_100_when_the_account_meets_its_seats_and_its_own_baseline():
    assert activity(healthy(), RULES).value == 100


def test_activity_is_zero_without_meaningful_activity_in_the_window():
    account = healthy(days=steady(40, WORK, first=14))
    assert activity(account, RULES).value == 0


def test_activity_averages_the_seat_and_baseline_yardsticks():
    # 14 days of 5 actions: 70 vs 140 expected for 5 seats (0.5) and 350 by the baseline (0.2).
    days = steady(14, {"Report Created": 5}) | steady(56, {"Report Created": 25}, first=14)
    signal = activity(timeline(days=days), RULES)
    assert signal.value == 35
    assert "70 meaningful actions in 14 days vs 140 expected for 5 seats" in signal.explanation


def test_activity_without_a_seat_count_judges_against_the_baseline_only_and_says_so():
    days = steady(14, {"Report Created": 10}) | steady(56, {"Report Created": 20}, first=14)
    signal = activity(timeline(seats=None, days=days), RULES)
    assert signal.value == 50
    assert "no seat count" in signal.explanation


def test_activity_of_a_brand_new_account_uses_the_seat_yardstick_over_the_days_since_signup():
    # Signed up 2 days ago: 3 days in the window, 5 seats * 2 per day * 3 days = 30 expected.
    signal = activity(timeline(signed_up=2, days=steady(3, {"Report Created": 6})), RULES)
    assert signal.value == 60
    assert signal.inputs["window_days"] == 3 and "no baseline yet" in signal.explanation


def test_activity_with_neither_seats_nor_baseline_judges_against_the_minimum():
    signal = activity(timeline(seats=None, signed_up=0, days={0: {"Signed Up": 1}}), RULES)
    assert signal.value == 100
    assert "minimum" in signal.explanation


def test_activity_baseline_of_a_silent_account_is_floored_at_the_minimum_per_day():
    signal = activity(timeline(seats=None, days={3: {"Signed In": 7}}), RULES)
    assert signal.inputs["expected"] == {"baseline": 14.0}
    assert signal.value == 50


def test_activity_never_falls_when_recent_activity_grows():
    values = [activity(timeline(days=steady(14, {"Signed In": n})), RULES).value for n in range(0, 30, 3)]
    assert values == sorted(values)


def test_engagement_is_100_with_every_key_feature_full_depth_and_every_seat_active():
    assert engagement(healthy(), RULES).value == 100


def test_engagement_combines_breadth_depth_and_seat_utilisation():
    # 2 of 5 key features (0.4); 2 users doing 5 per day each (1.0); 2 of 5 seats (0.4) -> 60.
    account = timeline(
        days=steady(28, {"Report Created": 5, "Export Completed": 5}), users_by_day=users_each_day(28, TEAM[:2])
    )
    assert engagement(account, RULES).value == 60


def test_engagement_without_a_seat_count_leaves_utilisation_out_and_says_so():
    account = timeline(
        seats=None,
        days=steady(28, {"Report Created": 5, "Export Completed": 5}),
        users_by_day=users_each_day(28, TEAM[:2]),
    )
    signal = engagement(account, RULES)
    assert signal.value == 70
    assert "no seat count, utilization left out" in signal.explanation


def test_engagement_leaves_depth_out_when_activity_carries_no_user_ids():
    account = timeline(seats=None, days=steady(28, {"Report Created": 5}))
    signal = engagement(account, RULES)
    assert signal.value == 20 and "depth left out" in signal.explanation


def test_engagement_is_null_when_there_is_nothing_to_judge_depth_by():
    rules = ScoringRules(events=EventRules(key_features=[]))
    signal = engagement(timeline(seats=None, days=steady(28, {"Report Created": 5})), rules)
    assert signal.value is None and "nothing to judge" in signal.explanation


def test_engagement_is_zero_for_an_account_with_no_activity():
    assert engagement(timeline(), RULES).value == 0


def test_milestones_are_null_when_none_is_due_or_done_yet():
    signal = milestones(timeline(signed_up=1), RULES)
    assert signal.value is None and "none of 4 milestones due or done yet" in signal.explanation


def test_milestones_count_only_due_ones_against_the_account():
    # 8 days in: "first report" (3) and "integration connected" (7) are due; only the report is done.
    signal = milestones(timeline(signed_up=8, first_seen={"Report Created": 6}), RULES)
    assert signal.value == 50
    assert "overdue: integration connected" in signal.explanation


def test_a_milestone_done_early_counts_in_the_accounts_favour():
    signal = milestones(timeline(signed_up=4, first_seen={"Report Created": 3, "Export Completed": 2}), RULES)
    assert signal.value == 100 and signal.inputs["done"] == ["first report", "first export"]


def test_milestones_are_null_when_none_is_configured():
    assert milestones(timeline(), ScoringRules(milestones=[])).value is None


def test_milestones_without_signup_date_count_from_the_earliest_first_seen_event():
    signal = milestones(timeline(signed_up=None, first_seen={"Signed Up": 10, "Report Created": 9}), RULES)
    assert signal.inputs["due"] == ["first report", "integration connected"] and signal.value == 50


def test_a_milestone_first_seen_after_as_of_is_not_done():
    rules = ScoringRules(milestones=[Milestone(name="report", event="Report Created", due_days=1)])
    signal = milestones(timeline(first_seen={"Report Created": -2}), rules)
    assert signal.value == 0


def test_recency_is_100_for_activity_today_and_falls_linearly_to_zero():
    values = [recency(timeline(days={offset: {"Signed In": 1}}), RULES).value for offset in (0, 15, 29, 30, 45)]
    assert values == [100, 50, 3.3, 0, 0]


def test_recency_of_an_account_never_active_is_zero():
    signal = recency(timeline(signed_up=5), RULES)
    assert signal.value == 0 and "never meaningfully active" in signal.explanation


def test_recency_of_an_account_that_signed_up_today_is_null():
    signal = recency(timeline(signed_up=0), RULES)
    assert signal.value is None and "brand new" in signal.explanation


def test_days_inactive_counts_from_signup_for_an_account_never_active():
    assert days_inactive(timeline(signed_up=20), RULES) == (20, None)
    assert days_inactive(timeline(days={4: {"Signed In": 1}}), RULES) == (4, day(4))


def test_every_signal_explanation_is_short_enough_for_the_reason_line():
    for account in (healthy(), timeline(), timeline(seats=None, signed_up=0), timeline(signed_up=None)):
        for compute in (activity, engagement, milestones, recency):
            assert len(compute(account, RULES).explanation) <= 130, compute(account, RULES).explanation
