"""Health score, tier and trend."""

from __future__ import annotations

import pytest

from scoring.rules import TierBands, TrendRules, Weights
from scoring.score import health_score, round_half_up, tier_for, trend
from tests.unit.scoring.timelines import RULES, scored, signal


def test_score_is_the_signal_stack_weighted_sum():
    # 0.40*80 + 0.30*60 + 0.20*40 + 0.10*20 = 60
    score = scored(80, 60, 40, 20)
    assert score.value == 60
    assert score.notes == ()
    assert score.weights_used == {"activity": 0.4, "engagement": 0.3, "milestones": 0.2, "recency": 0.1}


def test_a_null_signal_drops_out_and_the_other_weights_are_renormalised():
    # (0.40*80 + 0.30*60 + 0.10*20) / 0.80 = 65
    score = scored(80, 60, None, 20)
    assert score.value == 65
    assert score.weights_used["milestones"] == 0.0
    assert score.weights_used["activity"] == pytest.approx(0.5)
    assert "null: Milestones (milestones explanation)" in score.notes[0]
    assert "renormalised" in score.notes[0]


def test_a_signal_missing_from_the_mapping_counts_as_null():
    score = health_score({"activity": signal("activity", 50)}, RULES.weights)
    assert score.value == 50 and score.weights_used["activity"] == 1.0


def test_score_is_zero_with_a_note_when_no_signal_has_a_value():
    score = scored(None, None, None, None)
    assert score.value == 0
    assert "score is 0 by definition" in score.notes[0]


def test_score_is_zero_when_only_zero_weighted_signals_have_a_value():
    weights = Weights(activity=1, engagement=0, milestones=0, recency=0)
    score = health_score({"activity": signal("activity", None), "recency": signal("recency", 90)}, weights)
    assert score.value == 0


def test_score_rounds_half_up():
    assert round_half_up(72.5) == 73 and round_half_up(72.49) == 72
    weights = Weights(activity=0.5, engagement=0.5, milestones=0, recency=0)
    score = health_score({"activity": signal("activity", 72), "engagement": signal("engagement", 73)}, weights)
    assert score.value == 73


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (100, "healthy"), (80, "healthy"), (79, "monitor"), (60, "monitor"), (59, "at_risk"),
        (40, "at_risk"), (39, "critical"), (20, "critical"), (19, "churning"), (0, "churning"),
    ],
)  # fmt: skip
def test_tiers_follow_the_seed_bands(score: int, tier: str):
    assert tier_for(score, RULES.tiers) == tier


def test_tiers_follow_configured_bands():
    bands = TierBands(healthy=90, monitor=70, at_risk=50, critical=10)
    assert [tier_for(s, bands) for s in (90, 89, 70, 50, 49, 10, 9)] == [
        "healthy", "monitor", "monitor", "at_risk", "critical", "critical", "churning",
    ]  # fmt: skip


def test_a_recovery_from_55_to_72_is_an_improving_trend():
    assert trend(72, 55, RULES.trend) == trend(72, 55, TrendRules()) and trend(72, 55, RULES.trend).delta == 17
    assert trend(72, 55, RULES.trend).direction == "improving"


def test_a_change_within_the_dead_band_is_stable():
    assert trend(58, 55, RULES.trend).direction == "stable"
    assert trend(52, 55, RULES.trend).direction == "stable"
    assert trend(51, 55, RULES.trend).direction == "declining"
    assert trend(51, 55, TrendRules(dead_band=4)).direction == "stable"


def test_trend_is_unknown_without_an_earlier_score():
    unknown = trend(70, None, RULES.trend)
    assert unknown.delta is None and unknown.direction is None
