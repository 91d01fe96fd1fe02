"""The health score (renormalised weighted sum of the signals), its tier and its trend."""

from __future__ import annotations

import math
from collections.abc import Mapping

from scoring.model import HealthScore, SignalValue, Trend
from scoring.rules import SIGNALS, TierBands, TrendRules, Weights

SIGNAL_LABELS = {"activity": "Activity", "engagement": "Engagement", "milestones": "Milestones", "recency": "Recency"}


def round_half_up(value: float) -> int:
    """floor(value + 0.5): 72.5 -> 73 (Python's `round` would give 72)."""
    return math.floor(value + 0.5)


def health_score(signals: Mapping[str, SignalValue], weights: Weights) -> HealthScore:
    """Score = round_half_up(Σ wᵢ·sᵢ / Σ wᵢ), the sums over the signals that have a value.

    A null signal (or one missing from `signals`) drops out and the remaining weights are
    renormalised to sum to 1 (`weights_used`; 0.0 for the nulls). Bounded 0-100 and
    non-decreasing in every signal. When no signal with a positive weight has a value the score
    is 0, with a note saying there was nothing to score.
    """
    configured = {name: float(getattr(weights, name)) for name in SIGNALS}
    present = {name: signals[name].value for name in SIGNALS if name in signals and signals[name].value is not None}
    total = sum(configured[name] for name in present)
    nulls = [name for name in SIGNALS if name not in present]
    if total <= 0:
        note = "no weighted signal has a value, so the score is 0 by definition"
        return HealthScore(0, dict(signals), dict.fromkeys(SIGNALS, 0.0), (note,))
    used = configured if not nulls else {n: (configured[n] / total if n in present else 0.0) for n in SIGNALS}
    weighted = sum(configured[name] * float(value) for name, value in present.items()) / total
    value = min(100, max(0, round_half_up(weighted)))
    notes: tuple[str, ...] = ()
    if nulls:
        labels = ", ".join(f"{SIGNAL_LABELS[n]} ({signals[n].explanation})" if n in signals else n for n in nulls)
        spread = ", ".join(f"{SIGNAL_LABELS[n]} {used[n]:.2f}" for n in present)
        notes = (f"null: {labels}; weights renormalised over the rest: {spread}",)
    return HealthScore(value, dict(signals), used, notes)


def tier_for(score: int, bands: TierBands) -> str:
    """The first tier whose lower band the score reaches (healthy, monitor, at_risk, critical), else churning."""
    if score >= bands.healthy:
        return "healthy"
    if score >= bands.monitor:
        return "monitor"
    if score >= bands.at_risk:
        return "at_risk"
    if score >= bands.critical:
        return "critical"
    return "churning"


def trend(score: int, earlier: int | None, rules: TrendRules) -> Trend:
    """delta = score - earlier; `improving` above +dead_band, `declining` below -dead_band, else `stable`.

    Unknown earlier score -> delta and direction None.
    """
    if earlier is None:
        return Trend(None, None)
    delta = score - earlier
    if delta > rules.dead_band:
        return Trend(delta, "improving")
    if delta < -rules.dead_band:
        return Trend(delta, "declining")
    return Trend(delta, "stable")
