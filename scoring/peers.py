"""Peers (pure): Activity's and Engagement's yardsticks across accounts.

An account's activity level is its meaningful actions per day over the activity window
(`activity_rate`): how much it does. Ranking that rate among comparable accounts (`peer_group`:
everyone by default, or the same size band, or the same plan) keeps Activity informative when every
account clears a fixed floor, and it needs no guess of what "enough" use is for a product healthloop
has never seen. Engagement's depth (actions per active user per day) and breadth (different
meaningful actions used) are ranked the same way over its own window, so they cannot saturate
either; how many of its seats an account uses is Engagement's too. The connector summarises each
peer group's measures of the days before into `PeerNorms` (quantiles, `build_norms`) and hands them
to scoring in a `Population`; `rank` places one account among them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from scoring.daily import Daily, DayMemo, covered_days, read_daily
from scoring.model import AccountTimeline, PeerNorms, Population
from scoring.rules import ScoringRules

SIZE_BANDS = ((1, "1"), (5, "2-5"), (20, "6-20"), (100, "21-100"))
"""Upper bound (seats) -> band label; larger accounts are "101+"."""
QUANTILE_POINTS = 201
"""Quantiles kept per group: a rank has half-a-percent resolution whatever the group's size."""
ALL = "all"


@dataclass(frozen=True, slots=True)
class ActivityRate:
    """One account's activity level over the activity window."""

    rate: float
    """Meaningful actions per day (0 without any)."""
    actions: int
    window_days: int


def activity_rate(
    timeline: AccountTimeline, rules: ScoringRules, daily: Daily, start: date | None = None
) -> ActivityRate | None:
    """Meaningful actions per day over the activity window of complete days before `as_of` (days 1..W
    before it): the same measure for the account scored live, mid-day, and for the peers it is ranked
    against. None when the account has no such day since its start.

    How much the account does, whatever its size: a team that uses the product more ranks higher
    (larger, busier accounts renew more often). How intensely its active users use it is Engagement's
    depth, how many of its seats are used Engagement's utilization; dividing by seats here would
    count that intensity twice and the account's volume never. `start`: the account's start when
    known from elsewhere (the peers' side reads it from SQL), else the one the timeline shows.
    """
    length = rules.signals.activity_window_days
    days = covered_days(timeline, length, 1, daily.start if start is None else start)
    if days <= 0:
        return None
    actions = daily.actions(length, offset=1)
    return ActivityRate(actions / days, actions, days)


@dataclass(frozen=True, slots=True)
class EngagementMeasures:
    """One account's use over Engagement's window of complete days before `as_of` (days 1..E)."""

    depth: float | None
    """Meaningful actions per active user per day (0 without any; None: activity without user ids)."""
    breadth: int
    """Different meaningful actions used."""
    window_days: int


def engagement_measures(
    timeline: AccountTimeline, rules: ScoringRules, daily: Daily, start: date | None = None
) -> EngagementMeasures | None:
    """Depth and breadth of use over the engagement window of complete days before `as_of`, measured
    as the peers are; None when the account has no such day since its start."""
    length = rules.signals.engagement_window_days
    days = covered_days(timeline, length, 1, daily.start if start is None else start)
    if days <= 0:
        return None
    actions = daily.actions(length, offset=1)
    users = daily.active_user_count(length, offset=1)
    depth = actions / (days * users) if users else (0.0 if actions == 0 else None)
    return EngagementMeasures(depth, daily.event_type_count(length, 1, rules), days)


@dataclass(frozen=True, slots=True)
class PeerSample:
    """What one account adds to its peer group's norms on one day."""

    group: str
    activity: float
    depth: float | None
    breadth: int


def peer_group(timeline: AccountTimeline, rules: ScoringRules) -> str:
    """The group an account is ranked in: `size:<band>`, `plan:<plan>`, or `all`."""
    mode = rules.signals.activity_peers
    if mode == "all":
        return ALL
    if mode == "plan":
        plan = (timeline.plan or "").strip().lower()
        return f"plan:{plan or 'unknown'}"
    seats = timeline.licensed_seats if timeline.licensed_seats and timeline.licensed_seats > 0 else None
    size = seats or (timeline.known_users if timeline.known_users > 0 else None)
    if size is None:
        return "size:unknown"
    label = next((label for upper, label in SIZE_BANDS if size <= upper), "101+")
    return f"size:{label}"


def group_label(key: str) -> str:
    """A group key as a person reads it: "accounts with 2-5 seats", "pro-plan accounts", "all accounts"."""
    kind, _, value = key.partition(":")
    if kind == "size":
        return "accounts of unknown size" if value == "unknown" else f"accounts with {value} seat{'s' * (value != '1')}"
    if kind == "plan":
        return f"{value}-plan accounts"
    return "all accounts"


