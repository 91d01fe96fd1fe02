"""One account's peer sample on many days at once, sliding its windows along the days in order.

The same (peer group, activity rate) as `scoring.peers.peer_sample` on `history.before(day)` for each
day (a test holds them equal), without building a timeline per day: counts and active users are
read once per stored day, window sums come from prefix sums, the start and the last day seen from
indexes. What makes a range's populations cheap to build.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import UTC, date, timedelta

from connector.health.history import AccountHistory, lookback_days
from scoring.daily import meaningful_counter
from scoring.model import AccountTimeline
from scoring.peers import is_peer, peer_group
from scoring.rules import ScoringRules


def peer_series(
    history: AccountHistory, days: Sequence[date], rules: ScoringRules
) -> Iterator[tuple[date, str, float]]:
    """(day, peer group, activity rate) for each of `days` on which the account is a peer."""
    count = meaningful_counter(rules)
    keys = sorted(history.days)
    rollups = [history.days[key] for key in keys]
    prefix = [0]
    for rollup in rollups:
        prefix.append(prefix[-1] + count(rollup))
    users = [frozenset(user for user, n in r.user_counts.items() if n > 0) for r in rollups]
    stored = [
        key for key, r in zip(keys, rollups, strict=True) if r.events or r.page_views or r.event_counts or r.user_counts
    ]
    seen = [key for key, r in zip(keys, rollups, strict=True) if r.events or r.page_views]
    firsts = sorted(history.first_seen.values())
    signups = sorted(history.first_seen[e] for e in rules.events.signups if e in history.first_seen)
    signed_up = history.signed_up_at.astimezone(UTC).date() if history.signed_up_at is not None else None
    group = peer_group(
        AccountTimeline(
            history.account_id,
            date.min,
            {},
            licensed_seats=history.licensed_seats,
            known_users=history.known_users,
            plan=history.plan,
        ),
        rules,
    )
    window, lookback = rules.signals.activity_window_days, lookback_days(rules)
    for day in days:
        through = day - timedelta(days=1)
        start = _start(day, through, lookback, firsts, signups, signed_up, stored)
        if start is None:
            continue
        covered = (through - max(day - timedelta(days=window), start)).days + 1
        if covered <= 0:
            continue
        low, high = bisect_left(keys, day - timedelta(days=window)), bisect_right(keys, through)
        active = len(frozenset().union(*users[low:high])) if high > low else 0
        rate = (prefix[high] - prefix[low]) / (min(window, covered) * max(1, active))
        position = bisect_right(seen, through)
        last_seen = seen[position - 1] if position else None
        if is_peer(start, last_seen, day, rules):
            yield day, group, rate


def _start(
    day: date,
    through: date,
    lookback: int,
    firsts: list[date],
    signups: list[date],
    signed_up: date | None,
    stored: list[date],
) -> date | None:
    """`scoring.daily.account_start` of `history.before(day)`: the earliest of its signup, its events
    first seen by `through`, and its days with anything stored in the lookback window."""
    candidates = []
    if firsts and firsts[0] <= through:
        candidates.append(firsts[0])
    if signed_up is not None:
        candidates.append(signed_up)
    elif signups and signups[0] <= through:
        candidates.append(signups[0])
    position = bisect_right(stored, day - timedelta(days=lookback))
    if position < len(stored) and stored[position] <= through:
        candidates.append(stored[position])
    return min(candidates, default=None)
