"""Measure: outcomes of hand-built interventions, the control group, intervals, uplift and deflection."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.outcomes import (
    AccountTicket,
    InterventionFact,
    OutcomeRules,
    RenewalFact,
    ScorePoint,
    arm_stats,
    control_hash,
    control_share_for,
    deflection,
    in_control_group,
    measure,
    measure_all,
    proportion,
    recovery_threshold,
    summarize,
    uplift,
    wilson_interval,
)
from scoring.rules import TierBands

CREATED = date(2025, 3, 1)
RULES = OutcomeRules()


def on(offset: int) -> date:
    """The day `offset` days after the intervention was created."""
    return CREATED + timedelta(days=offset)


def scores(**by_offset: int) -> list[ScorePoint]:
    """`scores(d0=55, d9=72)`: score points keyed by days after creation."""
    return [ScorePoint(on(int(name[1:])), value) for name, value in by_offset.items()]


def fact(account: str = "acme", tier: str = "at_risk", **overrides: object) -> InterventionFact:
    values: dict[str, object] = {
        "intervention_id": f"iv-{account}",
        "account_id": account,
        "key": "2025-03-01:low_score",
        "trigger_id": "low_score",
        "tier": tier,
        "created_on": CREATED,
        "channels": ("email", "slack"),
        "owner": "csm",
        "trigger_ids": ("low_score",),
    }
    return InterventionFact(**(values | overrides))  # type: ignore[arg-type]


# --- one intervention -------------------------------------------------------------------------


def test_recovery_threshold_is_the_next_better_tiers_lower_bound():
    bands = TierBands()
    assert [recovery_threshold(t, bands) for t in ("healthy", "monitor", "at_risk", "critical", "churning")] == [
        None, 80, 60, 40, 20,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unknown tier 'red'"):
        recovery_threshold("red", bands)


def test_a_score_back_from_55_to_72_in_nine_days_that_holds_is_a_save():
    history = scores(d0=55, d3=58, d9=72, d12=70, d20=68, d23=65)
    outcome = measure(fact(), history, [], on(40), RULES)
    assert outcome.recovered is True and outcome.recovered_on == on(9) and outcome.days_to_recovery == 9
    assert outcome.recovery_held is True
    assert outcome.save is True and outcome.saved_by == "recovery" and outcome.pending is False
    assert outcome.renewal == "none"


def test_a_recovery_that_falls_back_into_the_tier_is_not_a_save():
    history = scores(d0=55, d9=72, d15=55, d30=70)
    outcome = measure(fact(), history, [], on(40), RULES)
    assert outcome.recovered is True and outcome.recovery_held is False
    assert outcome.save is False and outcome.saved_by is None and outcome.pending is False


def test_a_recovery_outside_the_window_does_not_count():
    history = scores(d0=55, d10=57, d15=75, d30=80)
    outcome = measure(fact(), history, [], on(40), RULES)
    assert outcome.recovered is False and outcome.days_to_recovery is None and outcome.save is False
    wider = measure(fact(), history, [], on(40), OutcomeRules(recovery_window_days=21))
    assert wider.recovered is True and wider.days_to_recovery == 15 and wider.save is True


def test_a_score_that_never_leaves_the_tier_is_not_a_save():
    outcome = measure(fact(), scores(d0=55, d5=52, d10=58, d14=59, d20=61), [], on(30), RULES)
    assert outcome.recovered is False and outcome.recovery_held is None
    assert outcome.save is False and outcome.pending is False


def test_a_won_renewal_after_an_at_risk_intervention_is_a_save_without_recovery():
    renewals = [RenewalFact("acme", on(60), won=True), RenewalFact("other", on(10), won=False)]
    outcome = measure(fact(), scores(d0=45, d10=50, d20=52), renewals, on(70), RULES)
    assert outcome.recovered is False
    assert outcome.renewal == "won" and outcome.renewal_close_date == on(60)
    assert outcome.save is True and outcome.saved_by == "renewal"


def test_a_won_renewal_decides_a_save_even_while_the_recovery_window_is_open():
    outcome = measure(fact(tier="critical"), scores(d0=30), [RenewalFact("acme", on(3), won=True)], on(5), RULES)
    assert outcome.recovered is None and outcome.save is True and outcome.pending is False


def test_a_won_renewal_after_a_monitor_intervention_is_not_a_save():
    outcome = measure(fact(tier="monitor"), scores(d0=70, d10=75), [RenewalFact("acme", on(60), won=True)], on(70))
    assert outcome.recovery_threshold == 80 and outcome.renewal == "won" and outcome.save is False


def test_the_renewal_is_the_first_closing_after_the_intervention_within_the_horizon():
    renewals = [
        RenewalFact("acme", on(0), won=True),  # closed the same day: not after it
        RenewalFact("acme", on(200), won=True),  # past the 180-day horizon
        RenewalFact("acme", on(120), won=False),
        RenewalFact("acme", on(150), won=None),
    ]
    outcome = measure(fact(), scores(d0=55), renewals, on(130), RULES)
    assert outcome.renewal == "lost" and outcome.renewal_close_date == on(120) and outcome.save is False
    assert measure(fact(), [], renewals[:2] + renewals[3:], on(130)).renewal == "open"
    assert measure(fact(), [], renewals[:2], on(130)).renewal == "none"


def test_both_a_held_recovery_and_a_won_renewal_say_both():
    outcome = measure(fact(), scores(d0=55, d5=65), [RenewalFact("acme", on(90), won=True)], on(100), RULES)
    assert outcome.save is True and outcome.saved_by == "both"


def test_an_intervention_whose_window_is_still_open_is_pending():
    outcome = measure(fact(), scores(d0=55, d3=56), [], on(5), RULES)
    assert outcome.pending is True and outcome.recovered is None and outcome.save is None


def test_a_recovery_whose_hold_is_still_running_is_pending_until_it_breaks():
    history = scores(d0=55, d3=65, d6=70)
    running = measure(fact(), history, [], on(10), RULES)
    assert running.recovered is True and running.recovery_held is None and running.pending is True
    broken = measure(fact(), [*history, ScorePoint(on(8), 50)], [], on(10), RULES)
    assert broken.recovery_held is False and broken.pending is False and broken.save is False
    assert measure(fact(), history, [], on(17), RULES).save is True  # day 3 + 14 days held


def test_score_points_after_as_of_are_ignored():
    history = scores(d0=55, d4=75)
    assert measure(fact(), history, [], on(3), RULES).recovered is None


def test_a_completed_task_within_the_window_is_a_response():
    assert measure(fact(task_completed_on=on(2)), [], [], on(5)).responded is True
    assert measure(fact(enrollment_replied_on=on(14)), [], [], on(20)).responded is True
    assert measure(fact(enrollment_disposition="replied"), [], [], on(1)).responded is True


def test_no_response_is_unknown_while_the_response_window_is_open_and_false_after():
    assert measure(fact(), [], [], on(13)).responded is None
    assert measure(fact(), [], [], on(14)).responded is False
    assert measure(fact(task_completed_on=on(20)), [], [], on(30)).responded is False  # too late


def test_a_control_group_intervention_has_no_response_but_is_measured():
    outcome = measure(fact(control=True, task_completed_on=on(2)), scores(d0=55, d9=72), [], on(40), RULES)
    assert outcome.responded is None
    assert outcome.save is True


def test_a_healthy_intervention_has_nothing_to_recover_from():
    outcome = measure(fact(tier="healthy"), scores(d0=85), [], on(40), RULES)
    assert outcome.recovery_threshold is None and outcome.recovered is None
    assert outcome.save is None and outcome.pending is False


def test_measuring_before_the_intervention_existed_is_an_error():
    with pytest.raises(ValueError, match="before intervention iv-acme was created"):
        measure(fact(), [], [], on(-1))


def test_measure_all_matches_each_account_to_its_own_history_and_renewals():
    facts = [fact("a"), fact("b")]
    outcomes = measure_all(facts, {"a": scores(d0=55, d5=70)}, [RenewalFact("b", on(30), won=True)], on(40), RULES)
    assert [(o.saved_by, o.intervention.account_id) for o in outcomes] == [("recovery", "a"), ("renewal", "b")]


# --- the control group ------------------------------------------------------------------------


def test_control_assignment_is_stable_across_calls():
    first = [in_control_group(f"acct-{n}", "2025-03-01:low_score", "low_score", 0.1) for n in range(200)]
    again = [in_control_group(f"acct-{n}", "2025-03-01:low_score", "low_score", 0.1) for n in range(200)]
    assert first == again and any(first) and not all(first)


def test_control_assignment_is_the_same_in_another_process():
    args = "'acme', '2025-03-01:inactive', 'inactive'"
    code = f"from scoring.outcomes import control_hash; print(repr(control_hash({args})))"
    root = Path(__file__).resolve().parents[3]
    env = {"PYTHONHASHSEED": "123", "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root)
    assert float(out.stdout) == control_hash("acme", "2025-03-01:inactive", "inactive")


def test_share_zero_is_never_and_share_one_is_always():
    keys = [(f"acct-{n}", f"key-{n}") for n in range(500)]
    assert not any(in_control_group(a, k, "inactive", 0.0) for a, k in keys)
    assert all(in_control_group(a, k, "inactive", 1.0) for a, k in keys)


def test_about_the_share_of_ten_thousand_interventions_is_held_back():
    held = sum(
        in_control_group(f"acct-{n}", f"2025-03-{n % 28 + 1:02d}:low_score", "low_score", 0.1) for n in range(10_000)
    )
    assert 900 <= held <= 1100  # 0.1 ± 3.3 standard deviations


def test_each_trigger_is_its_own_stratum():
    a = [control_hash(f"acct-{n}", "k", "inactive") for n in range(100)]
    b = [control_hash(f"acct-{n}", "k", "login_decline") for n in range(100)]
    assert a != b and all(0.0 <= u < 1.0 for u in a + b)
    assert control_hash("acct", "k", None) == control_hash("acct", "k", "tier_entry")


def test_per_trigger_shares_override_the_default():
    overrides = {"inactive": 0.25, "tier_entry": 0.0}
    assert (
        control_share_for("inactive", 0.1, overrides) == 0.25 and control_share_for("low_score", 0.1, overrides) == 0.1
    )
    assert control_share_for(None, 0.1, overrides) == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        in_control_group("a", "k", None, -0.1)


@given(st.text(max_size=20), st.text(max_size=20), st.floats(0, 1), st.floats(0, 1))
def test_raising_the_share_only_adds_to_the_control_group(account: str, key: str, s1: float, s2: float):
    low, high = sorted((s1, s2))
    assert not in_control_group(account, key, "inactive", low) or in_control_group(account, key, "inactive", high)


# --- intervals and uplift ---------------------------------------------------------------------


def test_wilson_intervals_on_known_values():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert proportion(0, 0).value is None and proportion(3, 4).value == 0.75
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_a_small_sample_gets_a_wide_interval():
    small, large = proportion(1, 2), proportion(500, 1000)
    assert (small.high - small.low) > 0.8 and (large.high - large.low) < 0.07  # type: ignore[operator]


@given(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_bounds_lie_in_0_1_and_contain_the_rate(pair: tuple[int, int]):
    successes, n = pair
    p = proportion(successes, n)
    if n == 0:
        assert p.value is None and p.low is None
    else:
        assert 0.0 <= p.low <= p.value <= p.high <= 1.0  # type: ignore[operator]


def test_uplift_matches_newcombes_worked_example():
    # Newcombe (1998), example (a): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    result = uplift(proportion(56, 70), proportion(48, 80))
    assert result.difference == pytest.approx(0.2)
    assert (result.low, result.high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert result.small_sample is False


def test_uplift_flags_a_small_arm_and_shows_its_wide_interval():
    result = uplift(proportion(3, 5), proportion(1, 4))
    assert result.small_sample is True and result.difference == pytest.approx(0.35)
    assert result.low < 0 < result.high  # type: ignore[operator]
    empty = uplift(proportion(3, 5), proportion(0, 0))
    assert empty.difference is None and empty.low is None and empty.small_sample is True


@given(
    st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_uplift_interval_lies_in_minus_1_1_and_contains_the_difference(a: tuple[int, int], b: tuple[int, int]):
    result = uplift(proportion(*a), proportion(*b))
    if a[1] and b[1]:
        assert -1.0 <= result.low <= result.difference <= result.high <= 1.0  # type: ignore[operator]
    else:
        assert result.difference is None


# --- summaries --------------------------------------------------------------------------------


def outcomes_for_summary():
    """Six interventions at as_of day 40: three treated at risk, one control, one pending, one healthy."""
    saved = measure(fact("a", task_completed_on=on(1)), scores(d0=55, d9=72), [], on(40))
    slipped = measure(fact("b", channels=("email",)), scores(d0=55, d5=62, d8=50), [], on(40))
    flat = measure(fact("c", trigger_id="inactive", owner="escalation"), scores(d0=45), [], on(40))
    control = measure(fact("d", control=True), scores(d0=50, d3=66), [], on(40))
    pending = measure(fact("e", created_on=on(35)), scores(d0=55), [], on(40))
    healthy = measure(fact("f", tier="healthy", trigger_id=None), scores(d0=85), [], on(40))
    return [saved, slipped, flat, control, pending, healthy]


def test_arm_stats_leave_pending_and_not_applicable_out_of_the_save_rate():
    stats = arm_stats([o for o in outcomes_for_summary() if not o.intervention.control])
    assert stats.n == 5 and stats.pending == 1 and stats.not_applicable == 1
    assert (stats.saves.successes, stats.saves.n) == (1, 3)
    assert (stats.responses.successes, stats.responses.n) == (1, 4)  # the pending one is still within its window
    assert stats.recovered == 2 and stats.median_days_to_recovery == 7.0  # days 9 and 5


def test_summary_by_trigger_splits_treated_and_control():
    rows = {row.key: row for row in summarize(outcomes_for_summary(), "trigger")}
    assert list(rows) == ["inactive", "low_score", "tier_entry"]
    low = rows["low_score"]
    assert (low.treated.saves.successes, low.treated.saves.n) == (1, 2)
    assert (low.control.saves.successes, low.control.saves.n) == (1, 1)
    assert low.control.responses.n == 0 and low.control.responses.value is None
    assert low.uplift.difference == pytest.approx(-0.5) and low.uplift.small_sample is True


def test_summary_by_tier_channel_owner_and_all():
    outcomes = outcomes_for_summary()
    assert [row.key for row in summarize(outcomes, "tier")] == ["healthy", "at_risk"]
    channels = {row.key: row.treated.n + row.control.n for row in summarize(outcomes, "channel")}
    assert channels == {"email": 6, "slack": 5}
    assert {row.key: row.treated.n for row in summarize(outcomes, "owner")} == {"csm": 4, "escalation": 1}
    (everything,) = summarize(outcomes, "all")
    assert everything.treated.n == 5 and everything.control.n == 1
    with pytest.raises(ValueError, match="cannot group by 'region'"):
        summarize(outcomes, "region")  # type: ignore[arg-type]


# --- reactive volume deflection ---------------------------------------------------------------


def test_deflection_compares_ticket_rates_per_account_month():
    facts = [fact("t1"), fact("t2"), fact("t2", key="later", created_on=on(5), control=True), fact("k1", control=True)]
    tickets = [
        AccountTicket("t1", on(5)),
        AccountTicket("t1", on(40)),  # after the 30-day window
        AccountTicket("k1", on(0)),  # the day of the intervention, before it
        AccountTicket("k1", on(2)),
        AccountTicket("k1", on(10), escalation=True),
        AccountTicket("k1", on(29)),
    ]
    result = deflection(facts, tickets, on(60))
    assert (result.treated_accounts, result.control_accounts) == (2, 1)  # t2 counts in its first arm only
    assert (result.treated_tickets, result.control_tickets) == (1, 3)
    assert (result.treated_months, result.control_months) == (2.0, 1.0)
    assert result.treated_rate == 0.5 and result.control_rate == 3.0
    assert result.ratio == pytest.approx(1 / 6)
    spread = 1.959963984540054 * math.sqrt(1 / 1 + 1 / 3)
    assert result.low == pytest.approx(math.exp(math.log(1 / 6) - spread))
    assert result.high == pytest.approx(math.exp(math.log(1 / 6) + spread))
    assert result.small_sample is True


def test_deflection_counts_only_days_observed_so_far_and_has_no_interval_without_tickets():
    result = deflection([fact("t1"), fact("k1", control=True)], [AccountTicket("k1", on(3))], on(15))
    assert result.treated_months == 0.5 and result.treated_tickets == 0
    assert result.ratio == 0.0 and result.low is None and result.high is None
    nothing = deflection([fact("t1")], [], on(0))
    assert nothing.treated_accounts == 0 and nothing.ratio is None


# --- invariants -------------------------------------------------------------------------------


@given(
    st.sampled_from(["healthy", "monitor", "at_risk", "critical", "churning"]),
    st.lists(st.tuples(st.integers(-5, 60), st.integers(0, 100)), max_size=30),
    st.lists(st.tuples(st.integers(-5, 250), st.sampled_from([True, False, None])), max_size=3),
    st.integers(0, 90),
)
def test_every_outcome_is_consistent(tier, points, renewals, as_of_offset):
    history = [ScorePoint(on(d), s) for d, s in points]
    closes = [RenewalFact("acme", on(d), won=w) for d, w in renewals]
    outcome = measure(fact(tier=tier), history, closes, on(as_of_offset))
    assert not (outcome.pending and outcome.save is not None)
    assert (outcome.save is True) == (outcome.saved_by is not None)
    if outcome.days_to_recovery is not None:
        assert 1 <= outcome.days_to_recovery <= RULES.recovery_window_days and outcome.recovered is True
    if outcome.recovery_held is not None:
        assert outcome.recovered is True
    if outcome.saved_by in ("recovery", "both"):
        assert outcome.recovery_held is True


def test_outcome_rules_reject_a_negative_window():
    with pytest.raises(ValueError, match="hold_days must be >= 0"):
        OutcomeRules(hold_days=-1)
