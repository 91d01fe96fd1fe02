"""Calibration (pure): propose signal weights and tier bands from known renewal outcomes, and only
when they do reliably better than the live ones on accounts they were not fitted to.

A `Sample` is one closed renewal: the account's four signals some days before it closed, whether it
was lost, and its tenure (`first`: the account's first renewal; `later`). The procedure:

1. **Like with like.** A first renewal and a later one are different questions (new accounts churn
   for other reasons and score differently while their milestones are not yet due). By default the
   two are strata: every AUC pairs a lost renewal only with won renewals of the same tenure. Or the
   samples are restricted to one tenure.
2. **Enough outcomes.** Refused unless the held-out AUC can be measured to ±`half_width` (0.10,
   the distance from chance to a weak but useful score) even for a score with no skill: the
   Mann-Whitney variance under no skill, (m + n + 1) / (12·m·n) for m lost and n won, must give
   z·sqrt(var) <= half_width. With many won renewals that needs 33 lost, with as many won as lost 65.
3. **Held-out accounts.** Accounts are dealt into `folds` groups (stable hash, losses spread evenly);
   each group's samples are scored by weights and a threshold fitted on the other groups only, so
   no account is ever in both. Weights: the simplex grid (`step`) point with the best stratified
   AUC, weighting only signals that vary on the fitting data, never giving a constant score
   (`scoring.weight_search`). Threshold (the Monitor lower bound; below it is At Risk): the best
   Youden's J among the thresholds that keep every band reachable.
4. **The decision.** Live vs held-out proposed AUC on the same samples, paired (DeLong;
   Obuchowski's clustered form when an account has several renewals). A change is recommended only
   when the 95% interval of the difference lies above 0; then weights and bands are refitted on all
   samples. Otherwise: no reliable improvement, and no proposal.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from scoring.rules import TIERS, TierBands, Weights
from scoring.score import tier_for
from scoring.statistics import Z95, AucDifference, AucEstimate, Proportion, auc_difference, auc_estimate, proportion
from scoring.weight_search import SIGNALS, best_weights, scores_for, signal_matrix, varying

Tenure = Literal["first", "later"]
TENURES: tuple[Tenure, ...] = ("first", "later")
TenureChoice = Literal["stratified", "first", "later"]
Status = Literal["refused", "no_reliable_improvement", "improvement"]
FOLD_SALT = "healthloop-calibrate-v2"


@dataclass(frozen=True, slots=True)
class Sample:
    account_id: str
    signals: Mapping[str, float | None]
    lost: bool
    tenure: Tenure = "later"


@dataclass(frozen=True, slots=True)
class CalibrationRules:
    folds: int = 5
    step: float = 0.05
    tenure: TenureChoice = "stratified"
    half_width: float = 0.10
    """The held-out AUC must be measurable to ± this (see step 2 of the module docstring)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """Whether the outcomes suffice, and if not how many lost and won renewals would."""

    met: bool
    lost_needed: int
    won_needed: int


@dataclass(frozen=True, slots=True)
class Flagging:
    """Renewals scored below the At Risk threshold (the Monitor lower bound)."""

    flagged: int
    precision: Proportion
    recall: Proportion


@dataclass(frozen=True, slots=True)
class TenureRow:
    tenure: str
    live: AucEstimate
    proposed: AucEstimate


@dataclass(frozen=True, slots=True)
class Comparison:
    """Live rules vs the held-out proposal on the same samples."""

    difference: AucDifference
    """proposed - live; `.first` is the proposed AUC, `.second` the live one."""
    by_tenure: tuple[TenureRow, ...]
    live_flagging: Flagging
    proposed_flagging: Flagging


@dataclass(frozen=True, slots=True)
class SampleCounts:
    """What a calibration rests on."""

    tenure: TenureChoice
    samples: int
    lost: int
    accounts: int
    by_tenure: Mapping[str, tuple[int, int]]
    """tenure -> (renewals, lost) among the samples used."""
    requirement: Requirement
    constant_signals: tuple[str, ...]
    """Signals with one value (or none) on these samples: they get no weight."""
    folds: int


@dataclass(frozen=True, slots=True)
class Calibration:
    status: Status
    reason: str
    counts: SampleCounts
    comparison: Comparison | None = None
    weights: Weights | None = None
    tiers: TierBands | None = None
    score_range: tuple[int, int] | None = None
    tier_counts: Mapping[str, int] | None = None
    """Samples per tier under the proposal (each at least 1 by construction)."""


