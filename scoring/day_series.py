"""One account's stored days read once for the many days a replay assesses: what `read_daily` answers
for each day's timeline, without reading the timeline's days again.

Each stored day is read once (meaningful actions, active users, meaningful event types); window sums
come from prefix sums over the calendar, the latest active day from a running index, and the users
or event types of a window from a union slid along with the days (each member counted by the days of
the window it is in), so one assessment costs the same whatever the windows' lengths. A test holds
every answer equal to `read_daily`'s on the same timeline.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import date

from scoring.daily import Daily, DayMemo, meaningful_counter, meaningful_types, start_of
from scoring.model import AccountTimeline, DayActivity
from scoring.rules import ScoringRules

EMPTY: frozenset[str] = frozenset()
RECENT_UNIONS = 4
"""Unions of recent windows each slider keeps (a day asks for yesterday's window and today's)."""


class DaySeries:
    """An account's stored days, for timelines cut from them as `(as_of - lookback, as_of]`, the way
    `connector.health.history` cuts them; `daily(timeline)` is `read_daily(timeline, rules)`."""

    def __init__(self, rollups: Iterable[DayActivity], rules: ScoringRules, lookback: int) -> None:
        stored = sorted(rollups, key=lambda a: a.day)
        self.rules, self.lookback = rules, lookback
        self.base = stored[0].day.toordinal() if stored else 0
        size = stored[-1].day.toordinal() - self.base + 1 if stored else 0
        self.rollups: list[DayActivity | None] = [None] * size
        self.counts = [0] * size
        self.users: list[frozenset[str]] = [EMPTY] * size
        self.types: list[frozenset[str]] = [EMPTY] * size
        self.active: list[int] = []
        """Indices of the days with any activity (see `scoring.daily.account_start`)."""
        count = meaningful_counter(rules)
        for a in stored:
            i = a.day.toordinal() - self.base
            self.rollups[i], self.counts[i] = a, count(a)
            self.users[i] = frozenset(user for user, n in a.user_counts.items() if n > 0)
            self.types[i] = meaningful_types(a, rules)
            if a.events or a.page_views or a.event_counts or a.user_counts:
                self.active.append(i)
        self.prefix = [0] * (size + 1)
        self.last_meaningful = [-1] * size
        """Index of the latest day on or before each one with meaningful actions (-1: none)."""
        last = -1
        for i, n in enumerate(self.counts):
            self.prefix[i + 1] = self.prefix[i] + n
            if n > 0:
                last = i
            self.last_meaningful[i] = last
        self.memo = DayMemo()
        self._unions: dict[tuple[str, int], _WindowUnion] = {}
        self._event_days: dict[str, list[int]] = {}
        self._event_prefix: dict[tuple[str, ...], list[int]] = {}

    def daily(self, timeline: AccountTimeline) -> Daily:
        """What `read_daily(timeline, rules)` gives, for a timeline holding this series' days of
        `(as_of - lookback, as_of]`."""
        return SeriesDaily(self, timeline)

    def union(self, kind: str, lo: int, hi: int) -> frozenset[str]:
        """The `users` or `types` of the days `lo..hi` (indices)."""
        if lo > hi:
            return EMPTY
        slider = self._unions.get((kind, hi - lo))
        if slider is None:
            slider = self._unions[(kind, hi - lo)] = _WindowUnion(self.users if kind == "users" else self.types)
        return slider.between(lo, hi)

    def used(self, name: str, lo: int, hi: int) -> bool:
        """Whether `name` was counted (above 0) on some day `lo..hi`."""
        days = self._event_days.get(name)
        if days is None:
            days = self._event_days[name] = [
                i for i, a in enumerate(self.rollups) if a is not None and a.event_counts.get(name, 0) > 0
            ]
        k = bisect_left(days, lo)
        return k < len(days) and days[k] <= hi

    def total(self, names: tuple[str, ...], lo: int, hi: int) -> int:
        """`Daily.event_total` of the days `lo..hi`."""
        prefix = self._event_prefix.get(names)
        if prefix is None:
            prefix = self._event_prefix[names] = [0]
            for a in self.rollups:
                counts = a.event_counts if a is not None else {}
                prefix.append(prefix[-1] + max(0, sum([counts[name] for name in names if name in counts])))
        return prefix[hi + 1] - prefix[lo] if lo <= hi else 0


class SeriesDaily(Daily):
    """`Daily` for one day, read off a `DaySeries` (rows built only when asked for)."""

    __slots__ = ("at", "floor", "series")

    def __init__(self, series: DaySeries, timeline: AccountTimeline) -> None:
        self.series, self.memo = series, series.memo
        self.at = timeline.as_of.toordinal() - series.base
        """`as_of`'s index (it may lie outside the stored days)."""
        self.floor = max(0, self.at - series.lookback + 1)
        """The timeline's first stored day's index."""
        top = min(self.at, len(series.counts) - 1)
        last = series.last_meaningful[top] if top >= self.floor else -1
        self.last_active = date.fromordinal(series.base + last) if last >= self.floor else None
        k = bisect_left(series.active, self.floor)
        first = series.active[k] if k < len(series.active) and series.active[k] <= top else None
        self.start = start_of(timeline, [] if first is None else [date.fromordinal(series.base + first)])
        self._rows = None  # type: ignore[assignment]
        self._ages = ()

    def _bounds(self, length: int, offset: int) -> tuple[int, int]:
        hi = min(self.at - offset, len(self.series.counts) - 1)
        return max(self.at - offset - length + 1, self.floor), hi

    @property
    def rows(self) -> tuple[tuple[int, DayActivity, int], ...]:
        if self._rows is None:
            series, at = self.series, self.at
            lo, hi = self._bounds(series.lookback, 0)
            self._rows = tuple(
                (at - i, a, series.counts[i]) for i in range(hi, lo - 1, -1) if (a := series.rollups[i]) is not None
            )
            self._ages = tuple(age for age, _, _ in self._rows)
        return self._rows

    @property
    def ages(self) -> tuple[int, ...]:
        if self._rows is None:
            self.rows  # noqa: B018 (builds the ages with the rows)
        return self._ages

    def actions(self, length: int, offset: int = 0) -> int:
        lo, hi = self._bounds(length, offset)
        return self.series.prefix[hi + 1] - self.series.prefix[lo] if lo <= hi else 0

    def events_used(self, names: Iterable[str], length: int, offset: int = 0) -> frozenset[str]:
        lo, hi = self._bounds(length, offset)
        return frozenset(name for name in set(names) if self.series.used(name, lo, hi)) if lo <= hi else EMPTY

    def event_total(self, names: tuple[str, ...], length: int, offset: int = 0) -> int:
        return self.series.total(names, *self._bounds(length, offset))

    def event_types(self, length: int, offset: int, rules: ScoringRules) -> frozenset[str]:
        return self.series.union("types", *self._bounds(length, offset))

    def active_users(self, length: int, offset: int = 0) -> frozenset[str]:
        return self.series.union("users", *self._bounds(length, offset))


