"""Learn a churn probability from stored history and outcomes, and keep it only if it earns its place.

Samples: every `OBSERVE_EVERY_DAYS` days of the stored score history (leaving the last horizon out,
whose outcomes are not in yet), every account whose outcomes were tracked by then (an outcome on
record — a renewal won, lost or churned — dated before the observation day: an account with none
could be a loss nobody recorded; whether it has one *later* must not decide, since a churn always
leaves one) that is at least `MIN_TENURE_DAYS` old, not lost by then and has a stored score the day
before; label: a lost or churned renewal within the next `horizon` days. Inputs: the four stored
signals of the day before plus behaviour counts from the stored history
(`scoring.churn.churn_features`).

Fit: logistic regression (scikit-learn, the `learn` extra) on standardised inputs, evaluated on
accounts it did not see: 5-fold cross-validation grouped by account and stratified by outcome, then
the held-out probability's AUC against the stored score's on the same samples (each churn compared
only with accounts observed the same day), with the paired 95% interval of the difference (DeLong,
clustered by account). The model is used — shown in the CLI, API, report and CRM — only when that
interval lies above zero; otherwise it is stored as evaluated and not used. Too few churns to judge
(the calibrate floor: an AUC interval no wider than ±0.10) refuses, naming the number needed.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.health.account_start import account_starts
from connector.health.churn_model import model_to_json
from connector.health.history import load_histories, lookback_days
from connector.store.models import AccountScore, Renewal
from connector.store.models import ChurnModel as ChurnModelRow
from connector.store.sql import chunks
from scoring.calibrate import Requirement, requirement
from scoring.churn import FEATURES, churn_features
from scoring.daily import DayMemo, read_daily
from scoring.model import ChurnModel, SignalValue
from scoring.rules import ScoringRules
from scoring.statistics import AucDifference, auc_difference

HORIZON_DAYS = 30
MIN_TENURE_DAYS = 28
OBSERVE_EVERY_DAYS = 7
FOLDS = 5
REGULARISATION = 1.0
"""scikit-learn's C: the inverse strength of the L2 penalty on standardised inputs."""


@dataclass(frozen=True)
class Sample:
    account_id: str
    day: date
    """The observation day: inputs are those of the day before, the label the `horizon` days after."""
    features: dict[str, float | None]
    score: int
    churned: bool


@dataclass(frozen=True)
class Learned:
    status: str
    """`active` (better than the score: used), `not_better` (stored, not used) or `refused` (too few churns)."""
    reason: str
    samples: int
    churned: int
    accounts: int
    observation_days: tuple[date, ...]
    requirement: Requirement
    comparison: AucDifference | None = None
    model: ChurnModel | None = None


def load_samples(session: Session, rules: ScoringRules, today: date, horizon: int = HORIZON_DAYS) -> list[Sample]:
    """Every observation (account, day) of the stored history with its inputs and its label."""
    first, last = session.execute(select(func.min(AccountScore.day), func.max(AccountScore.day))).one()
    if first is None:
        return []
    end = min(last + timedelta(days=1), today) - timedelta(days=horizon)
    days = [d for d in _every(first + timedelta(days=MIN_TENURE_DAYS), end, OBSERVE_EVERY_DAYS)]
    if not days:
        return []
    starts = account_starts(session)
    losses: dict[str, list[date]] = defaultdict(list)
    tracked_from: dict[str, date] = {}
    for account_id, close_date, status in session.execute(
        select(Renewal.account_id, Renewal.close_date, Renewal.status).where(
            Renewal.status.in_(("won", "lost", "churned"))
        )
    ):
        tracked_from[account_id] = min(close_date, tracked_from.get(account_id, close_date))
        if status != "won":
            losses[account_id].append(close_date)
    stored: dict[date, dict[str, tuple[int, dict[str, Any]]]] = defaultdict(dict)
    for account_id, day, score, signals in session.execute(
        select(AccountScore.account_id, AccountScore.day, AccountScore.score, AccountScore.signals).where(
            AccountScore.day.in_([d - timedelta(days=1) for d in days])
        )
    ):
        stored[day + timedelta(days=1)][account_id] = (score, signals)
    wanted: dict[str, list[date]] = defaultdict(list)
    for day in days:
        for account_id in stored[day]:
            tracked = tracked_from.get(account_id)
            if tracked is None or tracked >= day:
                # Outcomes not tracked yet: a silent loss would read as a stayer. Judged by what was on record
                # *before* the day, never by the outcome ahead: keeping only the young accounts that went on
                # to churn (they alone have a record) taught a model that youth is churn and made it look
                # better on held-out folds than on accounts it had never seen.
                continue
            start = starts.get(account_id)
            lost = sorted(losses.get(account_id, ()))
            if start is None or (day - start).days < MIN_TENURE_DAYS or bisect_right(lost, day):
                continue  # too young, or already lost by then
            wanted[account_id].append(day)
    samples = []
    back = timedelta(days=lookback_days(rules) + 1)
    for chunk in chunks(sorted(wanted)):
        histories = load_histories(session, chunk, days[0] - back, days[-1])
        for account_id, history in histories.items():
            lost = sorted(losses.get(account_id, ()))
            memo = DayMemo()
            for day in wanted[account_id]:
                timeline = history.timeline(day - timedelta(days=1), rules)
                score, signals = stored[day][account_id]
                values = {name: SignalValue(name, (signal or {}).get("value"), "") for name, signal in signals.items()}
                features = churn_features(timeline, read_daily(timeline, rules, memo), values)
                ahead = bisect_left(lost, day + timedelta(days=horizon + 1)) - bisect_right(lost, day)
                samples.append(Sample(account_id, day, features, score, ahead > 0))
    return samples


