"""`assess()` end to end on hand-built timelines and prior states."""

from __future__ import annotations

from datetime import date

from scoring import assess
from scoring.model import OpenAlert, PriorState
from scoring.rules import ScoringRules, Weights
from tests.unit.scoring.timelines import (
    DECIDED_AT,
    RULES,
    TEAM,
    WORK,
    healthy,
    steady,
    timeline,
    users_each_day,
)


def recovering():
    """An account that does a fifth of its usual work in the last two weeks: it scores 72."""
    recent = {"Signed In": 1, "Report Created": 5, "Export Completed": 1}
    return healthy(days=steady(14, recent) | steady(56, WORK, first=14))


def quiet_for(days: int):
    return healthy(days=steady(40, WORK, first=days), users_by_day=users_each_day(40, TEAM, first=days))


def test_a_healthy_account_scores_100_with_nothing_to_do():
    result = assess(healthy(), RULES, PriorState(score_days_ago={7: 98}, previous_tier="healthy"), DECIDED_AT)
    assert (result.score.value, result.tier, result.trend.direction) == (100, "healthy", "stable")
    assert result.hits == result.fired == result.cleared == result.interventions == ()
    assert result.reason == "every weighted signal at 100"
    assert result.config_version == RULES.version() and result.as_of == date(2025, 3, 31)


def test_a_recovery_from_55_to_72_is_improving_and_fires_no_drop():
    prior = PriorState(
        score_days_ago={7: 55},
        previous_tier="at_risk",
        open_alerts={"low_score": OpenAlert("low_score", date(2025, 3, 20))},
    )
    result = assess(recovering(), RULES, prior, DECIDED_AT)
    assert (result.score.value, result.tier) == (72, "monitor")
    assert (result.trend.delta, result.trend.direction) == (17, "improving")
    fired = {hit.trigger_id for hit in result.hits}
    assert not fired & {"score_drop", "health_drop", "low_score"}
    assert result.cleared == ("low_score",)
    assert not any(i.key.startswith("tier:") for i in result.interventions)


def test_a_sudden_decline_fires_the_alerts_once_with_a_tier_entry_and_their_playbook_actions():
    prior = PriorState(score_days_ago={7: 90}, previous_tier="healthy")
    result = assess(quiet_for(13), RULES, prior, DECIDED_AT)
    assert (result.score.value, result.tier, result.trend.delta) == (53, "at_risk", -37)
    assert [hit.trigger_id for hit in result.fired] == ["low_score", "score_drop", "health_drop", "login_decline"]
    [intervention] = result.interventions
    assert intervention.key == "2025-03-31:low_score+score_drop+health_drop+login_decline+tier-at_risk"
    assert intervention.trigger_ids == ("low_score", "score_drop", "health_drop", "login_decline")
    assert intervention.action == "personalized re-engagement" and intervention.slack_alert
    assert result.reason.startswith("Activity 14/100: 25 meaningful actions in 14 days vs 140 expected for 5 seats")


def test_alerts_already_open_do_not_fire_or_plan_again():
    open_alerts = {key: OpenAlert(key, date(2025, 3, 30)) for key in ("low_score", "score_drop", "health_drop")}
    prior = PriorState(score_days_ago={7: 90}, previous_tier="at_risk", open_alerts=open_alerts)
    result = assess(quiet_for(13), RULES, prior, DECIDED_AT)
    assert [hit.trigger_id for hit in result.fired] == ["login_decline"]
    assert [i.key for i in result.interventions] == ["2025-03-31:login_decline"]
    assert len(result.hits) == 4


def test_a_brand_new_account_gets_a_defined_score_with_its_null_signals_explained():
    result = assess(timeline(signed_up=0, seats=None, days={0: {"Signed Up": 1}}), RULES, PriorState(), DECIDED_AT)
    signals = result.score.signals
    assert signals["milestones"].value is None and signals["activity"].value == 100
    assert "Milestones (none of 4 milestones due or done yet)" in result.score.notes[0]
    assert "Milestones null (none of 4 milestones due or done yet)" in result.reason
    assert result.trend.delta is None and result.interventions == ()
    assert 0 <= result.score.value <= 100


def test_an_account_with_no_data_at_all_still_gets_a_score():
    result = assess(timeline(signed_up=None, seats=None), RULES, PriorState(), DECIDED_AT)
    assert result.score.signals["recency"].value is None and result.score.value == 0


def test_an_account_with_no_seat_count_is_scored_on_baseline_and_active_users_and_says_so():
    result = assess(healthy(seats=None), RULES, PriorState(), DECIDED_AT)
    assert result.score.value == 100
    assert "no seat count" in result.score.signals["activity"].explanation
    assert "no seat count, utilization left out" in result.score.signals["engagement"].explanation
    assert "seats_inactive" not in {hit.trigger_id for hit in result.hits}


def test_the_reason_is_one_short_line_led_by_the_costliest_signal():
    weights = Weights(activity=0.1, engagement=0.1, milestones=0.1, recency=0.7)
    result = assess(quiet_for(20), ScoringRules(weights=weights), PriorState(), DECIDED_AT)
    assert result.reason.startswith("Recency 33/100: last meaningful activity 20 days ago")
    for account in (quiet_for(20), timeline(), timeline(signed_up=0), recovering()):
        reason = assess(account, RULES, PriorState(), DECIDED_AT).reason
        assert len(reason) <= 200 and "\n" not in reason


def test_the_trend_window_decides_which_earlier_score_is_compared():
    result = assess(healthy(), RULES, PriorState(score_days_ago={7: 60, 14: 100}), DECIDED_AT)
    assert result.trend.delta == 40


def test_assessment_is_deterministic():
    prior = PriorState(score_days_ago={7: 90}, previous_tier="healthy")
    assert assess(quiet_for(13), RULES, prior, DECIDED_AT) == assess(quiet_for(13), RULES, prior, DECIDED_AT)


def test_the_config_version_follows_the_rules():
    other = ScoringRules(weights=Weights(activity=0.5, engagement=0.2, milestones=0.2, recency=0.1))
    assert assess(healthy(), other, PriorState(), DECIDED_AT).config_version == other.version() != RULES.version()
