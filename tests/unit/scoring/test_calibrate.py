"""Calibration on constructed outcomes whose right answer is known."""

from __future__ import annotations

import random

import pytest

from scoring.calibrate import Sample, bands_for, calibrate, evaluate, fit_threshold, fit_weights, held_out, simplex
from scoring.rules import TierBands, Weights


def _samples(n: int = 200, seed: int = 4) -> list[Sample]:
    """Losses are told by activity alone; recency is noise that the default weights still count."""
    rng = random.Random(seed)
    samples = []
    for k in range(n):
        lost = k % 3 == 0
        activity = rng.uniform(5, 45) if lost else rng.uniform(45, 95)
        signals = {"activity": activity, "engagement": rng.uniform(0, 100), "milestones": rng.uniform(0, 100),
                   "recency": rng.uniform(0, 100)}  # fmt: skip
        samples.append(Sample(f"acct_{k}", signals, lost))
    return samples


def test_the_simplex_holds_every_non_negative_weighting_that_sums_to_one():
    points = simplex(0.25)
    assert len(points) == 35
    assert all(abs(sum(p.values()) - 1) < 1e-9 and min(p.values()) >= 0 for p in points)


def test_weights_go_to_the_signal_that_tells_losses_apart():
    weights = fit_weights(_samples(), step=0.1)
    assert weights["activity"] == max(weights.values()) and weights["activity"] >= 0.7
    assert evaluate(_samples(), weights, 0).auc == 1.0


def test_the_threshold_separates_lost_from_won_and_the_bands_keep_descending():
    weights = {"activity": 1.0, "engagement": 0.0, "milestones": 0.0, "recency": 0.0}
    threshold = fit_threshold(_samples(), weights)
    assert 44 <= threshold <= 46
    bands = bands_for(threshold, TierBands())
    assert bands.healthy > bands.monitor == threshold > bands.at_risk > bands.critical
    assert bands_for(95, TierBands()).healthy == 100 and bands_for(41, TierBands()).critical >= 1


def test_the_split_is_stable_and_the_proposal_beats_the_defaults_on_held_out_accounts():
    assert [held_out(f"acct_{k}") for k in range(50)] == [held_out(f"acct_{k}") for k in range(50)]
    result = calibrate(_samples(), Weights(), TierBands(), step=0.1)
    assert result.fitted_on + result.held_out == 200 and 40 <= result.held_out <= 80
    assert result.proposed.auc is not None and result.old.auc is not None
    assert result.proposed.auc > result.old.auc
    assert abs(sum(result.weights.model_dump().values()) - 1) < 1e-6


def test_calibration_refuses_outcomes_of_one_kind_only():
    only_won = [Sample(f"a{k}", {"activity": 50.0}, False) for k in range(30)]
    with pytest.raises(ValueError, match="lost and won"):
        calibrate(only_won, Weights(), TierBands())
