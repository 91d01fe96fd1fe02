"""Score accounts for every day of a range (history backfills), oldest day first, in batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.health import alert_history
from connector.health.range_replay import replay_range
from connector.health.scores import score_accounts
from connector.ingest.rollups import roll_up_outstanding
from connector.store.models import DirtyAccountDay
from connector.store.sql import chunks
from scoring.model import Assessment
from scoring.rules import ScoringRules

BATCH = 500


@dataclass
class Backfill:
    """What a range of scoring stored."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    """account_id -> a summary of its last scored day."""
    slack: list[int] = field(default_factory=list)
    """Interventions that asked for a Slack alert (only today's scoring decides any)."""
    scored_days: int = 0
    """Account-days scored and stored."""
    before_start: int = 0
    """Account-days skipped because the account had not started yet (no row is stored for them)."""
    withheld: dict[str, str] = field(default_factory=dict)
    """account_id -> why today's scoring stored none of the interventions it planned."""


def score_range(
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session],
    rules: ScoringRules,
    accounts: list[str],
    days: list[date],
    now: datetime,
    progress: Callable[[int], None] | None = None,
    processes: int | None = None,
) -> Backfill:
    """Catch up outstanding rollups, replay the past days, then score today (when in the range).

    Past days are replayed account by account, oldest first, so each day's score and alerts feed the
    next day's as daily scoring would (`connector/health/range_replay.py`: the same decisions, read
    once). A range that is more than today replays history: its days' alerts are handed
    back to the replay first (`alert_history.rewind`) and joined where they touch afterwards, so
    the alerts stored are the ones a clean replay finds, whatever live scoring stored before.
    Days before an account's start store nothing. Only today's scoring decides interventions.
    """
    with sessions() as session:
        waiting = set(session.scalars(select(DirtyAccountDay.account_id).distinct()))
    for account_id in accounts:
        if account_id in waiting:
            with sessions.begin() as session:
                roll_up_outstanding(session, account_id, now)
    replay = days != [now.date()]
    if replay:
        for batch in chunks(accounts, BATCH):
            with sessions.begin() as session:
                alert_history.rewind(session, batch, days[0], days[-1])
    done = Backfill()
    past = [day for day in days if day < now.date()]
    if past:
        replayed = replay_range(sessions, readers, rules, accounts, past, now, progress, processes)
        done.scored_days += replayed.scored_days
        done.before_start += replayed.before_start
        for account_id, assessment in replayed.last.items():
            done.results[account_id] = _summary(assessment, 0)
    if now.date() in days:
        for batch in chunks(accounts, BATCH):
            with readers() as reading, sessions.begin() as session:
                scored = score_accounts(
                    session, batch, now.date(), rules, now, record_interventions=True, read_session=reading
                )
            done.scored_days += len(scored)
            done.before_start += len(batch) - len(scored)
            done.slack += [i for s in scored.values() for i in s.slack_interventions]
            for account_id, result in scored.items():
                done.results[account_id] = _summary(result.assessment, len(result.new_interventions))
                if result.withheld:
                    done.withheld[account_id] = result.withheld
            if progress is not None:
                progress(len(batch))
    if replay:
        for batch in chunks(accounts, BATCH):
            with sessions.begin() as session:
                alert_history.join(session, batch)
    return done


def _summary(assessment: Assessment, interventions: int) -> dict[str, Any]:
    return {
        "account_id": assessment.account_id,
        "as_of": assessment.as_of.isoformat(),
        "score": assessment.score.value,
        "tier": assessment.tier,
        "trend": assessment.trend.delta,
        "direction": assessment.trend.direction,
        "fired": [hit.trigger_id for hit in assessment.fired],
        "open": [hit.trigger_id for hit in assessment.hits],
        "interventions": interventions,
        "reason": assessment.reason,
    }
