"""Whether live scoring may create work (interventions: tasks, sequences, Slack alerts) for an account.

Only live scoring decides interventions (a backfill stores history and alerts, never work), and even
live scoring creates none for an account silent past the playbook's horizon or whose latest renewal
already closed lost or churned (`scoring.playbook.why_no_work`): the first rescore after importing a
year of history must not send CSMs after customers who left long ago.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.store.models import Renewal
from connector.store.sql import chunks, in_list
from scoring.model import AccountTimeline, Assessment
from scoring.playbook import why_no_work
from scoring.rules import ScoringRules


def latest_renewals(session: Session, account_ids: Sequence[str], day: date) -> dict[str, str]:
    """account_id -> status of its latest renewal (any source) by close date, among those closed on or
    before `day` and those still open (an open renewal after a loss: a customer again); the latest
    update wins a tie."""
    latest: dict[str, tuple[date, object, str]] = {}
    for chunk in chunks(list(account_ids)):
        for account_id, close_date, updated_at, status in session.execute(
            select(Renewal.account_id, Renewal.close_date, Renewal.updated_at, Renewal.status).where(
                in_list(session, Renewal.account_id, chunk), or_(Renewal.close_date <= day, Renewal.status == "open")
            )
        ):
            seen = latest.get(account_id)
            if seen is None or (close_date, updated_at) > (seen[0], seen[1]):
                latest[account_id] = (close_date, updated_at, status)
    return {account_id: status for account_id, (_, _, status) in latest.items()}


def withheld_work(
    session: Session,
    assessments: Sequence[Assessment],
    timelines: Mapping[str, AccountTimeline],
    rules: ScoringRules,
) -> dict[str, str]:
    """account_id -> why its planned interventions are not stored, for the assessments that planned some."""
    planned = [a for a in assessments if a.interventions]
    if not planned:
        return {}
    withheld = {}
    for day in sorted({a.as_of for a in planned}):
        on_day = [a for a in planned if a.as_of == day]
        renewals = latest_renewals(session, [a.account_id for a in on_day], day)
        for assessment in on_day:
            why = why_no_work(timelines[assessment.account_id], rules, renewals.get(assessment.account_id))
            if why is not None:
                withheld[assessment.account_id] = why
    return withheld
