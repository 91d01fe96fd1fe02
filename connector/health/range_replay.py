"""Store a replay of past days: what `score --from --to` does for every day before today.

1. The day's population of each replayed day: the stored one, else built from every account's
   history (loaded in chunks) and stored, so live scoring of those days would read the same.
2. Accounts in chunks: each chunk's histories are loaded once for the whole range, each account's
   days are replayed in order (`connector/health/replay.py`) from its stored state before the range,
   and its score rows and alerts are written together (a transaction every few thousand rows).
The caller has handed the range's alerts back first (`alert_history.rewind`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.health.account_start import account_starts
from connector.health.alert_history import ALERTS, next_starts, open_alerts_on
from connector.health.churn_model import current_model
from connector.health.history import load_histories, lookback_days
from connector.health.population import PopulationBuilder, seen_days, store_population, stored_populations
from connector.health.replay import AlertSpan, ReplayState, alert_spans, earlier_windows, end_of, replay_account
from connector.health.scores import latest_scores
from connector.health.stored_scores import score_row
from connector.store.bulk import upsert_many
from connector.store.db import make_engine, make_sessionmaker, reader
from connector.store.models import Account, AccountScore, Alert
from connector.store.sql import chunks, in_list, insert_ignore
from scoring.model import Assessment, Population
from scoring.peers import peer_horizon
from scoring.rules import ScoringRules

CHUNK = 500
"""Accounts replayed together: their histories for the whole range are in memory at once."""
WRITE_ROWS = 10_000
"""Score rows a replay writes per transaction."""
PARALLEL_FROM = 50_000
"""Account-days from which a replay is worth the processes it forks."""
MAX_PROCESSES = 4
T = TypeVar("T")


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
    processes: int | None = None,
) -> ReplayedRange:
    """Replay `days` (all before today, ascending) for `accounts` and store score history and alerts.

    Chunks of accounts are independent once the days' populations are known, so a large range runs
    them in `processes` processes (default: one per CPU, at most 4); each writes its own chunks.
    """
    url = _url(sessions)
    workers = _workers(processes, len(accounts) * len(days))
    populations = range_populations(sessions, readers, rules, days, now, url, workers)
    done = ReplayedRange()
    jobs = [(url, list(chunk), list(days), rules, populations) for chunk in chunks(sorted(accounts), CHUNK)]
    for result in _run(_replay_chunk_job, jobs, workers):
        done.last |= result.last
        done.scored_days += result.scored_days
        done.before_start += result.before_start
        if progress is not None:
            progress(result.scored_days + result.before_start)
    return done


def _url(sessions: sessionmaker[Session]) -> str:
    engine = sessions.kw["bind"]
    return str(engine.url.render_as_string(hide_password=False))


def _workers(processes: int | None, account_days: int) -> int:
    if processes is not None:
        return max(1, processes)
    if account_days < PARALLEL_FROM:
        return 1
    return max(1, min(MAX_PROCESSES, os.cpu_count() or 1))


def _run(job: Callable[[Any], T], inputs: list[Any], workers: int) -> Iterator[T]:
    """`job` over `inputs`, here or in `workers` forked processes (results as they finish)."""
    if workers <= 1 or len(inputs) <= 1:
        yield from map(job, inputs)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from (future.result() for future in as_completed([pool.submit(job, item) for item in inputs]))


@contextmanager
def _database(url: str) -> Iterator[tuple[sessionmaker[Session], sessionmaker[Session]]]:
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine), make_sessionmaker(reader(engine))
    finally:
        engine.dispose()


def _replay_chunk_job(job: tuple[str, list[str], list[date], ScoringRules, dict[date, Population]]) -> ReplayedRange:
    url, chunk, days, rules, populations = job
    with _database(url) as (sessions, readers):
        return replay_chunk(sessions, readers, chunk, days, rules, populations)


def replay_chunk(
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session],
    chunk: Sequence[str],
    days: Sequence[date],
    rules: ScoringRules,
    populations: dict[date, Population],
) -> ReplayedRange:
    """Replay one chunk of accounts over `days` and store it, each account's score rows and alerts in
    the same transaction (one for every WRITE_ROWS rows or so: a short hold of SQLite's write lock,
    so parallel chunks rarely wait for each other)."""
    done = ReplayedRange()
    with readers() as session:
        histories, starts, states = _chunk_inputs(session, chunk, days, rules)
        model = current_model(session)
    rows: list[tuple[Any, ...]] = []
    columns: list[str] = []
    spans: dict[str, list[AlertSpan]] = {}
    with _collector_paused():
        for account_id, history in histories.items():
            state, start = states[account_id], starts.get(account_id)
            opened_before = dict(state.open_alerts)
            replayed = list(replay_account(history, days, rules, populations, start, state, model))
            for assessment in replayed:
                row = score_row(assessment, end_of(assessment.as_of))
                columns = list(row)
                rows.append(tuple(row.values()))
            spans[account_id] = alert_spans(replayed, opened_before)
            if replayed:
                done.last[account_id] = replayed[-1]
            done.scored_days += len(replayed)
            if len(rows) >= WRITE_ROWS:
                _write(sessions, columns, rows, spans, days[-1])
                rows, spans = [], {}
        _write(sessions, columns, rows, spans, days[-1])
    done.before_start = len(chunk) * len(days) - done.scored_days
    return done


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a chunk is replayed: the replay allocates millions
    of small objects, none in a cycle, most kept until written; the collector's passes over them
    cost about a fifth of the replay and free nothing. It runs again (and finds any cycle) after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write(
    sessions: sessionmaker[Session],
    columns: list[str],
    rows: list[tuple[Any, ...]],
    spans: dict[str, list[AlertSpan]],
    last: date,
) -> None:
    with sessions.begin() as session:
        if rows:
            upsert_many(session, AccountScore.__table__, columns, rows, ["account_id", "day"])
        _store_spans(session, spans, last)


def range_populations(
    sessions: sessionmaker[Session],
    readers: sessionmaker[Session],
    rules: ScoringRules,
    days: Sequence[date],
    now: datetime,
    url: str | None = None,
    workers: int = 1,
) -> dict[date, Population]:
    """Each day's population: stored, or built from every account's history and stored."""
    with readers() as session:
        populations = stored_populations(session, days, rules)
        everyone = sorted(session.scalars(select(Account.account_id)))
    missing = [day for day in days if day not in populations]
    if not missing:
        return populations
    builder = PopulationBuilder(missing, rules)
    jobs = [(url or _url(sessions), list(chunk), missing, rules) for chunk in chunks(everyone, CHUNK)]
    with _collector_paused():
        for part in _run(_population_chunk_job, jobs, workers):
            builder.merge(part)
        built = builder.populations()
    with sessions.begin() as session:
        for day, population in built.items():
            store_population(session, day, rules, population, now)
    return populations | built


def _population_chunk_job(job: tuple[str, list[str], list[date], ScoringRules]) -> PopulationBuilder:
    url, chunk, days, rules = job
    builder = PopulationBuilder(days, rules)
    first = days[0] - timedelta(days=max(rules.signals.activity_window_days, rules.signals.engagement_window_days) + 1)
    with _database(url) as (_, readers), readers() as session, _collector_paused():
        starts = account_starts(session, chunk)
        seen = seen_days(session, chunk, days[0] - timedelta(days=peer_horizon(rules) + 1), days[-1])
        for history in load_histories(session, chunk, first, days[-1] - timedelta(days=1)).values():
            builder.add(history, starts.get(history.account_id), seen.get(history.account_id, ()))
    return builder


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
