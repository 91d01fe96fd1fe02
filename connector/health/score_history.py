"""One account's stored daily history over any range: score, tier, trend, signals and the triggers open
each day (`healthloop accounts history`). Days before the account's start, or never scored, have no row."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.store.models import AccountScore, Alert
from scoring.rules import SIGNALS

COLUMNS = ("day", "score", "tier", "trend_delta", "trend_direction", *SIGNALS, "open_triggers", "reason")
"""The fields of each day, in the order a CSV prints them."""


def score_history(session: Session, account_id: str, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """The account's stored days between `start` and `end` (inclusive; None: unbounded), oldest first."""
    scores = select(AccountScore).where(AccountScore.account_id == account_id).order_by(AccountScore.day)
    alerts = select(Alert.trigger_id, Alert.fired_on, Alert.cleared_on).where(Alert.account_id == account_id)
    if start is not None:
        scores = scores.where(AccountScore.day >= start)
        alerts = alerts.where(or_(Alert.cleared_on.is_(None), Alert.cleared_on > start))
    if end is not None:
        scores = scores.where(AccountScore.day <= end)
        alerts = alerts.where(Alert.fired_on <= end)
    spans = session.execute(alerts).all()
    return [
        {
            "day": row.day.isoformat(),
            "score": row.score,
            "tier": row.tier,
            "trend_delta": row.trend_delta,
            "trend_direction": row.trend_direction,
            **{name: (row.signals.get(name) or {}).get("value") for name in SIGNALS},
            "open_triggers": sorted(
                trigger
                for trigger, fired, cleared in spans
                if fired <= row.day and (cleared is None or cleared > row.day)
            ),
            "reason": row.reason,
        }
        for row in session.scalars(scores)
    ]
