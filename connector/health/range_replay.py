"""Store a replay of past days: what `score --from --to` does for every day before today.

1. The day's population of each replayed day: the stored one, else built from every account's
   history (loaded in chunks) and stored, so live scoring of those days would read the same.
2. Accounts in chunks: each chunk's histories are loaded once for the whole range, each account's
   days are replayed in order (`connector/health/replay.py`) from its stored state before the range,
   and the chunk's score rows and alerts are written in one transaction.
The caller has handed the range's alerts back first (`alert_history.rewind`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.health.account_start import account_starts
from connector.health.alert_history import ALERTS, next_starts, open_alerts_on
from connector.health.history import load_histories, lookback_days
from connector.health.population import PopulationBuilder, store_population, stored_populations
from connector.health.replay import AlertSpan, ReplayState, alert_spans, earlier_windows, end_of, replay_account
from connector.health.scores import latest_scores
from connector.health.stored_scores import score_row
from connector.store.bulk import upsert_many
from connector.store.models import Account, AccountScore, Alert
from connector.store.sql import chunks, in_list, insert_ignore
from scoring.model import Assessment, Population
from scoring.rules import ScoringRules

CHUNK = 500
"""Accounts replayed together: their histories for the whole range are in memory at once."""


@dataclass
class ReplayedRange:
    """What a stored replay did."""

    last: dict[str, Assessment] = field(default_factory=dict)
    """account_id -> its last replayed day's assessment."""
    scored_days: int = 0
    before_start: int = 0


def replay_range(
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session],
    rules: ScoringRules,
    accounts: Sequence[str],
    days: Sequence[date],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ReplayedRange:
    """Replay `days` (all before today, ascending) for `accounts` and store score history and alerts."""
    populations = range_populations(sessions, readers, rules, days, now)
    done = ReplayedRange()
    for chunk in chunks(sorted(accounts), CHUNK):
        with readers() as session:
            histories, starts, states = _chunk_inputs(session, chunk, days, rules)
        rows: list[tuple[Any, ...]] = []
        columns: list[str] = []
        spans: dict[str, list[AlertSpan]] = {}
        for account_id, history in histories.items():
            opened_before = dict(states[account_id].open_alerts)
            replayed = list(
                replay_account(history, days, rules, populations, starts.get(account_id), states[account_id])
            )
            for assessment in replayed:
                row = score_row(assessment, end_of(assessment.as_of))
                columns = list(row)
                rows.append(tuple(row.values()))
            spans[account_id] = alert_spans(replayed, opened_before)
            if replayed:
                done.last[account_id] = replayed[-1]
            done.scored_days += len(replayed)
            done.before_start += len(days) - len(replayed)
        with sessions.begin() as session:
            if rows:
                upsert_many(session, AccountScore.__table__, columns, rows, ["account_id", "day"])
            _store_spans(session, spans, days[-1])
        if progress is not None:
            progress(len(chunk) * len(days))
    return done


def range_populations(
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session],
    rules: ScoringRules,
    days: Sequence[date],
    now: datetime,
) -> dict[date, Population]:
    """Each day's population: stored, or built from every account's history and stored."""
    with readers() as session:
        populations = stored_populations(session, days, rules)
        missing = [day for day in days if day not in populations]
        if missing:
            builder = PopulationBuilder(missing, rules)
            everyone = sorted(session.scalars(select(Account.account_id)))
            first = missing[0] - timedelta(days=lookback_days(rules) + 1)
            for chunk in chunks(everyone, CHUNK):
                for history in load_histories(session, chunk, first, missing[-1] - timedelta(days=1)).values():
                    builder.add(history)
    if missing:
        built = builder.populations()
        with sessions.begin() as session:
            for day, population in built.items():
                store_population(session, day, rules, population, now)
        populations |= built
    return populations


def _chunk_inputs(
    session: Session, accounts: Sequence[str], days: Sequence[date], rules: ScoringRules
) -> tuple[dict[str, Any], dict[str, date], dict[str, ReplayState]]:
    """Histories for the whole range (and the earlier days the first ones look back to), each account's
    start, and its state before the range: stored scores, open alerts, last clearings, previous tier."""
    first, back = days[0], max(earlier_windows(rules))
    histories = load_histories(session, accounts, first - timedelta(days=lookback_days(rules) + back), days[-1])
    starts = account_starts(session, accounts)
    states = {account_id: ReplayState() for account_id in histories}
    scores = AccountScore.__table__.c
    for account_id, day, score in session.execute(
        select(scores.account_id, scores.day, scores.score).where(
            in_list(session, scores.account_id, accounts),
            scores.day >= first - timedelta(days=back),
            scores.day < first,
        )
    ):
        if account_id in states:
            states[account_id].scores[day] = score
    for account_id, tier in session.execute(latest_scores(session, accounts, first, scores.account_id, scores.tier)):
        if account_id in states:
            states[account_id].previous_tier = tier
    for account_id, alerts in open_alerts_on(session, accounts, first).items():
        if account_id in states:
            states[account_id].open_alerts = dict(alerts)
    cleared: dict[str, dict[str, date]] = defaultdict(dict)
    for account_id, trigger_id, last in session.execute(
        select(ALERTS.account_id, ALERTS.trigger_id, func.max(ALERTS.cleared_on))
        .where(
            in_list(session, ALERTS.account_id, accounts), ALERTS.cleared_on.is_not(None), ALERTS.cleared_on <= first
        )
        .group_by(ALERTS.account_id, ALERTS.trigger_id)
    ):
        cleared[account_id][trigger_id] = last
    for account_id, state in states.items():
        state.last_cleared = dict(cleared.get(account_id, {}))
    return histories, starts, states


def _store_spans(session: Session, spans: dict[str, list[AlertSpan]], last: date) -> None:
    """Insert the alerts the replay opened (one still open runs until the next stored alert of its
    trigger after the range) and close the ones open before it that it cleared."""
    opened = [(a, s) for a, account_spans in spans.items() for s in account_spans if s.opened_here]
    closed = [(a, s) for a, account_spans in spans.items() for s in account_spans if not s.opened_here]
    if closed:
        session.connection().execute(
            update(Alert.__table__)
            .where(
                ALERTS.account_id == bindparam("a"),
                ALERTS.trigger_id == bindparam("t"),
                ALERTS.fired_on == bindparam("f"),
            )
            .values(cleared_on=bindparam("c")),
            [{"a": a, "t": s.trigger_id, "f": s.fired_on, "c": s.cleared_on} for a, s in closed],
        )
    if not opened:
        return
    later = next_starts(session, sorted({a for a, s in opened if s.cleared_on is None}), last)
    session.execute(
        insert_ignore(session, Alert.__table__),
        [
            {
                "account_id": a,
                "trigger_id": s.trigger_id,
                "fired_on": s.fired_on,
                "fired_at": end_of(s.fired_on),
                "cleared_on": s.cleared_on if s.cleared_on is not None else later.get((a, s.trigger_id)),
                "evidence": dict(s.evidence),
                "explanation": s.explanation,
                "config_version": s.config_version,
            }
            for a, s in opened
        ],
    )
