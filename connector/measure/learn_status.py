"""Where the Learn step stands: the latest fitted churn model's evaluation, for the report and console."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import ChurnModel


def latest_evaluation(session: Session) -> dict[str, Any] | None:
    """The latest `healthloop learn` result (its evaluation, when it was fitted, whether it is in use), or None."""
    row = session.scalars(select(ChurnModel).order_by(ChurnModel.id.desc()).limit(1)).first()
    if row is None:
        return None
    return {
        "model_id": row.id,
        "fitted_at": row.fitted_at.isoformat(),
        "in_use": row.active,
        "horizon_days": row.horizon_days,
        **row.evaluation,
    }


def auc_text(e: dict[str, Any] | None) -> str:
    """An AUC with its interval as JSON evaluations hold it: "0.612 [0.571-0.650]", or "-"."""
    if not e or e.get("auc") is None:
        return "-"
    return f"{e['auc']:.3f} [{e['low']:.3f}-{e['high']:.3f}]"


def learned_line(data: dict[str, Any] | None) -> str:
    """One sentence for the report: is the learned probability in use, and on what evidence."""
    if data is None:
        return "learned churn probability: not fitted yet (`healthloop learn`)"
    auc = auc_text

    head = f"learned churn probability ({data['horizon_days']}-day, fitted {data['fitted_at'][:10]}): "
    use = "in use" if data["in_use"] else "not in use"
    text = f"{head}{use}; held-out AUC {auc(data.get('probability'))} vs the score's {auc(data.get('score'))}"
    difference = data.get("difference") or {}
    if difference.get("value") is not None:
        text += f", difference {difference['value']:+.3f} [{difference['low']:+.3f} to {difference['high']:+.3f}]"
    return text + f" ({data['samples']} observations, {data['churned']} churned, {data['accounts']} accounts)"
