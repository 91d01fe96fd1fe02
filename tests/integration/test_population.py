"""The day's population: peers' activity norms and the event catalogue, computed once and stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from connector.health.population import compute_population, population_for, rules_key
from connector.health.scores import score_accounts
from connector.store.models import AccountScore, PeerNorms
from scoring.rules import ScoringRules, SignalRules
from tests.integration.segment_calls import TODAY, drain, history_batch, send

RULES = ScoringRules(signals=SignalRules(min_peer_accounts=10))


def _book(client, auth_headers, runtime, accounts: int = 12) -> list[str]:  # type: ignore[no-untyped-def]
    """Accounts of 5 seats, the n-th active every (1 + n % 4)-th day of the last 40 with 1 + n % 3 users."""
    ids = [f"acct_{n:02d}" for n in range(accounts)]
    for n, account in enumerate(ids):
        days = range(1, 40, 1 + n % 4)
        send(client, auth_headers, history_batch(account, seats=5, active_days=days, users=1 + n % 3))
    drain(runtime)
    return ids


def test_the_population_ranks_every_current_account_and_lists_the_events_fired(client, auth_headers, runtime):  # type: ignore[no-untyped-def]
    _book(client, auth_headers, runtime)
    with runtime.sessions() as session:
        population = compute_population(session, TODAY.date(), RULES)
    assert population.activity_norms["all"].accounts == 12
    assert population.seen_events == frozenset({"Signed In", "Report Created", "Dashboard Viewed"})


def test_the_population_is_computed_once_per_day_and_rules_then_read_back(client, auth_headers, runtime):  # type: ignore[no-untyped-def]
    ids = _book(client, auth_headers, runtime)
    today = TODAY.date()
    with runtime.sessions.begin() as session:
        first = population_for(session, today, RULES)
    with runtime.sessions.begin() as session:
        again = population_for(session, today, RULES)
        score_accounts(session, ids, today, RULES, TODAY)
    with runtime.sessions() as session:
        rows = session.scalars(select(PeerNorms)).all()
        assert [(row.day, row.rules_key) for row in rows if row.rules_key == rules_key(RULES)] == [
            (today, rules_key(RULES))
        ]
        assert session.scalar(select(func.count()).select_from(AccountScore).where(AccountScore.day == today)) == 12
    assert first == again


def test_scored_activity_ranks_accounts_among_their_peers(client, auth_headers, runtime):  # type: ignore[no-untyped-def]
    ids = _book(client, auth_headers, runtime)
    today = TODAY.date()
    with runtime.sessions.begin() as session:
        scored = score_accounts(session, ids, today, RULES, TODAY)
    activity = {a: s.assessment.score.signals["activity"] for a, s in scored.items()}
    assert all(signal.inputs.get("peer_group") in {"all", "size:2-5"} for signal in activity.values()), [
        s.explanation for s in activity.values()
    ]
    ranks = sorted({signal.inputs["rank"] for signal in activity.values()})
    assert len(ranks) > 1, "accounts that do different amounts are told apart"
    daily = {a: s.inputs["rate"] for a, s in activity.items()}
    busiest, quietest = max(daily, key=daily.get), min(daily, key=daily.get)  # type: ignore[arg-type]
    assert activity[busiest].value > activity[quietest].value


def test_an_account_of_yesterday_is_judged_against_the_days_before_it(client, auth_headers, runtime):  # type: ignore[no-untyped-def]
    _book(client, auth_headers, runtime)
    with runtime.sessions() as session:
        week_ago = compute_population(session, TODAY.date() - timedelta(days=45), RULES)
    assert week_ago.activity_norms == {} and week_ago.seen_events == frozenset()
