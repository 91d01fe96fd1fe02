"""Score accounts: read their history from SQL, run `scoring.assess`, store what it decided.

Everything works on a batch of accounts with a fixed number of queries per batch, whatever
its size; scoring one account is a batch of one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from connector.health.account_start import not_started
from connector.health.account_value import account_values
from connector.health.alert_history import open_alerts_on
from connector.health.churn_model import current_model
from connector.health.history import AccountHistory, load_histories, lookback_days, users_lookback_days
from connector.health.new_work import withheld_work
from connector.health.population import population_for
from connector.health.stored_scores import Scored, store_assessments
from connector.health.tier_episodes import tier_episodes
from connector.store.models import AccountScore, Alert
from connector.store.sql import chunks, in_list
from scoring.assess import assess, score_only
from scoring.daily import account_start
from scoring.model import UNKNOWN_POPULATION, AccountTimeline, Assessment, OpenAlert, Population, PriorState
from scoring.rules import ScoringRules

log = logging.getLogger(__name__)


@dataclass
class AssessedBatch:
    """A batch assessed as of one day: the accounts that existed then, and those that had not started."""

    assessments: list[Assessment]
    timelines: dict[str, AccountTimeline]
    not_started: set[str]


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def earlier_windows(rules: ScoringRules) -> set[int]:
    """How many days back scoring needs the account's earlier score (trend and drop windows)."""
    return {rules.trend.window_days, rules.alerts.drop_window_days}


def load_timeline(session: Session, account_id: str, as_of: date, rules: ScoringRules) -> AccountTimeline | None:
    """The account as scoring sees it at the end of `as_of` (nothing later), or None if unknown."""
    start = as_of - timedelta(days=lookback_days(rules))
    history = load_histories(session, [account_id], start, as_of).get(account_id)
    return None if history is None else history.timeline(as_of, rules)


def stored_earlier_scores(
    session: Session, account_ids: Sequence[str], as_of: date, rules: ScoringRules
) -> dict[str, dict[date, int]]:
    """The stored scores of the trend and drop windows' days before `as_of`."""
    scores = AccountScore.__table__.c
    days = [as_of - timedelta(days=n) for n in earlier_windows(rules)]
    stored: dict[str, dict[date, int]] = defaultdict(dict)
    for chunk in chunks(list(account_ids)):
        for account_id, day, score in session.execute(
            select(scores.account_id, scores.day, scores.score).where(
                in_list(session, scores.account_id, chunk), scores.day.in_(days)
            )
        ):
            stored[account_id][day] = score
    return stored


