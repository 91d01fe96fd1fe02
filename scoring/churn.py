"""A learned churn probability (pure): what a fitted logistic regression says of one account.

Beside the Signal Stack, not instead of it: the health score and tiers stay the seeds' weighted
signals; this is the probability that the account churns within the model's horizon (30 days by
default), from the four signals plus the behaviour counts the churn-analysis literature uses.
The Learn step (`connector/measure/learn.py`) fits it and keeps it only when it ranks held-out
accounts better than the score does, with an interval that excludes no improvement.

Applying a model is arithmetic: z_i = (x_i - center_i) / scale_i, log-odds = b + Σ w_i z_i,
p = 1 / (1 + e^-log-odds). Each input's contribution is w_i z_i: how far it moves this account's
log-odds away from the training accounts' average, which is what a CSM reads as "why".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scoring.daily import Daily
from scoring.model import AccountTimeline, ChurnEstimate, ChurnModel, SignalValue
from scoring.rules import SIGNALS

FEATURES = (
    *SIGNALS,
    "actions_14d",
    "actions_28d",
    "actions_change",
    "event_types_28d",
    "active_users_28d",
    "seats",
    "tenure_days",
    "days_silent",
    "tickets_28d",
    "events_ever",
)
"""The inputs, in order. Counts enter as log(1 + n); a missing signal as the training average."""
FEATURE_LABELS = {
    "activity": "Activity",
    "engagement": "Engagement",
    "milestones": "Milestones",
    "recency": "Recency",
    "actions_14d": "actions in 14 days",
    "actions_28d": "actions in 28 days",
    "actions_change": "change in actions vs the 14 days before",
    "event_types_28d": "different actions used in 28 days",
    "active_users_28d": "active users in 28 days",
    "seats": "seats",
    "tenure_days": "days as a customer",
    "days_silent": "days since the last meaningful action",
    "tickets_28d": "tickets in 28 days",
    "events_ever": "different actions ever used",
}
SILENCE_CAP_DAYS = 90
MONTH_DAYS = 28
"""The "month" of the counts: four whole weeks, the days live scoring reads per-user counts for."""


def _log(n: float) -> float:
    return math.log1p(max(0.0, n))


def churn_features(
    timeline: AccountTimeline, daily: Daily, signals: Mapping[str, SignalValue]
) -> dict[str, float | None]:
    """The model's inputs for one account on `timeline.as_of` (None: unknown, imputed when applied)."""
    recent = previous = month = 0
    types: set[str] = set()
    users: set[str] = set()
    tickets = 0
    for days_ago, day, n in daily.rows:
        if days_ago < 14:
            recent += n
        elif days_ago < 28:
            previous += n
        if days_ago < MONTH_DAYS:
            month += n
            types.update(name for name, count in day.event_counts.items() if count > 0)
            users.update(user for user, count in day.user_counts.items() if count > 0)
            tickets += day.tickets_opened
    silent = (
        (timeline.as_of - daily.last_active).days
        if daily.last_active is not None
        else ((timeline.as_of - daily.start).days if daily.start is not None else None)
    )
    seats = timeline.licensed_seats if timeline.licensed_seats and timeline.licensed_seats > 0 else None
    features: dict[str, float | None] = {name: signals[name].value if name in signals else None for name in SIGNALS}
    features |= {
        "actions_14d": _log(recent),
        "actions_28d": _log(month),
        "actions_change": _log(recent) - _log(previous),
        "event_types_28d": float(len(types)),
        "active_users_28d": _log(len(users)),
        "seats": None if seats is None else _log(seats),
        "tenure_days": None if daily.start is None else _log((timeline.as_of - daily.start).days),
        "days_silent": None if silent is None else float(min(silent, SILENCE_CAP_DAYS)),
        "tickets_28d": _log(tickets),
        "events_ever": _log(len([event for event, day in timeline.first_seen.items() if day <= timeline.as_of])),
    }
    return features


def log_odds_terms(model: ChurnModel, features: Mapping[str, float | None]) -> dict[str, float]:
    """w_i z_i for every input (0 for a missing one)."""
    terms = {}
    for name, center, scale, weight in zip(model.features, model.center, model.scale, model.coefficients, strict=True):
        value = features.get(name)
        terms[name] = 0.0 if value is None else weight * (value - center) / (scale or 1.0)
    return terms


def predict(model: ChurnModel, features: Mapping[str, float | None]) -> ChurnEstimate:
    """The churn probability and each input's contribution."""
    terms = log_odds_terms(model, features)
    log_odds = model.intercept + sum(terms.values())
    probability = 1.0 / (1.0 + math.exp(-log_odds)) if log_odds > -700 else 0.0
    contributions = {name: round(value, 4) for name, value in terms.items()}
    return ChurnEstimate(round(probability, 6), model.horizon_days, contributions, model.version)


def drivers_in_words(drivers: Mapping[str, float]) -> str:
    """`days since the last meaningful action +0.8, seats +0.3`: what raises the risk, largest first, with
    each input's push on the log-odds ("" when nothing raises it above the average account)."""
    return ", ".join(f"{FEATURE_LABELS.get(name, name)} +{push:.1f}" for name, push in drivers.items())
