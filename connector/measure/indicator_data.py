"""Indicator accuracy as the report and the backtest print it: per trigger and for the score, precision
and recall with their 95% intervals and counts, lead times, and the score's AUC with its interval.

`load_indicators` reads stored alerts and scores (never a row dated before the account's start);
the backtest computes the same from its replay and shares `indicator_json`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.health.account_start import account_starts, started
from connector.measure.renewals import stored_renewals
from connector.store.models import AccountScore, Alert
from connector.store.sql import chunks, in_list
from scoring.indicators import IndicatorAccuracy, ScoreAuc, TriggerFiring
from scoring.indicators import indicator_accuracy as accuracy_of
from scoring.indicators import score_auc as score_auc_of
from scoring.outcomes import RenewalFact, ScorePoint

LOOKBACK_DAYS = 90
"""A flag counts for a renewal when it came in the 90 days before the renewal closed."""
AUC_DAYS_BEFORE = (30, 60, 90)


def indicator_json(
    accuracy: tuple[IndicatorAccuracy, ...], aucs: tuple[ScoreAuc, ...], renewals: list[RenewalFact]
) -> dict[str, Any]:
    """The renewals judged, one row per indicator and the score's AUC rows, as plain data."""
    return {
        "renewals": {
            "closed": sum(1 for r in renewals if r.won is not None),
            "lost": sum(r.won is False for r in renewals),
        },
        "indicators": [
            {
                "indicator": row.indicator,
                "renewals": row.renewals,
                "lost": row.lost,
                "flagged": row.flagged,
                "true_positives": row.true_positives,
                "precision": asdict(row.precision),
                "recall": asdict(row.recall),
                "median_lead_days": row.median_lead_days,
                "lead_days": list(row.lead_days),
            }
            for row in accuracy
        ],
        "score_auc": [asdict(row) for row in aucs],
    }


def load_indicators(session: Session, score_below: int) -> dict[str, Any]:
    """`indicator_json` from stored renewals, alerts and scores (`score_below`: the At Risk upper bound)."""
    renewals = stored_renewals(session)
    closed = [r for r in renewals if r.won is not None]
    if not closed:
        return indicator_json((), (), []) | {"lookback_days": LOOKBACK_DAYS}
    accounts = sorted({r.account_id for r in closed})
    starts = account_starts(session, accounts)
    first = min(r.close_date for r in closed) - timedelta(days=max(LOOKBACK_DAYS, *AUC_DAYS_BEFORE) + 7)
    histories: dict[str, list[ScorePoint]] = defaultdict(list)
    firings: list[TriggerFiring] = []
    for chunk in chunks(accounts):
        scores = select(AccountScore.account_id, AccountScore.day, AccountScore.score).where(
            in_list(session, AccountScore.account_id, chunk), AccountScore.day >= first
        )
        for account_id, day, score in session.execute(scores):
            if started(starts, account_id, day):
                histories[account_id].append(ScorePoint(day, score))
        alerts = select(Alert.account_id, Alert.trigger_id, Alert.fired_on).where(
            in_list(session, Alert.account_id, chunk), Alert.fired_on >= first
        )
        firings += [TriggerFiring(a, t, d) for a, t, d in session.execute(alerts) if started(starts, a, d)]
    accuracy = accuracy_of(closed, histories, firings, score_below=score_below, lookback_days=LOOKBACK_DAYS)
    aucs = score_auc_of(closed, histories, days_before=AUC_DAYS_BEFORE)
    return indicator_json(accuracy, aucs, closed) | {"lookback_days": LOOKBACK_DAYS}
