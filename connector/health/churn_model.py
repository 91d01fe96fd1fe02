"""The churn model in use: the latest one the Learn step fitted, when its held-out evaluation showed
it ranks accounts better than the score (`connector/measure/learn.py` fits and stores them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import ChurnModel as ChurnModelRow
from scoring.model import ChurnModel


def current_model(session: Session) -> ChurnModel | None:
    """The latest fitted model if it is in use; None when none was fitted or the latest was not better."""
    row = session.scalars(select(ChurnModelRow).order_by(ChurnModelRow.id.desc()).limit(1)).first()
    return model_from_json(row.model) if row is not None and row.active else None


def model_to_json(model: ChurnModel) -> dict[str, Any]:
    return {
        "version": model.version,
        "horizon_days": model.horizon_days,
        "features": list(model.features),
        "center": list(model.center),
        "scale": list(model.scale),
        "coefficients": list(model.coefficients),
        "intercept": model.intercept,
    }


def model_from_json(data: dict[str, Any]) -> ChurnModel:
    return ChurnModel(
        version=str(data["version"]),
        horizon_days=int(data["horizon_days"]),
        features=tuple(data["features"]),
        center=tuple(float(x) for x in data["center"]),
        scale=tuple(float(x) for x in data["scale"]),
        coefficients=tuple(float(x) for x in data["coefficients"]),
        intercept=float(data["intercept"]),
    )
