"""One account's interventions and what followed each (response, recovery, renewal, save), measured
exactly as `healthloop report` measures them (`scoring.outcomes.measure_all`), for the account's page."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.measure.renewals import stored_renewals
from connector.measure.report import outcome_rules
from connector.store.models import AccountScore, Intervention
from scoring.outcomes import InterventionFact, ScorePoint, measure_all
from scoring.rules import ScoringRules


def _fact(i: Intervention) -> InterventionFact:
    # The same fields `connector.measure.report.load_facts` reads.
    return InterventionFact(
        intervention_id=i.id,
        account_id=i.account_id,
        key=i.key,
        trigger_id=i.trigger_id,
        tier=i.tier,
        created_on=i.created_at.date(),
        channels=tuple(i.channels),
        owner=i.owner,
        trigger_ids=tuple(i.trigger_ids),
        control=i.control,
        task_completed_on=i.task_completed_at.date() if i.task_completed_at else None,
        enrollment_replied_on=i.enrollment_replied_at.date() if i.enrollment_replied_at else None,
    )


def account_interventions(
    session: Session, account_id: str, scoring: ScoringRules, as_of: date, limit: int = 50
) -> list[dict[str, Any]]:
    """The account's newest `limit` interventions with their CRM state and measured outcome, newest first."""
    interventions = session.scalars(
        select(Intervention)
        .where(Intervention.account_id == account_id)
        .order_by(Intervention.created_at.desc(), Intervention.id.desc())
        .limit(limit)
    ).all()
    if not interventions:
        return []
    first = min(i.created_at.date() for i in interventions)
    history = [
        ScorePoint(day, score)
        for day, score in session.execute(
            select(AccountScore.day, AccountScore.score)
            .where(AccountScore.account_id == account_id, AccountScore.day >= first)
            .order_by(AccountScore.day)
        )
    ]
    facts = [_fact(i) for i in interventions]
    outcomes = measure_all(facts, {account_id: history}, stored_renewals(session, [account_id]), as_of,
                           outcome_rules(scoring))  # fmt: skip
    return [
        {
            "id": i.id,
            "created_at": i.created_at,
            "tier": i.tier,
            "trigger_id": i.trigger_id,
            "action": i.action,
            "channels": i.channels,
            "owner": i.owner,
            "priority": i.priority,
            "due_at": i.due_at,
            "subject": i.subject,
            "control": i.control,
            "crm_status": i.crm_status,
            "crm_error": i.crm_error,
            "task_status": i.task_status,
            "task_completed_at": i.task_completed_at,
            "enrollment_status": i.enrollment_status,
            "enrollment_state": i.enrollment_state,
            "responded": o.responded,
            "recovered": o.recovered,
            "recovered_on": o.recovered_on,
            "recovery_threshold": o.recovery_threshold,
            "recovery_held": o.recovery_held,
            "renewal": o.renewal,
            "renewal_close_date": o.renewal_close_date,
            "save": o.save,
            "pending": o.pending,
        }
        for i, o in zip(interventions, outcomes, strict=True)
    ]