def peer_horizon(rules: ScoringRules) -> int:
    """Days of silence after which an account no longer counts as a peer: the activity and baseline windows."""
    return rules.signals.activity_window_days + rules.signals.baseline_window_days


def is_peer(start: date | None, last_seen: date | None, as_of: date, rules: ScoringRules) -> bool:
    """In the peer set on `as_of`: started before it, and either younger than `peer_horizon` or seen (any
    event or page view) within it. Customers who left long ago would only pile up at zero."""
    if start is None or start >= as_of:
        return False
    horizon = peer_horizon(rules)
    if (as_of - start).days < horizon:
        return True
    return last_seen is not None and (as_of - last_seen).days < horizon


def peer_sample(
    timeline: AccountTimeline,
    start: date | None,
    last_seen: date | None,
    rules: ScoringRules,
    memo: DayMemo | None = None,
) -> PeerSample | None:
    """What one account adds to its peers' norms on `timeline.as_of`, or None when it is no peer then.

    `start`: the account's start (`connector.health.account_start.account_starts`); `last_seen`: the
    latest day before `as_of` with any event or page view. Only the days before `as_of` count."""
    daily = read_daily(timeline, rules, memo)
    measured = activity_rate(timeline, rules, daily, start)
    if measured is None or not is_peer(start, last_seen, timeline.as_of, rules):
        return None
    engaged = engagement_measures(timeline, rules, daily, start)
    depth, breadth = (engaged.depth, engaged.breadth) if engaged is not None else (None, 0)
    return PeerSample(peer_group(timeline, rules), measured.rate, depth, breadth)


def population_of(samples: Iterable[PeerSample], seen_events: frozenset[str] | None, rules: ScoringRules) -> Population:
    """The norms of every measure from the day's peer samples."""
    samples = list(samples)
    return population_of_columns(
        [s.group for s in samples],
        [s.activity for s in samples],
        [s.depth for s in samples],
        [s.breadth for s in samples],
        seen_events,
        rules,
    )


def population_of_columns(
    groups: Sequence[str],
    activity: Sequence[float],
    depth: Sequence[float | None],
    breadth: Sequence[int],
    seen_events: frozenset[str] | None,
    rules: ScoringRules,
) -> Population:
    """`population_of` the samples given field by field (`groups[i]`, `activity[i]`, ... of sample i)."""
    least = rules.signals.min_peer_accounts
    return Population(
        build_norms(zip(groups, activity, strict=True), least),
        seen_events,
        build_norms(((g, d) for g, d in zip(groups, depth, strict=True) if d is not None), least),
        build_norms(zip(groups, map(float, breadth), strict=True), least),
    )


def _quantiles(values: list[float], points: int = QUANTILE_POINTS) -> tuple[float, ...]:
    ordered = sorted(values)
    last = len(ordered) - 1
    result = []
    for i in range(points):
        position = last * i / (points - 1)
        low = int(position)
        high = min(low + 1, last)
        result.append(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
    return tuple(result)


def build_norms(rates: Iterable[tuple[str, float]], min_accounts: int) -> dict[str, PeerNorms]:
    """(peer group, rate) of every current account -> norms of each group with at least `min_accounts`,
    plus `all` when everyone together reaches it."""
    groups: dict[str, list[float]] = defaultdict(list)
    for key, rate in rates:
        groups[key].append(rate)
    everyone = [rate for values in groups.values() for rate in values]
    norms: dict[str, PeerNorms] = {}
    for key, values in [(ALL, everyone), *groups.items()]:
        if len(values) >= min_accounts:
            zeros = sum(1 for rate in values if rate <= 0)
            norms[key] = PeerNorms(_quantiles(values), len(values), round(zeros / len(values), 4))
    return norms


def norms_for(groups: Mapping[str, PeerNorms], key: str) -> tuple[str, PeerNorms] | None:
    """The account's own group's norms of one measure, else everyone's, else None (too few to rank)."""
    for candidate in (key, ALL):
        norms = groups.get(candidate)
        if norms is not None:
            return candidate, norms
    return None


def rank(norms: PeerNorms, rate: float) -> float:
    """Share of the group below `rate` (ties count half), 0-1, from the group's quantiles.

    No activity ranks 0 whatever the group; otherwise non-decreasing in `rate`.
    """
    if rate <= 0:
        return 0.0
    q = norms.quantiles
    steps = len(q) - 1
    low, high = bisect_left(q, rate), bisect_right(q, rate)
    if low < high:
        return ((low + high - 1) / 2) / steps
    if low == 0:
        return 0.0
    if low > steps:
        return 1.0
    return (low - 1 + (rate - q[low - 1]) / (q[low] - q[low - 1])) / steps
