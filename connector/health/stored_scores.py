"""Write what scoring decided: the day's score row, the alert changes and the new interventions,
all idempotent (a retried assessment stores nothing twice)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from connector.health.alert_history import store_alert_changes
from connector.store.bulk import upsert_many
from connector.store.models import AccountScore, Intervention
from connector.store.sql import insert_ignore
from scoring.model import Assessment


@dataclass(frozen=True)
class Scored:
    assessment: Assessment
    new_interventions: tuple[int, ...]
    slack_interventions: tuple[int, ...]
    withheld: str | None = None
    """Why the interventions it planned were not stored (live scoring of an account long silent or lost)."""


def store_assessments(
    session: Session,
    assessments: Sequence[Assessment],
    decided_at: datetime,
    *,
    record_interventions: bool,
    withheld: Mapping[str, str] | None = None,
) -> dict[str, Scored]:
    """Write score history, open and clear alerts, insert new interventions (all idempotent), except
    the interventions of the `withheld` accounts."""
    withheld = withheld or {}
    if not assessments:
        return {}
    score_rows = [score_row(a, decided_at) for a in assessments]
    columns = list(score_rows[0])
    upsert_many(
        session, AccountScore.__table__, columns, [tuple(row.values()) for row in score_rows], ["account_id", "day"]
    )
    store_alert_changes(session, assessments, decided_at)
    new: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    planned = (
        [(a, i) for a in assessments if a.account_id not in withheld for i in a.interventions]
        if record_interventions
        else []
    )
    if planned:
        table = Intervention.__table__
        for row in session.execute(
            insert_ignore(session, table).returning(table.c.id, table.c.account_id, table.c.slack_alert),
            [
                {
                    "account_id": a.account_id,
                    "key": i.key,
                    "trigger_id": i.trigger_id,
                    "trigger_ids": list(i.trigger_ids),
                    "tier": i.tier,
                    "action": i.action,
                    "channels": list(i.channels),
                    "owner": i.owner,
                    "priority": i.priority,
                    "due_at": i.due_at,
                    "subject": i.subject[:500],
                    "body": i.body,
                    # The control group is decided, stored and measured, never sent anywhere.
                    "slack_alert": i.slack_alert and not i.control,
                    "slack_status": "pending" if i.slack_alert and not i.control else None,
                    "status": "control" if i.control else "pending",
                    "control": i.control,
                    "crm_status": "control" if i.control else None,
                    "created_at": decided_at,
                    "story": i.story.as_json() if i.story else None,
                    "tier_play": i.tier_play,
                }
                for a, i in planned
            ],
        ):
            new[row.account_id].append((row.id, row.slack_alert))
    return {
        a.account_id: Scored(
            a,
            tuple(i for i, _ in new[a.account_id]),
            tuple(i for i, slack in new[a.account_id] if slack),
            withheld.get(a.account_id) if record_interventions and a.interventions else None,
        )
        for a in assessments
    }


def score_row(assessment: Assessment, decided_at: datetime) -> dict[str, object]:
    score = assessment.score
    return {
        "account_id": assessment.account_id,
        "day": assessment.as_of,
        "score": score.value,
        "tier": assessment.tier,
        "trend_delta": assessment.trend.delta,
        "trend_direction": assessment.trend.direction,
        "signals": {
            name: {"value": None if s.value is None else round(s.value, 1), "explanation": s.explanation}
            for name, s in score.signals.items()
        },
        "weights": dict(score.weights_used),
        "reason": assessment.reason[:500],
        "config_version": assessment.config_version,
        "scored_at": decided_at,
        "churn_probability": None if assessment.churn is None else assessment.churn.probability,
        "churn_drivers": None if assessment.churn is None else assessment.churn.rising(),
    }
