"""Sliding an account's peer sample along its days gives what each day's own timeline gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.health.history import AccountHistory
from connector.health.peer_series import peer_series
from scoring.model import DayActivity
from scoring.peers import peer_sample
from scoring.rules import EventRules, ScoringRules, SignalRules

FIRST = date(2025, 1, 1)
RULES = ScoringRules(signals=SignalRules(activity_window_days=5, baseline_window_days=10))
NAMED = ScoringRules(
    events=EventRules(meaningful=["Report Created"], signups=["Signed Up"]), signals=SignalRules(activity_peers="size")
)

days_st = st.dictionaries(
    st.integers(0, 60),
    st.tuples(
        st.dictionaries(st.sampled_from(["Report Created", "Signed Out", "Signed Up"]), st.integers(0, 4), max_size=3),
        st.dictionaries(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 3), max_size=3),
        st.integers(0, 3),
    ),
    max_size=40,
)


def _history(rows, signed_up: int | None, seats: int | None) -> AccountHistory:  # type: ignore[no-untyped-def]
    history = AccountHistory(
        "acct",
        None,
        seats,
        None if signed_up is None else datetime.combine(FIRST + timedelta(days=signed_up), datetime.min.time(), UTC),
        known_users=2,
    )
    for offset, (counts, users, pages) in rows.items():
        day = FIRST + timedelta(days=offset)
        history.days[day] = DayActivity(day, sum(counts.values()) + pages, pages, counts, users)
        for event, n in counts.items():
            if n > 0 and (event not in history.first_seen or day < history.first_seen[event]):
                history.first_seen[event] = day
    return history


def _seen(history: AccountHistory) -> list[date]:
    return sorted(d for d, a in history.days.items() if a.events or a.page_views)


def _reference(history: AccountHistory, days: list[date], rules: ScoringRules, start: date | None):  # type: ignore[no-untyped-def]
    found = []
    for day in days:
        before = [d for d in _seen(history) if d < day]
        sample = peer_sample(history.before(day, rules), start, before[-1] if before else None, rules)
        if sample is not None:
            found.append((day, sample))
    return found


@settings(max_examples=150, deadline=None)
@given(
    days_st,
    st.one_of(st.none(), st.integers(0, 70)),
    st.one_of(st.none(), st.integers(1, 30)),
    st.one_of(st.none(), st.integers(-20, 70)),
)
def test_the_sliding_series_equals_each_days_own_peer_sample(rows, signed_up, seats, start):  # type: ignore[no-untyped-def]
    history = _history(rows, signed_up, seats)
    began = None if start is None else FIRST + timedelta(days=start)
    days = [FIRST + timedelta(days=n) for n in range(0, 75, 3)]
    for rules in (RULES, NAMED):
        found = list(peer_series(history, days, rules, began, _seen(history)))
        assert found == _reference(history, days, rules, began)


def test_a_steady_account_is_a_peer_on_every_day_after_its_first():
    rows = {n: ({"Report Created": 2}, {"u1": 1}, 0) for n in range(60)}
    days = [FIRST + timedelta(days=n) for n in range(1, 60)]
    history = _history(rows, 0, 3)
    series = list(peer_series(history, days, NAMED, FIRST, _seen(history)))
    assert [day for day, _ in series] == days
    last = series[-1][1]
    assert (last.group, last.activity, last.depth, last.breadth) == ("size:2-5", 2.0, 2.0, 1)  # 3 seats, 1 used
