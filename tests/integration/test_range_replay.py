"""A backfill's replay decides exactly what scoring the same days one by one decides, read once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select

from connector.health import alert_history, range_replay
from connector.health.account_start import account_starts
from connector.health.backfill import score_range
from connector.health.history import load_histories, lookback_days
from connector.health.scores import score_accounts
from connector.measure.backtest import replay, replay_populations
from connector.store.models import AccountScore, Alert, PeerNorms
from scoring.rules import ScoringRules, SignalRules
from tests.integration.segment_calls import TODAY, drain, history_batch, send

RULES = ScoringRules(signals=SignalRules(min_peer_accounts=5))


def _book(client, auth_headers, runtime) -> list[str]:  # type: ignore[no-untyped-def]
    """Steady, fading, gone quiet and late-starting accounts, so triggers fire and clear in the range."""
    shapes = {
        "acct_steady": range(0, 90),
        "acct_fading": range(30, 90, 2),
        "acct_quiet": range(45, 90),
        "acct_back": [*range(0, 10), *range(40, 90)],
        "acct_recent": range(0, 25),
        "acct_sparse": range(0, 90, 9),
    }
    for n, (account, days) in enumerate(shapes.items()):
        send(client, auth_headers, history_batch(account, seats=3 + n, active_days=days, users=1 + n % 3))
    drain(runtime)
    return sorted(shapes)


def _stored(runtime):  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        scores = session.execute(
            select(
                AccountScore.account_id,
                AccountScore.day,
                AccountScore.score,
                AccountScore.tier,
                AccountScore.trend_delta,
                AccountScore.signals,
                AccountScore.reason,
            ).order_by(AccountScore.account_id, AccountScore.day)
        ).all()
        alerts = session.execute(
            select(Alert.account_id, Alert.trigger_id, Alert.fired_on, Alert.cleared_on, Alert.evidence).order_by(
                Alert.account_id, Alert.trigger_id, Alert.fired_on
            )
        ).all()
    return [tuple(row) for row in scores], [tuple(row) for row in alerts]


def _forget(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.sessions.begin() as session:
        for table in (AccountScore, Alert, PeerNorms):
            session.execute(delete(table))


@pytest.mark.parametrize("processes", [1, 2])
def test_the_replay_stores_what_day_by_day_scoring_stores(client, auth_headers, runtime, processes, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(range_replay, "CHUNK", 2)  # several chunks, so two processes share them
    monkeypatch.setattr(range_replay, "WRITE_ROWS", 25)  # and each chunk written in several transactions
    accounts = _book(client, auth_headers, runtime)
    today = TODAY.date()
    days = [today - timedelta(days=n) for n in range(60, 0, -1)]
    _forget(runtime)
    with runtime.sessions.begin() as session:
        alert_history.rewind(session, accounts, days[0], days[-1])
    for day in days:  # the day-by-day way, as backfills were done before the replay
        with runtime.sessions.begin() as session:
            score_accounts(
                session, accounts, day, RULES, datetime.combine(day, time.max, tzinfo=UTC), record_interventions=False
            )
    with runtime.sessions.begin() as session:
        alert_history.join(session, accounts)
    one_by_one = _stored(runtime)
    _forget(runtime)
    done = score_range(runtime.sessions, runtime.readers, RULES, accounts, days, datetime.now(UTC), processes=processes)
    replayed = _stored(runtime)
    assert replayed[0] == one_by_one[0], "the same score rows"
    assert replayed[1] == one_by_one[1], "the same alerts"
    assert one_by_one[1], "triggers fired in the range (the comparison means something)"
    assert done.scored_days == len(one_by_one[0])


@pytest.mark.parametrize("stored_populations", [True, False])
def test_the_backtests_replay_scores_every_day_as_it_was_stored(client, auth_headers, runtime, stored_populations):  # type: ignore[no-untyped-def]
    accounts = _book(client, auth_headers, runtime)
    today = TODAY.date()
    days = [today - timedelta(days=n) for n in range(40, 0, -1)]
    score_range(runtime.sessions, runtime.readers, RULES, accounts, days, datetime.now(UTC), processes=1)
    stored = {(account, day): score for account, day, score, *_ in _stored(runtime)[0] if day in days}
    if not stored_populations:  # computed from the histories instead, as for a config never replayed
        with runtime.sessions.begin() as session:
            session.execute(delete(PeerNorms))
    with runtime.readers() as session:
        histories = load_histories(session, accounts, days[0] - timedelta(days=lookback_days(RULES)), days[-1])
        starts = account_starts(session, accounts)
        populations = replay_populations(session, histories, days, RULES, starts)
    replayed = {
        (account, day): score
        for account, history in histories.items()
        for day, score in replay(history, days, RULES, starts.get(account), populations).scores.items()
    }
    assert replayed == stored, "backtest, config diff and calibrate judge the score the product stored"
