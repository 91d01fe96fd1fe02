"""The weight grid search behind `scoring.calibrate`: many candidate weightings scored at once.

Scores follow the product's rule (`scoring.score.health_score`): the weighted mean over the signals
that have a value (a null signal drops out and the other weights are renormalised), 0 when no
weighted signal has one, rounded half up to an integer in 0-100. The AUC of each candidate counts
only pairs of a lost and a won renewal in the same stratum (tenure), ties half.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

SIGNALS = ("activity", "engagement", "milestones", "recency")
CHUNK = 256
"""Candidates scored per block (bounds memory to CHUNK x samples)."""


def signal_matrix(signals: Sequence[Mapping[str, float | None]]) -> np.ndarray:
    """samples x 4 signal values (NaN where null), in `SIGNALS` order."""
    return np.array(
        [[np.nan if s.get(name) is None else float(s[name]) for name in SIGNALS] for s in signals],  # type: ignore[arg-type]
        dtype=float,
    ).reshape(len(signals), len(SIGNALS))


def varying(values: np.ndarray) -> tuple[str, ...]:
    """The signals with at least two distinct non-null values (a constant signal can tell nothing apart)."""
    names = []
    for column, name in enumerate(SIGNALS):
        present = values[:, column][~np.isnan(values[:, column])]
        if len(present) and np.ptp(present) > 0:
            names.append(name)
    return tuple(names)


def scores_for(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """candidates x samples integer scores for `weights` (candidates x 4), by the product's rule."""
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    weights = np.atleast_2d(weights)
    numerator = weights @ filled.T
    denominator = weights @ present.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), 0.0)
    return np.clip(np.floor(mean + 0.5), 0, 100)


def _midranks(block: np.ndarray) -> np.ndarray:
    """Ranks (1-based) along each row, tied values sharing the mean of their positions."""
    order = np.argsort(block, axis=1, kind="stable")
    ordered = np.take_along_axis(block, order, axis=1)
    width = block.shape[1]
    index = np.broadcast_to(np.arange(width), ordered.shape)
    starts = np.ones_like(ordered, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones_like(ordered, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, index, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, index, width - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty_like(ordered)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=1)
    return ranks


def stratified_aucs(scores: np.ndarray, lost: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """AUC of each row of `scores` over (lost, won) pairs within a stratum; NaN where there is no pair."""
    scores = np.atleast_2d(scores)
    wins = np.zeros(scores.shape[0])
    pairs = 0
    for stratum in np.unique(strata):
        inside = strata == stratum
        n_lost, n_won = int(np.sum(lost & inside)), int(np.sum(~lost & inside))
        if not n_lost or not n_won:
            continue
        ranks = _midranks(scores[:, inside])
        wins += ranks[:, ~lost[inside]].sum(axis=1) - n_won * (n_won + 1) / 2
        pairs += n_lost * n_won
    return wins / pairs if pairs else np.full(scores.shape[0], np.nan)


def simplex(step: float, free: Sequence[str] = SIGNALS) -> np.ndarray:
    """Every non-negative weighting (rows, `SIGNALS` order) in multiples of `step` summing to 1, with
    weight only on the `free` signals."""
    units = round(1 / step)
    columns = [SIGNALS.index(name) for name in free]
    rows = []
    for parts in itertools.product(range(units + 1), repeat=max(0, len(columns) - 1)):
        last = units - sum(parts)
        if last < 0:
            continue
        row = np.zeros(len(SIGNALS))
        row[columns] = np.array([*parts, last], dtype=float) / units
        rows.append(row)
    return np.array(rows).reshape(len(rows), len(SIGNALS))


def best_weights(
    values: np.ndarray, lost: np.ndarray, strata: np.ndarray, live: np.ndarray, step: float
) -> tuple[np.ndarray, float] | None:
    """The candidate with the best stratified AUC on these samples, weighting only signals that vary
    here and never one whose score is constant on them; ties go to the one nearest the live weights.
    None when no candidate qualifies (no signal varies, or no pair of lost and won)."""
    free = varying(values)
    if not free:
        return None
    candidates = simplex(step, free)
    best: tuple[float, float, int] | None = None
    for start in range(0, len(candidates), CHUNK):
        block = candidates[start : start + CHUNK]
        scores = scores_for(values, block)
        aucs = stratified_aucs(scores, lost, strata)
        constant = np.ptp(scores, axis=1) == 0
        distance = np.abs(block - live).sum(axis=1)
        for row in np.flatnonzero(~constant & ~np.isnan(aucs)):
            key = (round(float(aucs[row]), 12), -float(distance[row]), start + row)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is None:
        return None
    return candidates[best[2]], best[0]
