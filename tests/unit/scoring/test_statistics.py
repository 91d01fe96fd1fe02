"""The interval code against published values and against the properties that define it.

Known values: R's pROC (Robin et al. 2011, BMC Bioinformatics 12:77) on its `aSAH` data set
(113 patients after aneurysmal subarachnoid haemorrhage, 41 with a poor outcome; Turck et al.
2010, Intensive Care Med 36:107-115), as asserted by pROC's own test suite (github.com/xrobin/pROC,
tests/testthat/test-ci.auc.R and test-roc.test.R): `ci.auc(roc(outcome, ndka))` (DeLong) and
`roc.test` (paired DeLong: Z and `conf.int`) for wfns vs s100b, wfns vs ndka, ndka vs s100b.
The data are written out below in sample order (G good, P poor). pROC rates a *high* marker as
poor; healthloop rates a *low* score as lost, so the markers go in negated.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.statistics import Z95, auc, auc_difference, auc_estimate, proportion, wilson_interval

OUTCOME = (
    "GGGGPPGPGGPGPPGGPGPPPGPGGGGGGGGGPGGPPGPPGGGGGGGGGPPGGGPGGGPGPGGPPPGPPGPPPPGGGPPGPGGGGGGPGGGGGGGGGGGGPPPPPPGGGPGGG"
)
WFNS = """
1 1 1 1 3 2 5 4 1 2 5 2 5 5 1 2 5 2 2 5 2 1 1 1 1 2 1 2 1 1 3 4 2 1 4 5 4 1 4 2 5 5 1 1 2 4 1 1
2 5 5 2 1 2 5 1 2 2 2 1 5 1 1 2 5 2 1 4 5 2 4 4 1 4 1 2 1 4 2 1 2 3 2 4 2 1 4 5 1 1 5 4 2 2 1 1
1 3 1 2 5 2 2 5 5 5 2 4 4 5 1 1 1
"""
S100B = """
0.13 0.14 0.1 0.04 0.13 0.1 0.47 0.16 0.18 0.1 0.12 0.1 0.44 0.71 0.04 0.08 0.49 0.04 0.07 0.33
0.09 0.09 0.07 0.11 0.07 0.17 0.07 0.11 0.13 0.19 0.05 0.16 0.41 0.14 0.34 0.35 0.48 0.09 0.96
0.25 0.5 0.46 0.16 0.07 0.43 0.45 0.11 0.08 0.09 0.86 0.52 0.08 0.06 0.13 2.07 0.1 0.14 0.15
0.07 0.06 0.77 0.05 0.09 0.3 0.03 0.09 0.04 0.23 0.7 0.09 0.27 0.71 0.08 0.26 0.08 0.16 0.09
0.13 0.1 0.08 0.11 0.33 0.11 0.28 0.07 0.1 0.32 0.22 0.07 0.05 0.24 0.38 0.1 0.15 0.08 0.14 0.1
0.07 0.04 0.19 0.56 0.14 0.58 0.32 0.82 0.74 0.15 0.47 0.17 0.44 0.15 0.5 0.48
"""
NDKA = """
3.01 8.54 8.09 10.42 17.4 12.75 6.0 13.2 15.54 6.01 15.96 17.86 5.18 8.9 13.41 20.75 11.6 16.11
32.37 54.82 32.41 49.94 40.34 9.47 6.29 12.53 6.54 6.3 80.3 12.8 9.8 9.81 9.85 18.21 5.03 14.04
21.93 8.02 7.42 8.38 6.59 9.63 13.12 7.96 14.34 41.43 7.63 7.06 12.59 13.56 3.87 9.44 7.66 12.98
419.19 27.19 22.27 9.95 21.22 11.73 10.4 58.83 6.39 11.09 12.22 13.67 17.21 22.63 12.9 9.7 21.57
8.23 72.57 15.54 10.51 10.6 14.57 5.19 9.63 4.61 21.48 17.3 12.71 9.44 11.07 19.46 10.83 5.37
11.97 7.75 9.83 10.55 28.49 8.53 12.57 12.9 46.83 11.68 12.67 9.01 9.57 34.06 11.72 14.26 47.61
11.67 24.58 10.33 13.87 15.89 22.43 6.79 13.45
"""


def _marker(text: str) -> list[float]:
    return [-float(value) for value in text.split()]


LOST = [c == "P" for c in OUTCOME]
MARKERS = {"wfns": _marker(WFNS), "s100b": _marker(S100B), "ndka": _marker(NDKA)}


def test_the_transcribed_data_set_has_pROCs_shape():
    assert len(LOST) == 113 and sum(LOST) == 41
    assert all(len(values) == 113 for values in MARKERS.values())


def test_the_auc_and_its_delong_interval_match_pROCs_ci_auc():
    estimate = auc_estimate(MARKERS["ndka"], LOST)
    expected = (0.501244999271703, 0.611957994579946, 0.722670989888189)
    assert (estimate.low, estimate.value, estimate.high) == pytest.approx(expected, abs=1e-12)
    assert (estimate.n, estimate.positives, estimate.accounts, estimate.method) == (113, 41, 113, "delong")
    assert auc_estimate(MARKERS["wfns"], LOST).value == pytest.approx(0.823678861788618, abs=1e-12)


@pytest.mark.parametrize(
    ("first", "second", "z", "low", "high"),
    [
        ("wfns", "s100b", 2.20898359144091, 0.0104061769564846, 0.174214419249478),
        ("wfns", "ndka", 2.79777591868904, 0.0634011709339876, 0.3600405634833566),
        ("ndka", "s100b", -1.39077002573558, -0.2876917446341914, 0.0488706064228094),
    ],
)
def test_the_paired_difference_matches_pROCs_roc_test(first, second, z, low, high):
    d = auc_difference(MARKERS[first], MARKERS[second], LOST)
    assert d.difference / d.se == pytest.approx(z, abs=1e-10)
    assert (d.low, d.high) == pytest.approx((low, high), abs=1e-12)
    assert d.first.value - d.second.value == pytest.approx(d.difference)


def test_a_score_compared_with_itself_differs_by_exactly_nothing():
    d = auc_difference(MARKERS["wfns"], MARKERS["wfns"], LOST)
    assert (d.difference, d.low, d.high, d.se) == (0.0, 0.0, 0.0, 0.0)


def test_wilson_intervals_match_newcombes_worked_examples():
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score, no correction).
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson_interval(1, 29) == pytest.approx((0.0061, 0.1718), abs=1e-4)
    assert proportion(0, 0).value is None
    assert pytest.approx(1.959963984540054) == Z95


def _brute_auc(lost: list[float], won: list[float]) -> float:
    wins = sum(1.0 if x < y else 0.5 if x == y else 0.0 for x in lost for y in won)
    return wins / (len(lost) * len(won))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=15),
    st.lists(st.integers(0, 20), min_size=1, max_size=15),
)
def test_the_auc_is_the_share_of_lost_won_pairs_ordered_right_ties_half(lost, won):
    assert auc(lost, won) == pytest.approx(_brute_auc(lost, won))
    estimate = auc_estimate(lost + won, [True] * len(lost) + [False] * len(won))
    assert estimate.value == pytest.approx(_brute_auc(lost, won))
    if estimate.low is not None:
        assert 0.0 <= estimate.low <= estimate.value <= estimate.high <= 1.0


def test_strata_pair_lost_and_won_only_within_their_stratum():
    # Stratum a ranks perfectly, stratum b perfectly backwards; pooled, b's low scores would look good.
    scores = [10, 20, 30, 40, 90, 80, 70, 60]
    lost = [True, True, False, False] * 2
    strata = ["a"] * 4 + ["b"] * 4
    assert auc_estimate(scores, lost, strata=strata).value == pytest.approx(0.5)  # 4 pairs at 1.0, 4 at 0.0
    assert auc_estimate(scores[:4], lost[:4]).value == 1.0


def test_an_account_counted_twice_does_not_narrow_the_interval():
    rng = random.Random(5)
    lost = [k % 3 == 0 for k in range(90)]
    scores = [rng.gauss(45 if is_lost else 55, 15) for is_lost in lost]
    once = auc_estimate(scores, lost, accounts=[f"a{k}" for k in range(90)])
    twice = auc_estimate(scores * 2, lost * 2, accounts=[f"a{k}" for k in range(90)] * 2)
    naive = auc_estimate(scores * 2, lost * 2)
    assert twice.value == pytest.approx(once.value) and twice.method == "obuchowski" and twice.accounts == 90
    width = once.high - once.low
    assert twice.high - twice.low == pytest.approx(width, rel=0.02)
    assert naive.high - naive.low < 0.75 * width  # treating copies as new accounts would claim false precision


def test_the_clustered_interval_covers_the_true_auc_about_95_percent_of_the_time():
    # Accounts with three renewals each that share an account effect (so renewals of one account are
    # correlated); the true AUC is taken from one very large draw.
    rng = random.Random(11)

    def draw(accounts: int) -> tuple[list[float], list[bool], list[str]]:
        scores, lost, ids = [], [], []
        for a in range(accounts):
            effect, is_lost = rng.gauss(0, 1), rng.random() < 0.3
            for _ in range(3):
                scores.append(effect + rng.gauss(0, 1) - (0.5 if is_lost else 0.0))
                lost.append(is_lost)
                ids.append(f"a{a}")
        return scores, lost, ids

    truth = auc_estimate(*draw(4000)[:2]).value
    covered = 0
    runs = 200
    for _ in range(runs):
        scores, lost, ids = draw(60)
        e = auc_estimate(scores, lost, accounts=ids)
        covered += e.low <= truth <= e.high
    assert 0.90 <= covered / runs <= 0.99


def test_without_both_classes_there_is_no_auc_and_no_interval():
    e = auc_estimate([1.0, 2.0], [False, False])
    assert (e.value, e.low, e.high, e.n, e.positives) == (None, None, None, 2, 0)
    d = auc_difference([1.0, 2.0], [2.0, 1.0], [True, True])
    assert d.difference is None and d.low is None


def test_a_perfect_ranking_of_a_few_renewals_does_not_read_as_certainty():
    e = auc_estimate([10, 20, 80, 90], [True, True, False, False])
    assert e.value == 1.0 and e.high == 1.0 and e.low == pytest.approx(wilson_interval(2, 2)[0])
    backwards = auc_estimate([90, 80, 10, 20, 30], [True, True, False, False, False])
    assert backwards.value == 0.0 and backwards.low == 0.0 and backwards.high == pytest.approx(wilson_interval(0, 2)[1])