def load_priors(
    session: Session,
    histories: dict[str, AccountHistory],
    as_of: date,
    rules: ScoringRules,
    stored: dict[str, dict[date, int]] | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> dict[str, PriorState]:
    """Earlier scores (from history, recomputed from stored events where history has a gap and the
    account had started, with `population` standing in for that day's), previous tiers, the alerts
    open on `as_of` and last clearings, for every account in `histories`."""
    ids = list(histories)
    windows = earlier_windows(rules)
    if stored is None:
        stored = stored_earlier_scores(session, ids, as_of, rules)
    previous_tier: dict[str, str] = {}
    open_alerts: dict[str, dict[str, OpenAlert]] = defaultdict(dict)
    cleared: dict[str, dict[str, date]] = defaultdict(dict)
    for chunk in chunks(ids):
        scores = AccountScore.__table__.c
        previous_tier.update(
            session.execute(latest_scores(session, chunk, as_of, scores.account_id, scores.tier)).all()
        )
        for account_id, alerts_open in open_alerts_on(session, chunk, as_of).items():
            open_alerts[account_id] |= alerts_open
        alerts = Alert.__table__.c
        for account_id, trigger_id, last in session.execute(
            select(alerts.account_id, alerts.trigger_id, func.max(alerts.cleared_on))
            .where(
                in_list(session, alerts.account_id, chunk), alerts.cleared_on.is_not(None), alerts.cleared_on <= as_of
            )
            .group_by(alerts.account_id, alerts.trigger_id)
        ):
            cleared[account_id][trigger_id] = last
    tier_since, plays = tier_episodes(session, ids, as_of, previous_tier)
    priors = {}
    for account_id, history in histories.items():
        earlier: dict[int, int] = {}
        for n in sorted(windows):
            day = as_of - timedelta(days=n)
            if day in stored.get(account_id, {}):
                earlier[n] = stored[account_id][day]
            elif any(d <= day for d in history.days):
                timeline = history.timeline(day, rules)
                start = account_start(timeline)
                if start is not None and start <= day:
                    earlier[n] = score_only(timeline, rules, population).value
        priors[account_id] = PriorState(
            earlier,
            previous_tier.get(account_id),
            open_alerts[account_id],
            cleared[account_id],
            tier_since.get(account_id),
            plays.get(account_id, {}),
        )
    return priors


def latest_scores(session: Session, account_ids: Sequence[str], before: date | None, *columns: Any) -> Select:
    """`columns` of each account's latest stored score (before `before`, when given)."""
    scores = AccountScore.__table__.c
    conditions = [in_list(session, scores.account_id, account_ids)]
    if before is not None:
        conditions.append(scores.day < before)
    if session.get_bind().dialect.name == "postgresql":
        # DISTINCT ON walks the primary key backwards; the max-join form got a poor generic plan.
        return (
            select(*columns)
            .ext(postgresql.distinct_on(scores.account_id))
            .where(*conditions)
            .order_by(scores.account_id, scores.day.desc())
        )
    latest = (
        select(scores.account_id, func.max(scores.day).label("day"))
        .where(*conditions)
        .group_by(scores.account_id)
        .subquery()
    )
    return select(*columns).join(latest, and_(latest.c.account_id == scores.account_id, latest.c.day == scores.day))


def assess_accounts(
    session: Session,
    account_ids: Sequence[str],
    as_of: date,
    rules: ScoringRules,
    decided_at: datetime,
    population: Population,
) -> list[Assessment]:
    """Assess accounts as of `as_of` without writing anything (a read-only session is enough); accounts
    unknown or not started by then are left out. `population` is what scoring knows of every account
    that day (`population_for`)."""
    return assess_batch(session, account_ids, as_of, rules, decided_at, population).assessments


def assess_batch(
    session: Session,
    account_ids: Sequence[str],
    as_of: date,
    rules: ScoringRules,
    decided_at: datetime,
    population: Population,
) -> AssessedBatch:
    """Assess the accounts that existed on `as_of` (see `connector.health.account_start`); nothing written."""
    # Only accounts whose earlier scores are missing from history need the extra days to recompute them.
    stored = stored_earlier_scores(session, account_ids, as_of, rules)
    wanted = [as_of - timedelta(days=n) for n in earlier_windows(rules)]
    gaps = {a for a in account_ids if any(day not in stored.get(a, {}) for day in wanted)}
    complete = [a for a in account_ids if a not in gaps]
    start, users_from = as_of - timedelta(days=lookback_days(rules)), as_of - timedelta(days=users_lookback_days(rules))
    histories = load_histories(session, complete, start, as_of, users_from=users_from)
    back = timedelta(days=max(earlier_windows(rules)))
    histories |= load_histories(session, gaps, start - back, as_of, users_from=users_from - back)
    values = account_values(session, list(histories), as_of)
    # Renewal and revenue: what raises a play (`playbook.stakes`); named like the timeline's fields.
    timelines = {a: replace(h.timeline(as_of, rules), **asdict(values[a])) for a, h in histories.items()}
    waiting = not_started(session, timelines, as_of)
    for account_id in waiting:
        del histories[account_id], timelines[account_id]
    priors = load_priors(session, histories, as_of, rules, stored, population)
    model = current_model(session)
    assessments = [
        assess(timelines[account_id], rules, priors[account_id], decided_at, population, churn_model=model)
        for account_id in histories
    ]
    return AssessedBatch(assessments, timelines, waiting)


def score_accounts(
    session: Session,
    account_ids: Sequence[str],
    as_of: date,
    rules: ScoringRules,
    decided_at: datetime,
    *,
    record_interventions: bool = True,
    read_session: Session | None = None,
) -> dict[str, Scored]:
    """Assess accounts as of `as_of` and store the results; unknown ids, and accounts that had not
    started by `as_of`, are skipped (no row at all: a day before an account existed has no score).

    With `read_session`, the reading happens there, so on SQLite the write lock is held only
    while storing (and, once a day, while the day's population is computed). Backfills
    (`record_interventions=False`) store score history and alerts but decide no interventions:
    nobody should get a task for a problem from last spring. Live scoring stores none for accounts
    silent past the playbook's horizon or lost (`connector.health.new_work`).
    """
    population = population_for(session, as_of, rules)
    reader = read_session or session
    batch = assess_batch(reader, account_ids, as_of, rules, decided_at, population)
    withheld = withheld_work(reader, batch.assessments, batch.timelines, rules) if record_interventions else {}
    if withheld:
        log.info("no new work for %d account(s) as of %s (long silent or renewal lost)", len(withheld), as_of)
    return store_assessments(
        session, batch.assessments, decided_at, record_interventions=record_interventions, withheld=withheld
    )


def score_account(
    session: Session,
    account_id: str,
    as_of: date,
    rules: ScoringRules,
    decided_at: datetime,
    *,
    record_interventions: bool = True,
) -> Scored | None:
    """One account (see `score_accounts`); None when it is not stored."""
    scored = score_accounts(session, [account_id], as_of, rules, decided_at, record_interventions=record_interventions)
    return scored.get(account_id)
