"""A replay's `DaySeries` answers every question about a day's timeline as `read_daily` of that timeline does."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.assess import assess
from scoring.daily import read_daily
from scoring.day_series import DaySeries
from scoring.model import (
    UNKNOWN_POPULATION,
    AccountTimeline,
    DayActivity,
    PeerNorms,
    Population,
    PriorState,
    TicketFact,
)
from scoring.rules import EventRules, ScoringRules, SignalRules, TriggerRules

FIRST = date(2025, 1, 1)
EVENTS = ("Signed In", "Report Created", "Dashboard Viewed", "Signed Out")
SHORT = ScoringRules(
    signals=SignalRules(activity_window_days=5, baseline_window_days=10, engagement_window_days=7),
    triggers=TriggerRules(login_decline_window_days=4, seats_idle_days=3),
    events=EventRules(meaningful=["Report Created", "Dashboard Viewed"], signups=["Signed Up"]),
)
WINDOWS = [(length, offset) for length in (1, 4, 28, 56) for offset in (0, 1, 15)]
NORMS = {"all": PeerNorms(tuple(i / 20 for i in range(201)), 40, 0.1)}
PEERS = Population(NORMS, frozenset(EVENTS), NORMS, NORMS)
LOOKBACK = 90

days_st = st.dictionaries(
    st.integers(0, 80),
    st.tuples(
        st.dictionaries(st.sampled_from(EVENTS), st.integers(0, 4), max_size=4),
        st.dictionaries(st.sampled_from(["u1", "u2", "u3", "u4"]), st.integers(0, 2), max_size=4),
        st.integers(0, 2),
        st.integers(0, 1),
    ),
    max_size=60,
)


def _rollups(rows) -> dict[date, DayActivity]:  # type: ignore[no-untyped-def]
    found = {}
    for offset, (counts, users, pages, tickets) in rows.items():
        day = FIRST + timedelta(days=offset)
        found[day] = DayActivity(day, sum(counts.values()) + pages, pages, counts, users, tickets)
    return found


def _timeline(rollups, as_of, lookback, signed_up, seats, tickets) -> AccountTimeline:  # type: ignore[no-untyped-def]
    """What `connector.health.history` cuts for `as_of`: the days of `(as_of - lookback, as_of]`."""
    days = {d: a for d, a in rollups.items() if as_of - timedelta(days=lookback) < d <= as_of}
    firsts: dict[str, date] = {}
    for d in sorted(rollups):
        for event, n in rollups[d].event_counts.items():
            if n > 0 and d <= as_of:
                firsts.setdefault(event, d)
    return AccountTimeline(
        "acct",
        as_of,
        days,
        firsts,
        licensed_seats=seats,
        signed_up_on=signed_up,
        tickets=tuple(t for t in tickets if as_of - timedelta(days=lookback) < t.opened_on <= as_of),
    )


def _answers(daily, rules: ScoringRules) -> list[object]:  # type: ignore[no-untyped-def]
    found: list[object] = [daily.start, daily.last_active, daily.rows, daily.ages]
    for length, offset in WINDOWS:
        found += [
            daily.actions(length, offset),
            list(daily.window(length, offset)),
            daily.events_used(["Report Created", "Signed Out", "Nothing"], length, offset),
            daily.event_total(("Signed In", "Signed Out"), length, offset),
            daily.event_types(length, offset, rules),
            daily.active_users(length, offset),
            daily.active_user_count(length, offset),
            daily.event_type_count(length, offset, rules),
        ]
    return found


@settings(max_examples=40, deadline=None)
@given(
    days_st,
    st.one_of(st.none(), st.integers(-5, 85)),
    st.one_of(st.none(), st.integers(1, 5)),
    st.sampled_from([12, 30, 90]),
    st.lists(st.tuples(st.integers(0, 80), st.sampled_from(["billing", "login"])), max_size=4),
)
def test_every_answer_of_a_series_equals_read_daily_of_the_days_timeline(rows, signed_up, seats, lookback, opened):  # type: ignore[no-untyped-def]
    rollups = _rollups(rows)
    began = None if signed_up is None else FIRST + timedelta(days=signed_up)
    tickets = [TicketFact(f"t{n}", FIRST + timedelta(days=d), category) for n, (d, category) in enumerate(opened)]
    for rules in (ScoringRules(), SHORT):
        series = DaySeries(rollups.values(), rules)
        # Days in order as a replay walks them (the windows slide), then a few out of order.
        for n in [*range(-3, 95), 40, 7, 88, 2]:
            as_of = FIRST + timedelta(days=n)
            timeline = _timeline(rollups, as_of, lookback, began, seats, tickets)
            plain, fast = read_daily(timeline, rules), series.daily(timeline, lookback)
            assert _answers(fast, rules) == _answers(plain, rules), as_of


@settings(max_examples=25, deadline=None)
@given(days_st, st.one_of(st.none(), st.integers(-5, 85)), st.one_of(st.none(), st.integers(1, 5)))
def test_an_assessment_read_off_a_series_is_the_one_read_off_the_timeline(rows, signed_up, seats):  # type: ignore[no-untyped-def]
    rollups = _rollups(rows)
    began = None if signed_up is None else FIRST + timedelta(days=signed_up)
    tickets = [
        TicketFact("t1", FIRST + timedelta(days=30), "login"),
        TicketFact("t2", FIRST + timedelta(days=33), "login"),
    ]
    for rules in (ScoringRules(), SHORT):
        series = DaySeries(rollups.values(), rules)
        for n in range(0, 95, 3):
            as_of = FIRST + timedelta(days=n)
            timeline = _timeline(rollups, as_of, LOOKBACK, began, seats, tickets)
            decided = datetime.combine(as_of, time.max, tzinfo=UTC)
            prior = PriorState({7: 80})
            for population in (UNKNOWN_POPULATION, PEERS):
                plain = assess(timeline, rules, prior, decided, population, interventions=False)
                fast = assess(
                    timeline,
                    rules,
                    prior,
                    decided,
                    population,
                    daily=series.daily(timeline, LOOKBACK),
                    interventions=False,
                )
                assert fast == plain, as_of


def test_a_series_without_any_stored_day_answers_as_an_empty_timeline():
    series = DaySeries([], ScoringRules())
    timeline = AccountTimeline("acct", FIRST, {}, signed_up_on=FIRST - timedelta(days=3))
    assert _answers(series.daily(timeline, LOOKBACK), ScoringRules()) == _answers(
        read_daily(timeline, ScoringRules()), ScoringRules()
    )
