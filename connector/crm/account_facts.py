"""The facts a CSM asks for first, read for a batch of accounts with one statement each: the last 30 days of
scores, last product activity, users active in 30 days, seats, key features adopted, open tickets, and the
renewal date and MRR (`connector.health.account_value`). The CRM fields and cards show them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.health.account_value import account_values
from connector.store.models import Account, AccountEventFirst, AccountScore, DailyRollup, Event, Ticket
from connector.store.sql import in_list
from scoring.rules import ScoringRules

HISTORY_DAYS = 30
ACTIVE_USERS_DAYS = 30
ACTIVITY_TYPES = ("track", "page", "screen")
"""What counts as product activity for "last activity" (identify and group calls are bookkeeping)."""
CLOSED_TICKETS = ("solved", "closed")


@dataclass
class AccountFacts:
    scores: dict[date, int] = field(default_factory=dict)
    last_activity_at: datetime | None = None
    active_users: int = 0
    seats: int | None = None
    features: list[str] | None = None
    """Key features ever used, in the configured order (None: key features unknown to this sync)."""
    key_features: int = 0
    open_tickets: int = 0
    renewal_on: date | None = None
    mrr: float | None = None


def load_facts(
    session: Session,
    account_ids: Sequence[str],
    latest_days: Mapping[str, date],
    today: date,
    rules: ScoringRules | None,
) -> dict[str, AccountFacts]:
    """Facts of `account_ids`; `latest_days` (account -> its latest scored day) ends each score history."""
    facts = {account_id: AccountFacts() for account_id in account_ids}
    if not account_ids:
        return facts
    ids = list(account_ids)
    first = min(latest_days.values(), default=today) - timedelta(days=HISTORY_DAYS - 1)
    scores = AccountScore.__table__.c
    for account_id, day, score in session.execute(
        select(scores.account_id, scores.day, scores.score).where(
            in_list(session, scores.account_id, ids), scores.day >= first
        )
    ):
        end = latest_days.get(account_id)
        if end is not None and end - timedelta(days=HISTORY_DAYS - 1) <= day <= end:
            facts[account_id].scores[day] = score
    for account_id, last in session.execute(
        select(Event.account_id, func.max(Event.timestamp))
        .where(in_list(session, Event.account_id, ids), Event.type.in_(ACTIVITY_TYPES))
        .group_by(Event.account_id)
    ):
        facts[account_id].last_activity_at = last
    users: dict[str, set[str]] = defaultdict(set)
    since = today - timedelta(days=ACTIVE_USERS_DAYS - 1)
    for account_id, counts in session.execute(
        select(DailyRollup.account_id, DailyRollup.user_counts).where(
            in_list(session, DailyRollup.account_id, ids), DailyRollup.day >= since, DailyRollup.day <= today
        )
    ):
        users[account_id] |= {user for user, n in (counts or {}).items() if n}
    for account_id, seen in users.items():
        facts[account_id].active_users = len(seen)
    for account_id, seats in session.execute(
        select(Account.account_id, Account.licensed_seats).where(in_list(session, Account.account_id, ids))
    ):
        facts[account_id].seats = seats
    for account_id, count in session.execute(
        select(Ticket.account_id, func.count())
        .where(in_list(session, Ticket.account_id, ids), Ticket.status.not_in(CLOSED_TICKETS))
        .group_by(Ticket.account_id)
    ):
        facts[account_id].open_tickets = count
    if rules is not None:
        _features(session, ids, rules, facts)
    for account_id, value in account_values(session, ids, today).items():
        facts[account_id].renewal_on, facts[account_id].mrr = value.renewal_on, value.mrr
    return facts


def _features(session: Session, ids: list[str], rules: ScoringRules, facts: dict[str, AccountFacts]) -> None:
    key_features = list(dict.fromkeys(rules.events.key_features))
    used: dict[str, set[str]] = defaultdict(set)
    if key_features:
        for account_id, event in session.execute(
            select(AccountEventFirst.account_id, AccountEventFirst.event).where(
                in_list(session, AccountEventFirst.account_id, ids), AccountEventFirst.event.in_(key_features)
            )
        ):
            used[account_id].add(event)
    for account_id, account in facts.items():
        account.key_features = len(key_features)
        account.features = [feature for feature in key_features if feature in used[account_id]]
