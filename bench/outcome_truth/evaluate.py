"""The independent check: observation samples, the bench's own baselines, AUC with a cluster bootstrap.

A sample is (account, observation date d): the account is at least 28 days old on d and has not
churned by d; its label is whether it churns in the 30 days after d. Everything an account did is
read up to d - 1 (the day whose stored score is used). AUC is computed for *churn*: a method's
risk is 100 - score for healthloop's scores and signals (higher score = healthier), minus the
count for the event-count baselines, and the fitted churn probability for the logistic regression.
Intervals resample accounts (an account appears at up to four dates), 2.5th-97.5th percentiles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from bench.outcome_truth.story import INVITE_EVENT, SETUP_EVENTS, Simulation

MIN_AGE_DAYS = 28
HORIZON_DAYS = 30
SETUP_STEPS = (*SETUP_EVENTS, INVITE_EVENT)
FEATURES = (
    "events_14d",
    "events_30d",
    "event_types_30d",
    "active_users_30d",
    "seats",
    "tenure_days",
    "setup_steps_done",
    "tickets_30d",
)


def observation_days(days: int) -> list[int]:
    """Four dates, a month apart where the period allows, the last one 30 days before its end."""
    last = days - 1 - HORIZON_DAYS
    spacing = min(30, (last - 45) // 3)
    if spacing < 7:
        raise SystemExit(f"--days {days} is too short for four observation dates (need at least 111)")
    return [last - spacing * (3 - k) for k in range(4)]


def fit_half(account_id: str) -> bool:
    """Stable 50/50 split of accounts: anything fitted is fitted on this half, measured on the other."""
    return hashlib.sha256(f"outcome-truth\x1f{account_id}".encode()).digest()[0] < 128


@dataclass
class Samples:
    account: np.ndarray
    cluster: np.ndarray
    day: np.ndarray
    label: np.ndarray
    segment: np.ndarray
    fit: np.ndarray
    features: np.ndarray

    def __len__(self) -> int:
        return len(self.label)


def build_samples(sim: Simulation, dates: list[int]) -> Samples:
    rows: list[tuple[str, int, int, int, str, bool, list[float]]] = []
    for index, a in enumerate(sim.accounts):
        for d in dates:
            if d - a.signup < MIN_AGE_DAYS or (a.churn is not None and a.churn <= d):
                continue
            label = int(a.churn is not None and a.churn <= d + HORIZON_DAYS)
            rows.append((a.account_id, index, d, label, a.segment, fit_half(a.account_id), _features(a, d)))
    columns = list(zip(*rows, strict=True))
    return Samples(*(np.array(column) for column in columns[:6]), np.array(columns[6], dtype=float))


def _features(a, d: int) -> list[float]:
    types_30 = users_30 = 0
    for day in range(max(0, d - 30), d):
        types_30 |= a.types[day]
        users_30 |= a.users[day]
    return [
        float(a.events[max(0, d - 14) : d].sum()),
        float(a.events[max(0, d - 30) : d].sum()),
        float(types_30.bit_count()),
        float(users_30.bit_count()),
        float(a.seats),
        float(d - a.signup),
        float(sum(1 for name in SETUP_STEPS if a.setup_first.get(name, d) < d)),
        float(sum(1 for day in a.tickets if d - 30 <= day < d)),
    ]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L2-penalised logistic regression by Newton steps (IRLS) on standardised inputs; intercept unpenalised."""
    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    z = np.column_stack([np.ones(len(x)), (x - mean) / sd])
    penalty = l2 * np.eye(z.shape[1])
    penalty[0, 0] = 0.0
    beta = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        gradient = z.T @ (y - p) - penalty @ beta
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-9:
            break
    return mean, sd, beta


def logistic_risk(model: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    mean, sd, beta = model
    return 1.0 / (1.0 + np.exp(-(np.column_stack([np.ones(len(x)), (x - mean) / sd]) @ beta)))


def behaviour_inputs(samples: Samples) -> np.ndarray:
    """The regression's inputs: counts on a log scale (their effects are closer to multiplicative)."""
    return np.log1p(samples.features)


def weighted_auc(risk: np.ndarray, label: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC (ties count one half) for each row of `weights` (repetitions x samples): P(risk_pos > risk_neg)."""
    order = np.argsort(risk, kind="mergesort")
    ordered, positive, w = risk[order], label[order].astype(bool), weights[:, order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    pos = np.add.reduceat(w * positive, starts, axis=1)
    neg = np.add.reduceat(w * ~positive, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def cluster_weights(cluster: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """Row 0: every sample once; rows 1..reps: accounts drawn with replacement, each sample weighted by its draws."""
    ids, position = np.unique(cluster, return_inverse=True)
    draws = np.random.default_rng(seed).multinomial(len(ids), np.full(len(ids), 1.0 / len(ids)), size=reps)
    return np.vstack([np.ones(len(cluster)), draws[:, position]])


@dataclass
class Auc:
    auc: float | None
    low: float | None
    high: float | None
    n: int
    positives: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"auc": self.auc, "ci95": [self.low, self.high], "n": self.n, "positives": self.positives}


def auc_interval(risk: np.ndarray, label: np.ndarray, weights: np.ndarray) -> Auc:
    """Point AUC and percentile interval over the bootstrap rows, on the samples where `risk` is known."""
    known = ~np.isnan(risk)
    n, positives = int(known.sum()), int(label[known].sum())
    if positives == 0 or positives == n:
        return Auc(None, None, None, n, positives)
    values = weighted_auc(risk[known], label[known], weights[:, known])
    rest = values[1:][~np.isnan(values[1:])]
    return Auc(float(values[0]), float(np.percentile(rest, 2.5)), float(np.percentile(rest, 97.5)), n, positives)


def difference_interval(risk: np.ndarray, base: np.ndarray, label: np.ndarray, weights: np.ndarray) -> Auc:
    """AUC(risk) - AUC(base) on the samples both know, paired over the same account resamples."""
    known = ~np.isnan(risk) & ~np.isnan(base)
    n, positives = int(known.sum()), int(label[known].sum())
    if positives == 0 or positives == n:
        return Auc(None, None, None, n, positives)
    w = weights[:, known]
    values = weighted_auc(risk[known], label[known], w) - weighted_auc(base[known], label[known], w)
    rest = values[1:][~np.isnan(values[1:])]
    return Auc(float(values[0]), float(np.percentile(rest, 2.5)), float(np.percentile(rest, 97.5)), n, positives)