def _every(first: date, last: date, step: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, step)] if first <= last else []


def fit(samples: Sequence[Sample], horizon: int = HORIZON_DAYS) -> Learned:
    """Fit, evaluate on held-out accounts, decide (see the module docstring)."""
    from sklearn.linear_model import LogisticRegression  # the `learn` extra
    from sklearn.model_selection import StratifiedGroupKFold

    churned = sum(1 for s in samples if s.churned)
    accounts = sorted({s.account_id for s in samples})
    days = tuple(sorted({s.day for s in samples}))
    need = requirement(churned, len(samples) - churned)
    counts = {"samples": len(samples), "churned": churned, "accounts": len(accounts), "observation_days": days}
    if not need.met or len(accounts) < FOLDS:
        reason = (
            f"{churned} churn(s) among {len(samples)} observations of {len(accounts)} accounts: too few to tell a "
            f"better ranking from chance; at least {need.lost_needed} churns and {need.won_needed} stayers are needed"
        )
        return Learned("refused", reason, requirement=need, **counts)
    raw = np.array([[np.nan if s.features.get(f) is None else s.features[f] for f in FEATURES] for s in samples])
    known = ~np.isnan(raw)
    present = known.sum(axis=0)
    center = np.where(present > 0, np.nansum(raw, axis=0) / np.maximum(present, 1), 0.0)
    spread = np.sqrt(np.nansum((raw - center) ** 2, axis=0) / np.maximum(present, 1))
    varies = spread > 1e-9 * np.maximum(1.0, np.abs(center))
    scale = np.where(varies, spread, 1.0)
    # A constant input carries nothing: zero, not rounding noise blown up by a tiny spread.
    z = np.where(varies, np.nan_to_num((raw - center) / scale), 0.0)
    labels = np.array([s.churned for s in samples])
    groups = np.array([s.account_id for s in samples])
    held_out = np.zeros(len(samples))
    # Stratified: every fold holds a like share of churns (pooled held-out predictions of folds with
    # uneven class shares rank worse than chance on weak signals).
    splitter = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for train, test in splitter.split(z, labels, groups):
        if labels[train].all() or not labels[train].any():
            continue
        model = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(z[train], labels[train])
        held_out[test] = model.predict_proba(z[test])[:, 1]
    # Like with like: accounts are compared only with others observed the same day, so a churn rate
    # that drifts over the calendar cannot pass for skill (the intervals count accounts, not samples).
    comparison = auc_difference(
        [1 - p for p in held_out],
        [s.score for s in samples],
        list(labels),
        strata=[s.day for s in samples],
        accounts=list(groups),
    )
    final = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(z, labels)
    fitted = _model(final, center, scale, horizon)
    if comparison.low is not None and comparison.low > 0:
        status = "active"
        reason = "the probability ranks held-out accounts better than the score, with an interval above 0: in use"
    else:
        status = "not_better"
        reason = "no reliable improvement over the score on held-out accounts: stored, not used"
    return Learned(status, reason, requirement=need, comparison=comparison, model=fitted, **counts)


def _model(fitted: Any, center: np.ndarray, scale: np.ndarray, horizon: int) -> ChurnModel:
    coefficients = tuple(round(float(c), 6) for c in fitted.coef_[0])
    intercept = round(float(fitted.intercept_[0]), 6)
    parts = [list(FEATURES), [round(float(c), 6) for c in center], [round(float(s), 6) for s in scale]]
    version = hashlib.sha256(json.dumps([*parts, coefficients, intercept]).encode()).hexdigest()[:12]
    return ChurnModel(
        version,
        horizon,
        FEATURES,
        tuple(parts[1]),
        tuple(parts[2]),
        coefficients,
        intercept,  # type: ignore[arg-type]
    )


def store(session: Session, learned: Learned, now: datetime) -> int | None:
    """Keep a fitted model with its evaluation (a refusal stores nothing); returns its id."""
    if learned.model is None:
        return None
    row = ChurnModelRow(
        fitted_at=now,
        horizon_days=learned.model.horizon_days,
        model=model_to_json(learned.model),
        evaluation=evaluation_json(learned),
        active=learned.status == "active",
    )
    session.add(row)
    session.flush()
    return row.id


def evaluation_json(learned: Learned) -> dict[str, Any]:
    """What the decision rests on, as JSON (the CLI, the report and the console show it)."""
    comparison = learned.comparison

    def estimate(e: Any) -> dict[str, Any]:
        return {"auc": e.value, "low": e.low, "high": e.high, "n": e.n, "positives": e.positives}

    return {
        "status": learned.status,
        "reason": learned.reason,
        "samples": learned.samples,
        "churned": learned.churned,
        "accounts": learned.accounts,
        "observation_days": [d.isoformat() for d in learned.observation_days],
        "needed": {"churned": learned.requirement.lost_needed, "stayed": learned.requirement.won_needed},
        "probability": None if comparison is None else estimate(comparison.first),
        "score": None if comparison is None else estimate(comparison.second),
        "difference": None
        if comparison is None
        else {"value": comparison.difference, "low": comparison.low, "high": comparison.high},
    }
