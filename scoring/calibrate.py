"""Calibration (pure): fit signal weights and the At Risk threshold to known renewal outcomes.

A `Sample` is one closed renewal: the account's four signals some days before it closed, and
whether it was lost. Weights are searched on the simplex (non-negative, summing to 1, in steps
of `step`) for the best AUC (lost accounts should score lower); the At Risk threshold (the
Monitor band's lower bound: below it an account is "at risk") is the one with the best Youden's
J (recall of losses minus the false-alarm rate), the other bands keeping their gaps. Samples are
split into fitting and held-out sets by a stable hash of the account id, and old and proposed
rules are compared on the held-out set only.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.indicators import auc
from scoring.rules import TierBands, Weights

SIGNALS = ("activity", "engagement", "milestones", "recency")


@dataclass(frozen=True, slots=True)
class Sample:
    account_id: str
    signals: Mapping[str, float | None]
    lost: bool


@dataclass(frozen=True, slots=True)
class Evaluation:
    auc: float | None
    precision_at_risk: float | None
    """Share of lost renewals among the accounts scoring below the At Risk threshold."""
    flagged: int
    samples: int


@dataclass(frozen=True, slots=True)
class Calibration:
    weights: Weights
    tiers: TierBands
    fitted_on: int
    held_out: int
    old: Evaluation
    proposed: Evaluation


def held_out(account_id: str, share: float = 0.3) -> bool:
    """Stable split: the same account is always on the same side, whatever the run."""
    digest = hashlib.sha256(f"healthloop-calibrate\x1f{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def weighted(signals: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The health score for these weights, renormalized over the signals that exist (as scoring does)."""
    present = [(name, value) for name, value in signals.items() if value is not None and weights.get(name, 0) > 0]
    total = sum(weights[name] for name, _ in present)
    if not present or total <= 0:
        return None
    return sum(weights[name] * value for name, value in present) / total


def evaluate(samples: Sequence[Sample], weights: Mapping[str, float], at_risk_below: int) -> Evaluation:
    scored = [(weighted(s.signals, weights), s.lost) for s in samples]
    scored = [(score, lost) for score, lost in scored if score is not None]
    lost = [score for score, is_lost in scored if is_lost]
    won = [score for score, is_lost in scored if not is_lost]
    flagged = [is_lost for score, is_lost in scored if score < at_risk_below]
    precision = sum(flagged) / len(flagged) if flagged else None
    return Evaluation(auc(lost, won), precision, len(flagged), len(scored))


def simplex(step: float) -> list[dict[str, float]]:
    """Every non-negative weighting of the four signals in multiples of `step` that sums to 1."""
    units = round(1 / step)
    points = []
    for a, b, c in itertools.product(range(units + 1), repeat=3):
        d = units - a - b - c
        if d >= 0:
            points.append(dict(zip(SIGNALS, (a / units, b / units, c / units, d / units), strict=True)))
    return points


def fit_weights(samples: Sequence[Sample], step: float = 0.05) -> dict[str, float]:
    """The simplex point with the best AUC on `samples` (ties: the one nearest equal weights)."""
    best: tuple[float, float, dict[str, float]] | None = None
    for point in simplex(step):
        value = evaluate(samples, point, 0).auc
        if value is None:
            continue
        spread = sum((w - 0.25) ** 2 for w in point.values())
        key = (value, -spread)
        if best is None or key > best[:2]:
            best = (value, -spread, point)
    if best is None:
        raise ValueError("calibration needs both lost and won renewals with signals")
    return best[2]


def fit_threshold(samples: Sequence[Sample], weights: Mapping[str, float]) -> int:
    """The At Risk threshold (score < t flags) with the best Youden's J on `samples`."""
    scored = [(weighted(s.signals, weights), s.lost) for s in samples]
    scored = [(score, lost) for score, lost in scored if score is not None]
    positives = sum(1 for _, lost in scored if lost) or 1
    negatives = sum(1 for _, lost in scored if not lost) or 1
    best_t, best_j = 60, float("-inf")
    for t in range(41, 96):
        tp = sum(1 for score, lost in scored if lost and score < t)
        fp = sum(1 for score, lost in scored if not lost and score < t)
        j = tp / positives - fp / negatives
        if j > best_j or (j == best_j and abs(t - 60) < abs(best_t - 60)):
            best_t, best_j = t, j
    return best_t


def bands_for(monitor: int, old: TierBands) -> TierBands:
    """New bands around a new Monitor lower bound, keeping the old gaps (clamped so they still descend)."""
    shift = monitor - old.monitor
    healthy = max(min(100, old.healthy + shift), monitor + 1)
    at_risk = min(max(2, old.at_risk + shift), monitor - 1)
    critical = max(1, min(at_risk - 1, old.critical + shift))
    return TierBands(healthy=healthy, monitor=monitor, at_risk=at_risk, critical=critical)


def calibrate(samples: Sequence[Sample], weights: Weights, tiers: TierBands, step: float = 0.05) -> Calibration:
    """Fit on the stable 70%, compare old and proposed on the held-out 30%."""
    fitting = [s for s in samples if not held_out(s.account_id)]
    testing = [s for s in samples if held_out(s.account_id)]
    if not any(s.lost for s in fitting) or all(s.lost for s in fitting):
        raise ValueError("calibration needs lost and won renewals among the fitting accounts")
    fitted = fit_weights(fitting, step)
    proposed_tiers = bands_for(fit_threshold(fitting, fitted), tiers)
    old = weights.model_dump()
    return Calibration(
        weights=Weights(**{name: round(fitted[name], 4) for name in SIGNALS}),
        tiers=proposed_tiers,
        fitted_on=len(fitting),
        held_out=len(testing),
        old=evaluate(testing, old, tiers.monitor),
        proposed=evaluate(testing, fitted, proposed_tiers.monitor),
    )
