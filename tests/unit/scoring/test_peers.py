"""Activity ranked among peers, and signals that say nothing when their events exist nowhere."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from scoring.assess import assess
from scoring.daily import read_daily
from scoring.model import PeerNorms, Population, PriorState
from scoring.peers import activity_rate, build_norms, group_label, is_peer, peer_group, peer_sample, population_of, rank
from scoring.rules import EventRules, ScoringRules, SignalRules
from scoring.signals import activity, engagement, milestones
from tests.unit.scoring.timelines import DECIDED_AT, RULES, TEAM, day, steady, timeline, users_each_day

BY_SIZE = ScoringRules(signals=SignalRules(activity_peers="size"))


def norms(*rates: float) -> PeerNorms:
    return build_norms([("all", rate) for rate in rates], min_accounts=1)["all"]


def test_a_rate_is_ranked_by_the_share_of_peers_below_it():
    group = norms(*range(1, 101))
    assert rank(group, 50.5) == 0.5
    assert rank(group, 1000) == 1.0
    assert rank(group, 0.5) == 0.0


def test_no_activity_ranks_zero_even_when_most_peers_are_idle_too():
    assert rank(norms(0, 0, 0, 0, 5), 0) == 0.0


def test_ties_rank_at_their_middle():
    assert rank(norms(1, 2, 2, 2, 3), 2) == 0.5


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=60), st.floats(0, 1e6), st.floats(0, 1e6))
def test_rank_is_bounded_and_never_falls_as_the_rate_grows(rates, a, b):
    group = norms(*rates)
    low, high = sorted((a, b))
    assert 0.0 <= rank(group, low) <= rank(group, high) <= 1.0


def test_groups_smaller_than_the_minimum_get_no_norms_of_their_own():
    built = build_norms([("size:1", 1.0)] * 40 + [("size:2-5", 2.0)] * 10, min_accounts=30)
    assert set(built) == {"all", "size:1"}
    assert built["all"].accounts == 50


def test_the_rate_is_meaningful_actions_per_day_whatever_the_seats():
    # The window is the 14 complete days before as_of (days 1..14 ago); today's 6 do not count yet.
    account = timeline(days=steady(15, {"Report Created": 6}), users_by_day=users_each_day(15, TEAM[:2]))
    measured = activity_rate(account, RULES, read_daily(account, RULES))
    assert (measured.actions, measured.window_days, measured.rate) == (84, 14, 6.0)
    bigger = timeline(seats=50, days=steady(15, {"Report Created": 6}), users_by_day=users_each_day(15, TEAM[:2]))
    assert activity_rate(bigger, RULES, read_daily(bigger, RULES)).rate == 6.0  # per seat is Engagement's


def test_a_new_account_is_measured_over_the_days_since_its_start():
    account = timeline(signed_up=4, days=steady(5, {"Report Created": 6}), users_by_day=users_each_day(5, TEAM[:1]))
    measured = activity_rate(account, RULES, read_daily(account, RULES))
    assert (measured.actions, measured.window_days, measured.rate) == (24, 4, 6.0)


def test_peer_groups_are_everyone_by_default_or_follow_seats_then_known_users_or_the_plan():
    assert peer_group(timeline(seats=12), RULES) == "all"
    by_size = ScoringRules(signals=SignalRules(activity_peers="size"))
    assert peer_group(timeline(seats=1), by_size) == "size:1"
    assert peer_group(timeline(seats=12), by_size) == "size:6-20"
    assert peer_group(timeline(seats=None), by_size) == "size:unknown"
    by_plan = ScoringRules(signals=SignalRules(activity_peers="plan"))
    assert peer_group(timeline(), by_plan) == "plan:unknown"
    assert group_label("size:2-5") == "accounts with 2-5 seats"


def test_activity_ranks_an_account_among_its_peers_blended_with_its_own_trend():
    # 6 actions a day for one seat: rank 6/7 among peers 0..7 (quantile interpolation); steady against
    # its own 56-day baseline (trend 1.0).
    account = timeline(seats=1, days=steady(71, {"Report Created": 6}), users_by_day=users_each_day(71, TEAM[:1]))
    population = Population({"size:1": norms(*range(8))})
    signal = activity(account, BY_SIZE, population=population)
    assert signal.inputs["rank"] == round(6 / 7, 4) and signal.inputs["versus_baseline"] == 1.0
    assert signal.value == round(100 * (0.7 * 6 / 7 + 0.3 * 1.0), 1)
    assert "(6.0 a day): more than 86% of 8 accounts with 1 seat" in signal.explanation


def test_activity_does_not_saturate_when_every_account_clears_the_old_floor():
    busy = timeline(days=steady(70, {"Report Created": 40}), users_by_day=users_each_day(70, TEAM[:1]))
    busier = timeline(days=steady(70, {"Report Created": 80}), users_by_day=users_each_day(70, TEAM[:1]))
    population = Population({"all": norms(*range(2, 90))})  # per day: busy 40, busier 80
    assert activity(busy, RULES).value == activity(busier, RULES).value == 100  # no peers: both at the ceiling
    assert activity(busy, RULES, population=population).value < activity(busier, RULES, population=population).value


def test_activity_falls_back_to_everyone_when_its_own_group_is_too_small():
    account = timeline(days=steady(14, {"Report Created": 3}), users_by_day=users_each_day(14, TEAM[:1]))
    signal = activity(account, BY_SIZE, population=Population({"all": norms(1, 2, 4, 5)}))
    assert signal.inputs["peer_group"] == "all"
    assert "too few accounts with 2-5 seats to compare with alone" in signal.explanation


def test_activity_without_peers_judges_the_account_on_its_own_yardsticks_and_says_so():
    signal = activity(timeline(days=steady(14, {"Report Created": 3})), RULES)
    assert "expected" in signal.inputs and "no peer group to rank against" in signal.explanation


def test_only_started_accounts_recently_seen_or_young_are_peers():
    as_of, rules = date(2025, 3, 31), RULES
    assert not is_peer(date(2024, 9, 1), date(2024, 12, 1), as_of, rules)  # silent for 120 days
    assert is_peer(date(2025, 3, 1), None, as_of, rules)  # a month old, not seen yet
    assert is_peer(date(2024, 9, 1), date(2025, 3, 28), as_of, rules)
    assert not is_peer(date(2025, 4, 2), None, as_of, rules)  # not started yet
    assert not is_peer(None, None, as_of, rules)


def test_peer_rates_rank_the_current_accounts_of_one_day():
    team = users_each_day(14, TEAM[:2])
    busy = [timeline(account_id=f"b{i}", days=steady(14, {"Report Created": 10}), users_by_day=team) for i in range(20)]
    quiet = [timeline(account_id=f"q{i}", days=steady(14, {"Report Created": 1}), users_by_day=team) for i in range(20)]
    gone = [timeline(account_id=f"g{i}", signed_up=400) for i in range(20)]
    rules = ScoringRules(signals=SignalRules(min_peer_accounts=30, activity_peers="size"))
    samples = [peer_sample(t, day(400), t.as_of, rules) for t in busy + quiet]
    samples += [peer_sample(t, day(400), None, rules) for t in gone]
    built = population_of([s for s in samples if s is not None], None, rules)
    assert built.activity_norms["all"].accounts == 40 and built.activity_norms["size:2-5"].accounts == 40
    assert built.depth_norms["all"].accounts == 40 and built.breadth_norms["all"].accounts == 40


def test_milestones_whose_events_nobody_ever_fired_are_null_not_zero_for_everyone():
    account = timeline(signed_up=60, days=steady(14, {"Invoice Sent": 3}))
    signal = milestones(account, RULES, population=Population(seen_events=frozenset({"Invoice Sent"})))
    assert signal.value is None and "no account has ever done any configured milestone" in signal.explanation
    assert milestones(account, RULES).value == 0  # without the catalogue every milestone counts


def test_key_features_nobody_ever_used_leave_breadth_out():
    account = timeline(days=steady(28, {"Invoice Sent": 5}), users_by_day=users_each_day(28, TEAM[:5]))
    population = Population(seen_events=frozenset({"Invoice Sent"}))
    signal = engagement(account, RULES, population=population)
    assert "breadth" not in signal.inputs and "ever used by any account" in signal.explanation
    known = ScoringRules(events=EventRules(key_features=["Invoice Sent", "Report Created"]))
    assert engagement(account, known, population=population).inputs["breadth"] == 1.0


def test_setup_incomplete_stays_quiet_when_no_account_ever_fired_a_setup_event():
    account = timeline(signed_up=30, days=steady(14, {"Invoice Sent": 3}))
    everyone = Population(seen_events=frozenset({"Invoice Sent"}))
    fired = {hit.trigger_id for hit in assess(account, RULES, PriorState(), DECIDED_AT).hits}
    quiet = {hit.trigger_id for hit in assess(account, RULES, PriorState(), DECIDED_AT, everyone).hits}
    assert "setup_incomplete" in fired and "setup_incomplete" not in quiet


def test_engagement_depth_is_ranked_among_peers_instead_of_capped_at_a_target():
    # 10 and 20 actions a user a day both clear the 5-a-day target; ranked, the heavier user is told apart.
    light = timeline(days=steady(29, {"Report Created": 10}), users_by_day=users_each_day(29, TEAM[:1]))
    heavy = timeline(days=steady(29, {"Report Created": 20}), users_by_day=users_each_day(29, TEAM[:1]))
    peers = Population(depth_norms={"all": norms(*range(1, 30))})
    assert engagement(light, RULES).inputs["depth"] == engagement(heavy, RULES).inputs["depth"] == 1.0
    ranked = engagement(light, RULES, population=peers).inputs["depth"]
    assert ranked < engagement(heavy, RULES, population=peers).inputs["depth"]
    assert "actions per active user per day: more than" in engagement(light, RULES, population=peers).explanation


def test_without_a_key_feature_anyone_uses_breadth_ranks_the_different_actions_used():
    varied = timeline(
        days=steady(29, {"Invoice Sent": 2, "Board Created": 1, "Export Run": 1}),
        users_by_day=users_each_day(29, TEAM[:2]),
    )
    narrow = timeline(days=steady(29, {"Invoice Sent": 4}), users_by_day=users_each_day(29, TEAM[:2]))
    peers = Population(
        seen_events=frozenset({"Invoice Sent", "Board Created", "Export Run"}),
        breadth_norms={"all": norms(1, 1, 2, 2, 3, 4)},
    )
    wide, thin = engagement(varied, RULES, population=peers), engagement(narrow, RULES, population=peers)
    assert wide.inputs["breadth"] > thin.inputs["breadth"]
    assert "3 different actions used" in wide.explanation and "no configured key feature" in wide.explanation


def test_engagement_judges_seat_utilization_only_for_a_team():
    one = engagement(
        timeline(seats=1, days=steady(28, {"Report Created": 3}), users_by_day=users_each_day(28, TEAM[:1])), RULES
    )
    assert "seats" not in one.inputs and "one seat, utilization left out" in one.explanation
    team = engagement(
        timeline(seats=4, days=steady(28, {"Report Created": 3}), users_by_day=users_each_day(28, TEAM[:1])), RULES
    )
    assert team.inputs["seats"] == 0.25 and "1 of 4 seats active" in team.explanation
