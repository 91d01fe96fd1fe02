"""`healthloop report`: which interventions save customers, measured from stored outcomes.

Facts come from SQL (interventions with their task outcome and control flag, score history,
renewals from the CRM or `outcomes import`); the measuring is `scoring.outcomes` (pure). The
tables: save rate and response rate with 95% intervals, median days to recovery, and the uplift
over the control group, overall and per trigger, tier, channel and owner; and how well each
indicator foretold lost renewals (precision, recall, the score's AUC, each with its interval and
counts). A stored row dated before its account's start is never counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.health.account_start import account_starts, started
from connector.measure.indicator_data import load_indicators
from connector.measure.learn_status import latest_evaluation
from connector.measure.renewals import stored_renewals
from connector.store.models import AccountScore, Alert, Intervention, Ticket
from connector.store.sql import chunks, in_list
from scoring.indicators import TriggerFiring, reactive_ratio
from scoring.outcomes import (
    AccountTicket,
    InterventionFact,
    InterventionOutcome,
    OutcomeRules,
    RenewalFact,
    ScorePoint,
    SummaryRow,
    deflection,
    measure_all,
    summarize,
)
from scoring.rules import ScoringRules

GROUPINGS = ("all", "trigger", "tier", "channel", "owner")
REACTIVE_WINDOW_DAYS = 90
"""The reactive-to-proactive ratio looks at accounts entering At Risk or worse in the last 90 days."""
SIGNAL_LOOKBACK_DAYS = 30
"""How far before an at-risk entry a ticket or trigger still counts as its first signal."""
ESCALATION_PRIORITIES = frozenset({"urgent"})
"""Ticket priorities read as an escalation."""


def load_facts(
    session: Session, since: date | None = None
) -> tuple[list[InterventionFact], dict[str, list[ScorePoint]], list[RenewalFact]]:
    """Interventions (created on or after `since`), their accounts' score history and renewals."""
    query = select(Intervention)
    if since is not None:
        query = query.where(Intervention.created_at >= datetime.combine(since, datetime.min.time(), tzinfo=UTC))
    facts = [
        InterventionFact(
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
        for i in session.scalars(query)
    ]
    accounts = sorted({f.account_id for f in facts})
    first = min((f.created_on for f in facts), default=None)
    starts = account_starts(session, accounts)
    histories: dict[str, list[ScorePoint]] = defaultdict(list)
    for chunk in chunks(accounts):
        scores = select(AccountScore.account_id, AccountScore.day, AccountScore.score).where(
            in_list(session, AccountScore.account_id, chunk)
        )
        if first is not None:
            scores = scores.where(AccountScore.day >= first)
        for account_id, day, score in session.execute(scores.order_by(AccountScore.day)):
            if started(starts, account_id, day):
                histories[account_id].append(ScorePoint(day, score))
    return facts, dict(histories), stored_renewals(session, accounts)


def outcome_rules(scoring: ScoringRules) -> OutcomeRules:
    """Measurement windows on the configured tier bands (the rest are the issue's defaults)."""
    return OutcomeRules(bands=scoring.tiers)


def load_tickets(session: Session, since: date) -> list[AccountTicket]:
    """Tickets with an account, opened (or, without an open date, last updated) on or after `since`."""
    lower = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    query = select(Ticket.account_id, Ticket.opened_at, Ticket.state_at, Ticket.priority).where(
        Ticket.account_id.is_not(None), Ticket.state_at >= lower
    )
    tickets = []
    for account_id, opened_at, state_at, priority in session.execute(query):
        opened_on = (opened_at or state_at).date()
        if opened_on >= since:
            tickets.append(AccountTicket(account_id, opened_on, escalation=priority in ESCALATION_PRIORITIES))
    return tickets


def load_firings(session: Session, since: date, starts: Mapping[str, date]) -> list[TriggerFiring]:
    """Every alert fired on or after `since` (and the account's start), as a trigger firing."""
    query = select(Alert.account_id, Alert.trigger_id, Alert.fired_on).where(Alert.fired_on >= since)
    return [TriggerFiring(a, t, d) for a, t, d in session.execute(query) if started(starts, a, d)]


def load_histories(session: Session, since: date, starts: Mapping[str, date]) -> dict[str, list[ScorePoint]]:
    """Every account's score points on or after `since` and its start, in day order."""
    histories: dict[str, list[ScorePoint]] = defaultdict(list)
    query = select(AccountScore.account_id, AccountScore.day, AccountScore.score).where(AccountScore.day >= since)
    for account_id, day, score in session.execute(query.order_by(AccountScore.day)):
        if started(starts, account_id, day):
            histories[account_id].append(ScorePoint(day, score))
    return dict(histories)


@dataclass(frozen=True)
class Measured:
    """The facts behind one report and what `scoring.outcomes` made of them (the HTML page draws from it)."""

    as_of: date
    facts: list[InterventionFact]
    histories: dict[str, list[ScorePoint]]
    renewals: list[RenewalFact]
    outcomes: tuple[InterventionOutcome, ...]
    report: dict[str, Any]


def measure_report(session: Session, scoring: ScoringRules, as_of: date, since: date | None = None) -> Measured:
    rules = outcome_rules(scoring)
    facts, histories, renewals = load_facts(session, since)
    outcomes = measure_all(facts, histories, renewals, as_of, rules)
    start = as_of - timedelta(days=REACTIVE_WINDOW_DAYS - 1)
    signals_from = start - timedelta(days=SIGNAL_LOOKBACK_DAYS)
    first = min((f.created_on for f in facts), default=signals_from)
    tickets = load_tickets(session, min(first, signals_from))
    starts = account_starts(session)
    ratio = reactive_ratio(
        load_histories(session, signals_from, starts),
        tickets,
        load_firings(session, signals_from, starts),
        start,
        as_of,
        bands=scoring.tiers,
        lookback_days=SIGNAL_LOOKBACK_DAYS,
    )
    deflected = deflection(facts, tickets, as_of, rules)
    report = {
        "as_of": as_of.isoformat(),
        "interventions": len(facts),
        "control": sum(1 for f in facts if f.control),
        "groups": {by: [_row(r) for r in summarize(outcomes, by)] for by in GROUPINGS},
        "reactive": {
            "from": start.isoformat(),
            "to": as_of.isoformat(),
            "entries": len(ratio.first_signals),
            "reactive": ratio.reactive,
            "proactive": ratio.proactive,
            "unsignalled": ratio.unsignalled,
            "reactive_share": asdict(ratio.reactive_share),
            "ratio": ratio.ratio,
        },
        "deflection": asdict(deflected)
        | {
            "deflection": None if deflected.ratio is None else 1 - deflected.ratio,
            "min_group_size": rules.min_group_size,
        },
        "indicators": load_indicators(session, scoring.tiers.monitor),
        "learned_probability": latest_evaluation(session),
    }
    return Measured(as_of, facts, histories, renewals, outcomes, report)


def build_report(session: Session, scoring: ScoringRules, as_of: date, since: date | None = None) -> dict[str, Any]:
    return measure_report(session, scoring, as_of, since).report


def _row(row: SummaryRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "treated": asdict(row.treated),
        "control": asdict(row.control),
        "uplift": asdict(row.uplift),
    }
