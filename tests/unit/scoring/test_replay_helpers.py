"""What a replay passes `assess` to go faster must never change what it decides."""

from __future__ import annotations

from datetime import timedelta

from scoring.assess import assess
from scoring.daily import DayMemo
from scoring.model import PriorState
from tests.unit.scoring.timelines import DECIDED_AT, RULES, TEAM, steady, timeline, users_each_day


def test_carried_meaningful_counts_give_the_same_assessment_day_after_day():
    memo = DayMemo()
    for back in range(10, -1, -1):
        account = timeline(
            as_of=timeline().as_of - timedelta(days=back),
            days=steady(60, {"Report Created": 3, "Signed Out": 2}),
            users_by_day=users_each_day(60, TEAM[:3]),
        )
        fresh = assess(account, RULES, PriorState(), DECIDED_AT)
        carried = assess(account, RULES, PriorState(), DECIDED_AT, memo=memo)
        assert carried == fresh


def test_a_replay_without_interventions_decides_the_rest_alike():
    quiet = timeline(days=steady(30, {"Report Created": 3}, first=20), signed_up=200)
    full = assess(quiet, RULES, PriorState(previous_tier="healthy"), DECIDED_AT)
    lean = assess(quiet, RULES, PriorState(previous_tier="healthy"), DECIDED_AT, interventions=False)
    assert full.interventions and not lean.interventions
    assert (lean.score, lean.tier, lean.hits, lean.fired) == (full.score, full.tier, full.hits, full.fired)
