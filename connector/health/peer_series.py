"""One account's peer sample on many days at once, sliding its windows along the days in order.

The same (peer group, activity rate) as `scoring.peers.peer_sample` on `history.before(day)` for each
day (a test holds them equal), without building a timeline per day: counts and active users are
read once per stored day, window sums come from prefix sums, the last day seen from an index. What
makes a range's populations cheap to build.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from connector.health.history import AccountHistory
from scoring.daily import meaningful_counter
from scoring.model import AccountTimeline
from scoring.peers import is_peer, peer_group
from scoring.rules import ScoringRules


def peer_series(
    history: AccountHistory,
    days: Sequence[date],
    rules: ScoringRules,
    start: date | None,
    seen: Sequence[date],
) -> Iterator[tuple[date, str, float]]:
    """(day, peer group, activity rate) for each of `days` on which the account (which began on `start`
    and had events or page views on the days `seen`, ascending) is a peer. `history` needs the
    activity window's days before each of `days`."""
    count = meaningful_counter(rules)
    keys = sorted(history.days)
    rollups = [history.days[key] for key in keys]
    prefix = [0]
    for rollup in rollups:
        prefix.append(prefix[-1] + count(rollup))
    users = [frozenset(user for user, n in r.user_counts.items() if n > 0) for r in rollups]
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
    window = rules.signals.activity_window_days
    if start is None:
        return
    for day in days:
        through = day - timedelta(days=1)
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