def requirement(lost: int, won: int, half_width: float = 0.10, z: float = Z95) -> Requirement:
    """Step 2 of the module docstring: met when z²·(m + n + 1) / (12·m·n) <= half_width²."""
    c = 12 * half_width**2 / z**2

    def needed(other: int) -> int:
        return max(math.floor(1 / c) + 1, math.ceil((other + 1) / (other * c - 1)))

    if lost and won and z * math.sqrt((lost + won + 1) / (12 * lost * won)) <= half_width:
        return Requirement(True, lost, won)
    if won * c > 1:
        return Requirement(False, max(lost, needed(won)), won)
    if lost * c > 1:
        return Requirement(False, lost, max(won, needed(lost)))
    balanced = next(k for k in range(1, 100_000) if k * k * c >= 2 * k + 1)
    return Requirement(False, max(lost, balanced), max(won, balanced))


def fold_of(samples: Sequence[Sample], folds: int) -> dict[str, int]:
    """Account -> fold: accounts sorted by (ever lost, stable hash) and dealt round-robin, so each fold
    gets an even share of accounts and of losses, and every sample of an account the same fold."""
    lost_accounts = {s.account_id for s in samples if s.lost}

    def key(account: str) -> tuple[bool, bytes]:
        return account in lost_accounts, hashlib.sha256(f"{FOLD_SALT}\x1f{account}".encode()).digest()

    ordered = sorted({s.account_id for s in samples}, key=key)
    return {account: index % folds for index, account in enumerate(ordered)}


def fit_threshold(scores: np.ndarray, lost: np.ndarray, live_monitor: int) -> int | None:
    """The Monitor lower bound t (score < t is At Risk or worse) with the best Youden's J, among the t
    that leave at least three distinct observed scores below and two at or above (room for every band
    to hold one, see `bands_for`); ties go to the t nearest the live one. None when there is no such t."""
    distinct = np.unique(scores)
    if len(distinct) < 5:
        return None
    positives, negatives = max(1, int(lost.sum())), max(1, int((~lost).sum()))
    best: tuple[float, int, int] | None = None
    for t in range(int(distinct[2]) + 1, int(distinct[-2]) + 1):
        flagged = scores < t
        j = float(np.sum(flagged & lost)) / positives - float(np.sum(flagged & ~lost)) / negatives
        key = (round(j, 12), -abs(t - live_monitor), t)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else best[2]


def bands_for(monitor: int, old: TierBands, scores: np.ndarray) -> TierBands:
    """Bands around a new Monitor lower bound, keeping the old gaps where they fit, each bound clamped so
    that every tier holds at least one of the observed `scores` (`monitor` from `fit_threshold`)."""
    shift = monitor - old.monitor
    below, above = np.unique(scores[scores < monitor]).astype(int), np.unique(scores[scores >= monitor]).astype(int)
    healthy = min(max(old.healthy + shift, above[0] + 1), above[-1])
    at_risk = min(max(old.at_risk + shift, below[1] + 1), below[-1])
    under = below[below < at_risk]
    critical = min(max(old.critical + shift, under[0] + 1), under[-1])
    return TierBands(healthy=int(healthy), monitor=monitor, at_risk=int(at_risk), critical=int(critical))


def _flagging(flagged: np.ndarray, lost: np.ndarray) -> Flagging:
    hits = int(np.sum(flagged & lost))
    return Flagging(int(flagged.sum()), proportion(hits, int(flagged.sum())), proportion(hits, int(lost.sum())))


def _live_vector(weights: Weights) -> np.ndarray:
    return np.array([float(getattr(weights, name)) for name in SIGNALS])


def _held_out(
    values: np.ndarray, lost: np.ndarray, strata: np.ndarray, folds: np.ndarray, live: Weights, monitor: int,
    rules: CalibrationRules,
) -> tuple[np.ndarray, np.ndarray] | str:  # fmt: skip
    """Out-of-fold scores and At Risk flags for every sample, or why a fold could not be fitted."""
    scores, flagged = np.zeros(len(lost)), np.zeros(len(lost), dtype=bool)
    for fold in range(rules.folds):
        test, train = folds == fold, folds != fold
        if not test.any():
            continue
        found = best_weights(values[train], lost[train], strata[train], _live_vector(live), rules.step)
        if found is None:
            return f"fold {fold + 1} of {rules.folds}: no signal varies, or no lost and won renewals to fit on"
        fitted_train = scores_for(values[train], found[0])[0]
        threshold = fit_threshold(fitted_train, lost[train], monitor)
        scores[test] = scores_for(values[test], found[0])[0]
        flagged[test] = scores[test] < (threshold if threshold is not None else np.inf)
    return scores, flagged


