"""Statistics behind every figure the product reports about itself: proportions with Wilson intervals,
the AUC with a DeLong interval, and the paired difference of two AUCs on the same samples.

AUC here is the chance that a lost renewal scored *lower* than a won one (ties count half): the
health score is meant to be low for accounts about to be lost. Samples may be split into strata
(pairs are formed only within a stratum, e.g. an account's first renewal against other first
renewals) and grouped into clusters (one account's several renewals are not independent).

- Without clusters: DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44:837-845 — the
  variance from the structural components (placement values) of each class; for several scores on
  the same samples, their covariance. This is what R's pROC computes for `ci.auc` and `roc.test`
  (method "delong"), and the tests check against its published values.
- With clusters (an account contributing several samples): Obuchowski (1997), Biometrics
  53:567-578 — the same placement values summed per cluster, so the variance counts accounts,
  not renewals. With strata, each stratum's AUC is weighted by its number of pairs.

Intervals are normal (estimate ± z·se), clipped to [0, 1] for an AUC and [-1, 1] for a difference,
as pROC does. One exception: when every pair is ordered the same way (AUC 0 or 1) the DeLong variance
is 0 and the normal interval would claim certainty from any sample; the interval is then the Wilson
interval of k out of k with k = min(lost, won), so that 2 lost and 2 won read "1.00 [0.34-1.00]".
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

CONFIDENCE = 0.95
Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
"""The standard normal 97.5% quantile (1.959963984540054): two-sided 95% intervals."""
SMALL_SAMPLE = 10
"""An AUC or difference resting on fewer lost or won samples than this is marked `small_sample`."""


# --- proportions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proportion:
    """successes / n with its 95% Wilson score interval; value and bounds None when n = 0."""

    successes: int
    n: int
    value: float | None
    low: float | None
    high: float | None


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """(centre ∓ half) with p = x/n, centre = (p + z²/2n)/(1 + z²/n),
    half = z/(1 + z²/n)·sqrt(p(1-p)/n + z²/4n²); None for n = 0. 5/10 -> (0.2366, 0.7634)."""
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n (got {successes}/{n})")
    if n == 0:
        return None
    p, z2 = successes / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def proportion(successes: int, n: int) -> Proportion:
    """The `Proportion` of successes out of n."""
    interval = wilson_interval(successes, n)
    if interval is None:
        return Proportion(successes, n, None, None, None)
    return Proportion(successes, n, successes / n, *interval)


# --- AUC --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AucEstimate:
    """An AUC with its 95% interval and what it rests on; value and bounds None without both classes."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    """Samples (renewals) with a score."""
    positives: int
    """Lost renewals among them."""
    accounts: int
    method: str
    """`delong`, or `obuchowski` when some account contributed several samples."""
    small_sample: bool


@dataclass(frozen=True, slots=True)
class AucDifference:
    """AUC of `first` minus AUC of `second` on the same samples, with the paired 95% interval."""

    first: AucEstimate
    second: AucEstimate
    difference: float | None
    low: float | None
    high: float | None
    se: float | None
    """The standard error of the difference (the DeLong test statistic is difference / se)."""
    method: str
    small_sample: bool


@dataclass(frozen=True, slots=True)
class _Placements:
    aucs: np.ndarray
    """One AUC per score row."""
    covariance: np.ndarray | None
    """Their covariance matrix; None when it cannot be estimated (one class has a single sample)."""
    method: str


def auc(lost_scores: Sequence[float], won_scores: Sequence[float]) -> float | None:
    """P(a lost account scored lower than a won one) + 0.5·P(tie): the Mann-Whitney U / (n_lost·n_won).

    1.0 = the score ranks every lost renewal below every won one, 0.5 = no better than chance,
    0.0 = perfectly backwards. None when either class is empty.
    """
    if not lost_scores or not won_scores:
        return None
    won = np.sort(np.asarray(won_scores, dtype=float))
    lost = np.asarray(lost_scores, dtype=float)
    right, left = np.searchsorted(won, lost, "right"), np.searchsorted(won, lost, "left")
    total = float(np.sum(len(won) - right) + 0.5 * np.sum(right - left))
    return total / (len(lost) * len(won))


def _codes(labels: Sequence[Hashable] | None, n: int, *, each_its_own: bool) -> np.ndarray:
    """Integer codes of `labels`; without labels every sample is its own group, or all share one."""
    if labels is None:
        return np.arange(n) if each_its_own else np.zeros(n, dtype=int)
    if len(labels) != n:
        raise ValueError(f"need one label per sample ({len(labels)} for {n})")
    index: dict[Hashable, int] = {}
    return np.array([index.setdefault(label, len(index)) for label in labels], dtype=int)


def _placements(scores: np.ndarray, lost: np.ndarray, strata: np.ndarray, clusters: np.ndarray) -> _Placements:
    """AUCs of each row of `scores` (k x n) over the pairs within strata, and their covariance."""
    k, n = scores.shape
    placement = np.zeros((k, n))
    pairs_total, wins_total = 0.0, np.zeros(k)
    by_stratum: list[tuple[np.ndarray, np.ndarray, float]] = []
    for stratum in np.unique(strata):
        pos = np.flatnonzero((strata == stratum) & lost)
        neg = np.flatnonzero((strata == stratum) & ~lost)
        if not len(pos) or not len(neg):
            continue
        for row in range(k):
            won = np.sort(scores[row, neg])
            x = scores[row, pos]
            right, left = np.searchsorted(won, x, "right"), np.searchsorted(won, x, "left")
            placement[row, pos] = (len(neg) - right) + 0.5 * (right - left)
            lo = np.sort(x)
            y = scores[row, neg]
            right, left = np.searchsorted(lo, y, "right"), np.searchsorted(lo, y, "left")
            placement[row, neg] = left + 0.5 * (right - left)
        pairs = float(len(pos) * len(neg))
        pairs_total += pairs
        wins_total += placement[:, pos].sum(axis=1)
        by_stratum.append((pos, neg, pairs))
    if not by_stratum:
        raise ValueError("an AUC needs lost and won samples in the same stratum")
    aucs = wins_total / pairs_total
    singletons = len(np.unique(clusters)) == n
    if singletons and all(len(pos) > 1 and len(neg) > 1 for pos, neg, _ in by_stratum):
        covariance = np.zeros((k, k))
        for pos, neg, pairs in by_stratum:
            v10 = placement[:, pos] / len(neg)
            v01 = placement[:, neg] / len(pos)
            s10 = np.atleast_2d(np.cov(v10, ddof=1))
            s01 = np.atleast_2d(np.cov(v01, ddof=1))
            covariance += (pairs / pairs_total) ** 2 * (s10 / len(pos) + s01 / len(neg))
        return _Placements(aucs, covariance, "delong")
    influence = np.zeros((k, n))
    for pos, neg, _ in by_stratum:
        stratum_auc = placement[:, pos].sum(axis=1) / (len(pos) * len(neg))
        influence[:, pos] = (placement[:, pos] - len(neg) * stratum_auc[:, None]) / pairs_total
        influence[:, neg] = (placement[:, neg] - len(pos) * stratum_auc[:, None]) / pairs_total
    groups = np.unique(clusters)
    if len(groups) < 2:
        return _Placements(aucs, None, "obuchowski")
    summed = np.zeros((k, len(groups)))
    for row in range(k):
        summed[row] = np.bincount(np.searchsorted(groups, clusters), weights=influence[row], minlength=len(groups))
    covariance = len(groups) / (len(groups) - 1) * summed @ summed.T
    return _Placements(aucs, covariance, "delong" if singletons else "obuchowski")


def _prepare(
    scores: Sequence[Sequence[float]],
    lost: Sequence[bool],
    strata: Sequence[Hashable] | None,
    accounts: Sequence[Hashable] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    matrix = np.atleast_2d(np.asarray(scores, dtype=float))
    flags = np.asarray(lost, dtype=bool)
    if matrix.shape[1] != len(flags):
        raise ValueError(f"need one score per sample ({matrix.shape[1]} scores for {len(flags)} samples)")
    n = len(flags)
    return matrix, flags, _codes(strata, n, each_its_own=False), _codes(accounts, n, each_its_own=True)


def _empty(n: int, positives: int, accounts: int) -> AucEstimate:
    return AucEstimate(None, None, None, n, positives, accounts, "delong", True)


def auc_estimate(
    scores: Sequence[float],
    lost: Sequence[bool],
    *,
    strata: Sequence[Hashable] | None = None,
    accounts: Sequence[Hashable] | None = None,
    z: float = Z95,
) -> AucEstimate:
    """The AUC of `scores` (lost should score lower) with its DeLong / Obuchowski 95% interval."""
    return _estimates([scores], lost, strata, accounts, z)[0][0]


def _estimates(
    scores: Sequence[Sequence[float]],
    lost: Sequence[bool],
    strata: Sequence[Hashable] | None,
    accounts: Sequence[Hashable] | None,
    z: float,
) -> tuple[list[AucEstimate], _Placements | None]:
    matrix, flags, stratum_codes, cluster_codes = _prepare(scores, lost, strata, accounts)
    n, positives, clusters = len(flags), int(flags.sum()), len(np.unique(cluster_codes))
    try:
        found = _placements(matrix, flags, stratum_codes, cluster_codes)
    except ValueError:
        return [_empty(n, positives, clusters) for _ in range(matrix.shape[0])], None
    small = min(positives, n - positives) < SMALL_SAMPLE
    estimates = []
    for row, value in enumerate(found.aucs):
        low = high = None
        variance = None if found.covariance is None else max(0.0, float(found.covariance[row, row]))
        if variance == 0.0 and value in (0.0, 1.0):
            k = min(positives, n - positives)
            low, high = wilson_interval(round(k * value), k, z) or (0.0, 1.0)
        elif variance is not None:
            half = z * math.sqrt(variance)
            low, high = max(0.0, float(value) - half), min(1.0, float(value) + half)
        estimates.append(AucEstimate(float(value), low, high, n, positives, clusters, found.method, small))
    return estimates, found


def auc_difference(
    first: Sequence[float],
    second: Sequence[float],
    lost: Sequence[bool],
    *,
    strata: Sequence[Hashable] | None = None,
    accounts: Sequence[Hashable] | None = None,
    z: float = Z95,
) -> AucDifference:
    """AUC(first) - AUC(second), two scores of the same samples, with the paired 95% interval:
    d ± z·sqrt(var₁ + var₂ - 2·cov₁₂) (DeLong 1988; Obuchowski 1997 with accounts)."""
    (one, two), found = _estimates([first, second], lost, strata, accounts, z)
    if found is None or one.value is None or two.value is None:
        return AucDifference(one, two, None, None, None, None, one.method, True)
    difference = one.value - two.value
    low: float | None = None
    high: float | None = None
    se: float | None = None
    if found.covariance is not None:
        c = found.covariance
        se = math.sqrt(max(0.0, float(c[0, 0] + c[1, 1] - 2 * c[0, 1])))
        low, high = max(-1.0, difference - z * se), min(1.0, difference + z * se)
    return AucDifference(one, two, difference, low, high, se, found.method, one.small_sample)
