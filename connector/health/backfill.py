"""Score accounts for every day of a range (history backfills), oldest day first, in batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.health.scores import score_accounts
from connector.ingest.rollups import roll_up_outstanding
from connector.store.models import DirtyAccountDay
from connector.store.sql import chunks
from scoring.model import Assessment
from scoring.rules import ScoringRules

BATCH = 500


def score_range(
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session],
    rules: ScoringRules,
    accounts: list[str],
    days: list[date],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, dict[str, Any]], list[int]]:
    """Catch up outstanding rollups, then score every day in order, in batches of accounts.

    Days go oldest first so each day's stored score feeds the next day's trend, as daily
    scoring would. Returns each account's last scored day, and the interventions that asked for
    a Slack alert (only today's scoring decides interventions).
    """
    with sessions() as session:
        waiting = set(session.scalars(select(DirtyAccountDay.account_id).distinct()))
    for account_id in accounts:
        if account_id in waiting:
            with sessions.begin() as session:
                roll_up_outstanding(session, account_id, now)
    results: dict[str, dict[str, Any]] = {}
    slack: list[int] = []
    for day in days:
        live = day == now.date()
        decided_at = now if live else datetime.combine(day, time.max, tzinfo=UTC)
        for batch in chunks(accounts, BATCH):
            with readers() as reading, sessions.begin() as session:
                scored = score_accounts(
                    session, batch, day, rules, decided_at, record_interventions=live, read_session=reading
                )
            slack += [i for s in scored.values() for i in s.slack_interventions]
            for account_id, result in scored.items():
                results[account_id] = _summary(result.assessment, len(result.new_interventions))
            if progress is not None:
                progress(len(batch))
    return results, slack


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