def calibrate(
    samples: Sequence[Sample], weights: Weights, tiers: TierBands, rules: CalibrationRules = CalibrationRules()
) -> Calibration:
    """Steps 1-4 of the module docstring. Never raises for data reasons: the status says what happened."""
    used = [s for s in samples if rules.tenure == "stratified" or s.tenure == rules.tenure]
    lost = np.array([s.lost for s in used], dtype=bool)
    values = signal_matrix([s.signals for s in used])
    strata = np.array([s.tenure if rules.tenure == "stratified" else "all" for s in used])
    accounts = [s.account_id for s in used]
    by_tenure = {t: (sum(s.tenure == t for s in used), sum(s.tenure == t and s.lost for s in used)) for t in TENURES}
    need = requirement(int(lost.sum()), int((~lost).sum()), rules.half_width)
    constant = tuple(name for name in SIGNALS if name not in varying(values)) if used else SIGNALS
    base = SampleCounts(
        rules.tenure, len(used), int(lost.sum()), len(set(accounts)), by_tenure, need, constant, rules.folds
    )
    if not need.met:
        return Calibration("refused", "too few outcomes for a held-out AUC to mean anything", base)
    if len(constant) == len(SIGNALS):
        return Calibration("refused", "no signal varies across these renewals: there is nothing to fit", base)
    live = _live_vector(weights)
    assigned = fold_of(used, rules.folds)
    folds = np.array([assigned[a] for a in accounts])
    held_out = _held_out(values, lost, strata, folds, weights, tiers.monitor, rules)
    if isinstance(held_out, str):
        return Calibration("refused", held_out, base)
    proposed_scores, proposed_flags = held_out
    live_scores = scores_for(values, live)[0]
    difference = auc_difference(proposed_scores, live_scores, lost, strata=strata, accounts=accounts)
    rows = []
    for tenure in sorted(set(strata)):
        inside = strata == tenure
        ids = [a for a, keep in zip(accounts, inside, strict=True) if keep]
        rows.append(
            TenureRow(
                tenure,
                auc_estimate(live_scores[inside], lost[inside], accounts=ids),
                auc_estimate(proposed_scores[inside], lost[inside], accounts=ids),
            )
        )
    comparison = Comparison(
        difference, tuple(rows), _flagging(live_scores < tiers.monitor, lost), _flagging(proposed_flags, lost)
    )
    if difference.low is None or difference.low <= 0:
        return Calibration("no_reliable_improvement", _verdict(difference), base, comparison)
    return _final(values, lost, strata, live, tiers, rules, comparison, base)


def _verdict(d: AucDifference) -> str:
    if d.difference is None or d.low is None or d.high is None:
        return "the difference could not be measured"
    if d.high < 0:
        return "the proposal did worse than the live rules on accounts it was not fitted to"
    return "the interval of the difference includes 0: the proposal may be no better than the live rules"


def _final(
    values: np.ndarray,
    lost: np.ndarray,
    strata: np.ndarray,
    live: np.ndarray,
    tiers: TierBands,
    rules: CalibrationRules,
    comparison: Comparison,
    base: SampleCounts,
) -> Calibration:
    """Refit on every sample; refuse a proposal whose score is constant or whose bands cannot all be reached."""
    found = best_weights(values, lost, strata, live, rules.step)
    scores = scores_for(values, found[0])[0] if found else None
    threshold = fit_threshold(scores, lost, tiers.monitor) if scores is not None else None
    if found is None or scores is None or threshold is None:
        reason = "the refitted scores take too few distinct values for five reachable tiers"
        return Calibration("no_reliable_improvement", reason, base, comparison)
    lowest, highest = int(scores.min()), int(scores.max())
    bands = bands_for(threshold, tiers, scores)
    counts = dict.fromkeys(TIERS, 0)
    for score in scores:
        counts[tier_for(int(score), bands)] += 1
    weights = Weights(**{name: round(float(w), 4) for name, w in zip(SIGNALS, found[0], strict=True)})
    return Calibration(
        "improvement",
        "the 95% interval of the held-out AUC difference lies above 0",
        base,
        comparison,
        weights,
        bands,
        (lowest, highest),
        counts,
    )
