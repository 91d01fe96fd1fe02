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
from scoring.daily import meaningful_counter, meaningful_types
from scoring.model import AccountTimeline
from scoring.peers import PeerSample, is_peer, peer_group
from scoring.rules import ScoringRules


def peer_series(
    history: AccountHistory,
    days: Sequence[date],
    rules: ScoringRules,
    start: date | None,
    seen: Sequence[date],
) -> Iterator[tuple[date, PeerSample]]:
    """(day, sample) for each of `days` on which the account (which began on `start` and had events or
    page views on the days `seen`, ascending) is a peer. `history` needs the activity and engagement
    windows' days before each of `days`."""
    count = meaningful_counter(rules)
    keys = sorted(history.days)
    rollups = [history.days[key] for key in keys]
    prefix = [0]
    for rollup in rollups:
        prefix.append(prefix[-1] + count(rollup))
    users = [frozenset(user for user, n in r.user_counts.items() if n > 0) for r in rollups]
    types = [meaningful_types(r, rules) for r in rollups]
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
    window, wide = rules.signals.activity_window_days, rules.signals.engagement_window_days
    if start is None:
        return
    for day in days:
        through = day - timedelta(days=1)
        covered = (through - max(day - timedelta(days=window), start)).days + 1
        if covered <= 0:
            continue
        position = bisect_right(seen, through)
        if not is_peer(start, seen[position - 1] if position else None, day, rules):
            continue
        high = bisect_right(keys, through)
        low = bisect_left(keys, day - timedelta(days=window))
        wide_low = bisect_left(keys, day - timedelta(days=wide))
        wide_users = len(frozenset().union(*users[wide_low:high])) if high > wide_low else 0
        rate = (prefix[high] - prefix[low]) / min(window, covered)
        wide_days = min(wide, (through - max(day - timedelta(days=wide), start)).days + 1)
        actions = prefix[high] - prefix[wide_low]
        depth = actions / (wide_days * wide_users) if wide_users else (0.0 if actions == 0 else None)
        breadth = len(frozenset().union(*types[wide_low:high])) if high > wide_low else 0
        yield day, PeerSample(group, rate, depth, breadth)