class _WindowUnion:
    """The union of per-day sets over a window of days that moves a little at a time: each member
    counted by the window's days that hold it, so a move adds and drops only the days that changed."""

    __slots__ = ("hi", "lo", "members", "recent", "sets")

    def __init__(self, sets: list[frozenset[str]]) -> None:
        self.sets, self.lo, self.hi = sets, 0, -1
        self.members: dict[str, int] = {}
        self.recent: dict[tuple[int, int], frozenset[str]] = {}

    def between(self, lo: int, hi: int) -> frozenset[str]:
        found = self.recent.get((lo, hi))
        if found is not None:
            return found
        members, sets = self.members, self.sets
        if hi < self.lo or lo > self.hi or abs(lo - self.lo) + abs(hi - self.hi) > hi - lo + 1:
            members.clear()
            self._add(range(lo, hi + 1))
        else:
            self._add(range(lo, self.lo))
            self._add(range(self.hi + 1, hi + 1))
            for i in [*range(self.lo, lo), *range(hi + 1, self.hi + 1)]:
                for member in sets[i]:
                    left = members[member] - 1
                    if left:
                        members[member] = left
                    else:
                        del members[member]
        self.lo, self.hi = lo, hi
        found = self.recent[(lo, hi)] = frozenset(members)
        if len(self.recent) > RECENT_UNIONS:
            del self.recent[next(iter(self.recent))]
        return found

    def _add(self, days: range) -> None:
        members, sets = self.members, self.sets
        for i in days:
            for member in sets[i]:
                members[member] = members.get(member, 0) + 1
