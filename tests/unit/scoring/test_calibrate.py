"""Calibration on constructed outcomes whose right answer is known, and the failures it must not repeat."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.calibrate import CalibrationRules, Sample, bands_for, calibrate, fit_threshold, fold_of, requirement
from scoring.model import SignalValue
from scoring.rules import TIERS, TierBands, Weights
from scoring.score import health_score, tier_for
from scoring.weight_search import SIGNALS, best_weights, scores_for, signal_matrix, simplex

NAMES = SIGNALS


def _samples(seed: int, accounts: int = 300, renewals: int = 2, *, told_by: str | None = None) -> list[Sample]:
    """Random signals; with `told_by`, a low value of that signal triples the chance of a loss,
    otherwise every renewal is lost with the same 25% chance (a coin flip the signals know nothing of)."""
    rng = random.Random(seed)
    samples = []
    for a in range(accounts):
        for r in range(renewals):
            signals = {name: rng.uniform(0, 100) for name in NAMES}
            chance = 0.25 if told_by is None else (0.6 if signals[told_by] < 35 else 0.1)
            samples.append(Sample(f"acct_{a}", signals, rng.random() < chance, "first" if r == 0 else "later"))
    return samples


def test_the_outcome_floor_is_the_count_that_measures_auc_to_a_tenth():
    # z^2 (m + n + 1) / (12 m n) <= 0.1^2: with very many won renewals 33 lost, with as many won as lost 65.
    assert requirement(33, 100_000).met and not requirement(32, 100_000).met
    assert requirement(65, 65).met and not requirement(64, 64).met
    short = requirement(20, 500)
    assert not short.met and short.won_needed == 500
    assert short.lost_needed == math.ceil(501 / (500 * 12 * 0.01 / 1.959963984540054**2 - 1))
    assert requirement(short.lost_needed, 500).met and not requirement(short.lost_needed - 1, 500).met


def test_calibrate_refuses_too_few_lost_renewals_and_names_the_number_needed():
    samples = _samples(1, accounts=40, told_by="recency")
    result = calibrate(samples, Weights(), TierBands())
    assert result.status == "refused" and result.weights is None and result.tiers is None
    need = result.counts.requirement
    assert not need.met and need.lost_needed > result.counts.lost
    assert requirement(need.lost_needed, need.won_needed).met


def test_three_renewals_are_refused_instead_of_a_healthy_band_at_100():
    samples = [Sample(f"a{k}", {"activity": 30.0 * k, "recency": 50.0}, k == 0) for k in range(3)]
    result = calibrate(samples, Weights(), TierBands())
    assert result.status == "refused" and result.tiers is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_coin_flip_outcomes_give_no_reliable_improvement_and_no_proposal(seed):
    result = calibrate(_samples(seed), Weights(), TierBands())
    assert result.status == "no_reliable_improvement"
    assert result.weights is None and result.tiers is None
    d = result.comparison.difference
    assert d.low <= 0 and d.first.n == 600 and d.method == "obuchowski" and d.first.accounts == 300


def test_a_real_improvement_is_found_and_proposed():
    result = calibrate(_samples(1, told_by="recency"), Weights(), TierBands())
    assert result.status == "improvement"
    assert result.weights.recency >= 0.7
    d = result.comparison.difference
    assert d.low > 0 and d.first.value > d.second.value
    assert all(count >= 1 for count in result.tier_counts.values())
    assert result.comparison.proposed_flagging.recall.n == result.counts.lost


def test_brand_new_accounts_first_renewals_are_not_mixed_with_older_accounts():
    """The issue's failure: losses concentrate in first renewals, where milestones are low because they
    are not due yet; within each tenure milestones tell nothing. Mixed, that looks like lift."""
    rng = random.Random(3)
    samples = []
    for a in range(400):
        for tenure in ("first", "later"):
            milestones = rng.uniform(0, 30) if tenure == "first" else rng.uniform(60, 100)
            signals = {"activity": rng.uniform(0, 100), "milestones": milestones, "recency": rng.uniform(0, 100)}
            lost = rng.random() < (0.5 if tenure == "first" else 0.1)
            samples.append(Sample(f"acct_{a}", signals, lost, tenure))
    stratified = calibrate(samples, Weights(), TierBands())
    assert stratified.status == "no_reliable_improvement"
    mixed = calibrate([Sample(s.account_id, s.signals, s.lost, "later") for s in samples], Weights(), TierBands())
    assert mixed.status == "improvement" and mixed.weights.milestones >= 0.5  # what pooling would have claimed
    first_only = calibrate(samples, Weights(), TierBands(), rules=CalibrationRules(tenure="first"))
    assert first_only.status == "no_reliable_improvement" and first_only.counts.by_tenure["later"] == (0, 0)


def test_a_signal_constant_on_the_data_gets_no_weight_and_milestones_alone_is_never_proposed():
    rng = random.Random(8)
    samples = []
    for a in range(400):
        recency = rng.uniform(0, 100)
        signals = {"activity": rng.uniform(0, 100), "milestones": 0.0, "recency": recency}
        samples.append(Sample(f"acct_{a}", signals, rng.random() < (0.6 if recency < 35 else 0.1)))
    result = calibrate(samples, Weights(), TierBands())
    assert "milestones" in result.counts.constant_signals and "engagement" in result.counts.constant_signals
    assert result.status == "improvement" and result.weights.milestones == 0 and result.weights.engagement == 0


def test_accounts_never_straddle_folds_and_losses_are_spread():
    samples = _samples(2, accounts=100, renewals=3)
    folds = fold_of(samples, 5)
    assert sorted(set(folds.values())) == [0, 1, 2, 3, 4]
    lost_accounts = {s.account_id for s in samples if s.lost}
    per_fold = [sum(1 for a in lost_accounts if folds[a] == f) for f in range(5)]
    assert max(per_fold) - min(per_fold) <= 1
    assert fold_of(list(reversed(samples)), 5) == folds


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 100)), st.one_of(st.none(), st.integers(0, 100)), st.booleans()),
        min_size=4,
        max_size=40,
    )
)
def test_the_grid_search_never_proposes_a_constant_score_or_weights_a_constant_signal(rows):
    samples = [{"activity": a, "engagement": 50, "milestones": None, "recency": r} for a, r, _ in rows]
    values, lost = signal_matrix(samples), np.array([flag for *_, flag in rows])
    found = best_weights(values, lost, np.zeros(len(rows)), np.array([0.4, 0.3, 0.2, 0.1]), 0.25)
    if found is not None:
        weights, _ = found
        assert weights[NAMES.index("engagement")] == 0 and weights[NAMES.index("milestones")] == 0
        assert np.ptp(scores_for(values, weights)[0]) > 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=2, max_size=60), st.data())
def test_every_proposed_tier_holds_at_least_one_observed_score(scores, data):
    array = np.array(scores, dtype=float)
    lost = np.array(data.draw(st.lists(st.booleans(), min_size=len(scores), max_size=len(scores))))
    old = TierBands(**data.draw(st.sampled_from([{}, {"healthy": 100, "monitor": 99, "at_risk": 98, "critical": 97}])))
    threshold = fit_threshold(array, lost, old.monitor)
    if len(set(scores)) < 5:
        assert threshold is None
        return
    assert threshold is not None
    bands = bands_for(threshold, old, array)
    held = {tier_for(int(s), bands) for s in scores}
    assert held == set(TIERS)


def test_the_search_scores_exactly_as_the_product_does():
    rng = random.Random(4)
    weights = simplex(0.1)[rng.sample(range(len(simplex(0.1))), 40)]
    for _ in range(200):
        signals = {n: (None if rng.random() < 0.2 else rng.choice([rng.uniform(0, 100), 50.0])) for n in NAMES}
        grid = scores_for(signal_matrix([signals]), weights)[:, 0]
        for row, w in zip(weights, grid, strict=True):
            product = health_score(
                {n: SignalValue(n, v, "") for n, v in signals.items()}, Weights(**dict(zip(NAMES, row, strict=True)))
            )
            assert product.value == w


def test_the_simplex_holds_every_non_negative_weighting_that_sums_to_one():
    points = simplex(0.25)
    assert len(points) == 35
    assert np.allclose(points.sum(axis=1), 1) and points.min() >= 0
    assert len(simplex(0.25, ("activity", "recency"))) == 5
