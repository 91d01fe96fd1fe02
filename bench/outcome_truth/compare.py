"""Every method's churn risk on the same samples, and their AUCs on held-out accounts with intervals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.outcome_truth.evaluate import (
    FEATURES,
    Samples,
    auc_interval,
    behaviour_inputs,
    cluster_weights,
    difference_interval,
    fit_logistic,
    logistic_risk,
)
from bench.outcome_truth.protocol import Protocol, stored_probabilities, stored_scores

SIGNALS = ("activity", "engagement", "milestones", "recency")
BASELINE = "(e) events in the last 14 days"
CONFIGS = {
    "default": "(a) default config score",
    "suggested": "(b) `config suggest` config score",
    "suggested+calibrated": "(b+c) suggested, then calibrated",
    "calibrated": "(c) calibrated config score",
}
LOGISTIC = "(f) logistic regression on behaviour counts"
LEARNED = "(d) learned churn probability"
ORACLE = "ceiling: the simulator's own hazard, day before"


@dataclass
class Risks:
    methods: dict[str, np.ndarray] = field(default_factory=dict)
    """Method -> churn risk per sample (NaN where unknown)."""
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)
    """The logistic regression's, on standardised log1p inputs."""
    spread: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per healthloop config: the range of its scores and its tiers over all samples (a degenerate config shows)."""


def risks(protocol: Protocol, samples: Samples) -> Risks:
    """Every method's and diagnostic's churn risk on the samples."""
    accounts, days = samples.account.tolist(), samples.day.tolist()
    result = Risks()
    methods, diagnostics = result.methods, result.diagnostics
    for name, label in CONFIGS.items():
        db = protocol.databases.get(name)
        if db is None:
            continue
        scores, signals, tiers = stored_scores(db, protocol.sim, accounts, days)
        methods[label] = 100.0 - np.array(scores)
        known = np.array(scores)[~np.isnan(scores)]
        result.spread[label] = {
            "score_min": float(known.min()),
            "score_median": float(np.median(known)),
            "score_max": float(known.max()),
            "tiers": {tier: round(count / len(tiers), 3) for tier, count in Counter(tiers).most_common()},
        }
        if name == "default":
            for signal in SIGNALS:
                values = [(s.get(signal) or {}).get("value") for s in signals]
                diagnostics[f"default signal: {signal}"] = np.array(
                    [np.nan if v is None else 100.0 - v for v in values]
                )
    learned = protocol.databases.get("learned")
    if learned is not None:
        methods[LEARNED] = np.array(stored_probabilities(learned, protocol.sim, accounts, days))
    methods[BASELINE] = -samples.features[:, FEATURES.index("events_14d")]
    inputs = behaviour_inputs(samples)
    model = fit_logistic(inputs[samples.fit], samples.label[samples.fit].astype(float))
    methods[LOGISTIC] = logistic_risk(model, inputs)
    diagnostics["setup steps ever done (count)"] = -samples.features[:, FEATURES.index("setup_steps_done")]
    simulated = protocol.sim.accounts
    diagnostics[ORACLE] = np.array(
        [simulated[i].hazard[d - 1] for i, d in zip(samples.cluster, samples.day, strict=True)]
    )
    result.coefficients = dict(zip(("intercept", *FEATURES), model[2].round(3).tolist(), strict=True))
    return result


def compare(
    samples: Samples, methods: dict[str, np.ndarray], diagnostics: dict[str, np.ndarray], reps: int, seed: int
) -> dict[str, Any]:
    """AUC [95% CI] of each method on held-out accounts (overall, per segment) and its difference vs the baseline."""
    held_out = ~samples.fit
    subsets = {"all": held_out}
    for segment in ("single", "multi"):
        mask = held_out & (samples.segment == segment)
        if mask.any() and mask.sum() < held_out.sum():
            subsets[segment] = mask
    result: dict[str, Any] = {}
    for subset, mask in subsets.items():
        weights = cluster_weights(samples.cluster[mask], reps, seed)
        label = samples.label[mask]
        rows = {}
        for name, risk in {**methods, **diagnostics}.items():
            rows[name] = auc_interval(risk[mask], label, weights).as_dict()
            if name in methods and name != BASELINE:
                rows[name]["minus_baseline"] = difference_interval(
                    risk[mask], methods[BASELINE][mask], label, weights
                ).as_dict()
            if name in diagnostics:
                known = risk[mask][~np.isnan(risk[mask])]
                rows[name]["null_share"] = float(np.isnan(risk[mask]).mean())
                rows[name]["distinct_values"] = len(np.unique(known))
        result[subset] = rows
    everyone = cluster_weights(samples.cluster, reps, seed)
    result["all accounts, nothing fitted"] = {
        name: auc_interval(methods[name], samples.label, everyone).as_dict()
        for name in (CONFIGS["default"], BASELINE)
        if name in methods
    }
    return result
