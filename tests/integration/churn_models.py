"""A learned churn model put on record the way `healthloop learn` stores one, for the tests that need a model in
use (or one retired) without fitting one: the latest stored model decides, so storing a model that is not in use
retires the one before it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from connector.health.churn_model import model_to_json
from connector.store.models import ChurnModel as ChurnModelRow
from scoring.churn import FEATURES
from scoring.model import ChurnModel

SILENCE_MODEL = ChurnModel(
    version="silence00001",
    horizon_days=30,
    features=FEATURES,
    center=tuple(0.0 for _ in FEATURES),
    scale=tuple(1.0 for _ in FEATURES),
    coefficients=tuple(0.05 if name == "days_silent" else 0.0 for name in FEATURES),
    intercept=-3.0,
)
"""Risk rises with the days since the last meaningful action, and nothing else moves it."""


def store_model(sessions: sessionmaker[Session], *, in_use: bool) -> None:
    """Store `SILENCE_MODEL` as the latest fit: in use, or evaluated and not used (retiring any before it)."""
    status = "active" if in_use else "not_better"
    with sessions.begin() as session:
        session.add(
            ChurnModelRow(
                fitted_at=datetime.now(UTC),
                horizon_days=SILENCE_MODEL.horizon_days,
                model=model_to_json(SILENCE_MODEL),
                evaluation={"status": status, "reason": "stored by a test"},
                active=in_use,
            )
        )
