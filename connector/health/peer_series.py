"""One account's peer sample on many days at once, sliding its windows along the days in order.

The same sample as `scoring.peers.peer_sample` on `history.before(day)` for each day (a test holds
them equal), without building a timeline per day: the account's days are read once into a
`scoring.day_series.DaySeries` (window sums from prefix sums, a window's users and event types slid
from day to day), the last day seen comes from an index. What makes a range's populations cheap to
build.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from connector.health.history import AccountHistory
from scoring.day_series import DaySeries
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
    if start is None:
        return
    series = DaySeries(history.days.values(), rules)
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
    for day in days:
        through = day - timedelta(days=1)
        covered = (through - max(day - timedelta(days=window), start)).days + 1
        if covered <= 0:
            continue
        position = bisect_right(seen, through)
        if not is_peer(start, seen[position - 1] if position else None, day, rules):
            continue
        at = series.index(day)
        wide_users = series.window_count("users", wide, at - 1)
        rate = series.actions(at - window, at - 1) / min(window, covered)
        wide_days = min(wide, (through - max(day - timedelta(days=wide), start)).days + 1)
        actions = series.actions(at - wide, at - 1)
        depth = actions / (wide_days * wide_users) if wide_users else (0.0 if actions == 0 else None)
        breadth = series.window_count("types", wide, at - 1)
        yield day, PeerSample(group, rate, depth, breadth)
