"""One account's stored days read once for the many days a replay assesses: what `read_daily` answers
for each day's timeline, without reading the timeline's days again.

Each stored day is read once (meaningful actions, active users, meaningful event types); window sums
come from prefix sums over the calendar, the latest active day from a running index, and how many
users or event types a window holds from one bit per user (or event) OR-ed over the window's days.
A test holds every answer equal to `read_daily`'s on the same timeline.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date
from functools import reduce
from operator import or_

from scoring.daily import Daily, DayMemo, meaningful_counter, meaningful_types
from scoring.model import AccountTimeline, DayActivity
from scoring.rules import ScoringRules

EMPTY: frozenset[str] = frozenset()


class DaySeries:
    """An account's stored days by index (0 = the first stored day); every question about the days
    `lo..hi` clips them to the stored ones. `daily(timeline, lookback)` is `read_daily(timeline, rules)`
    for a timeline cut from them as `(as_of - lookback, as_of]`, the way `connector.health.history`
    cuts them."""

    def __init__(self, rollups: Iterable[DayActivity], rules: ScoringRules) -> None:
        stored = sorted(rollups, key=lambda a: a.day)
        self.rules = rules
        self.base = stored[0].day.toordinal() if stored else 0
        self.size = size = stored[-1].day.toordinal() - self.base + 1 if stored else 0
        self.rollups: list[DayActivity | None] = [None] * size
        self.counts = [0] * size
        """Meaningful actions of each day."""
        self.active: list[int] = []
        """Indices of the days with any activity (see `scoring.daily.account_start`)."""
        count = meaningful_counter(rules)
        for a in stored:
            i = a.day.toordinal() - self.base
            self.rollups[i], self.counts[i] = a, count(a)
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
        self._sets: dict[str, list[frozenset[str]]] = {}
        self._masks: dict[str, list[int]] = {}
        self._window_counts: dict[tuple[str, int], list[int]] = {}
        self._earliest_first: tuple[Mapping[str, date], date | None] | None = None
        self._last_used: dict[str, list[int]] = {}
        """Event name -> the latest day on or before each one that counted it (-1: none)."""
        self._event_prefix: dict[tuple[str, ...], list[int]] = {}

    def index(self, day: date) -> int:
        """`day`'s index (outside `0..size-1` when it is not among the stored days)."""
        return day.toordinal() - self.base

    def daily(self, timeline: AccountTimeline, lookback: int) -> Daily:
        """What `read_daily(timeline, rules)` gives, for a timeline holding this series' days of
        `(as_of - lookback, as_of]`."""
        return SeriesDaily(self, timeline, lookback)

    def actions(self, lo: int, hi: int) -> int:
        """Meaningful actions on the days `lo..hi`."""
        lo, hi = max(lo, 0), min(hi, self.size - 1)
        return self.prefix[hi + 1] - self.prefix[lo] if lo <= hi else 0

    def union(self, kind: str, lo: int, hi: int) -> frozenset[str]:
        """The `users` (active that day) or `types` (meaningful track events) of the days `lo..hi`."""
        lo, hi = max(lo, 0), min(hi, self.size - 1)
        return EMPTY.union(*self.day_sets(kind)[lo : hi + 1]) if lo <= hi else EMPTY

    def count(self, kind: str, lo: int, hi: int) -> int:
        """`len(union(kind, lo, hi))`, from one bit per member OR-ed over the days."""
        lo, hi = max(lo, 0), min(hi, self.size - 1)
        return reduce(or_, self.day_masks(kind)[lo : hi + 1]).bit_count() if lo <= hi else 0

    def window_count(self, kind: str, length: int, hi: int) -> int:
        """`count(kind, hi - length + 1, hi)`, read off counts worked out once for every window of
        `length` days: the windows are cut into blocks of `length` days, and a window's members are
        the OR of a block's suffix and the next block's prefix (two ORs per window, not `length`)."""
        counts = self._window_counts.get((kind, length))
        if counts is None:
            counts = self._window_counts[kind, length] = self._count_windows(kind, length)
        return counts[hi] if 0 <= hi < len(counts) else 0

    def _count_windows(self, kind: str, length: int) -> list[int]:
        masks = self.day_masks(kind) + [0] * (length - 1)
        n = len(masks)
        prefix, suffix = masks[:], masks[:]
        for i in range(1, n):
            if i % length:
                prefix[i] |= prefix[i - 1]
        for i in range(n - 2, -1, -1):
            if (i + 1) % length:
                suffix[i] |= suffix[i + 1]
        return [(prefix[hi] | (suffix[hi - length + 1] if hi >= length else 0)).bit_count() for hi in range(n)]

    def day_sets(self, kind: str) -> list[frozenset[str]]:
        """Each day's `users` or `types` (read once, when first asked for)."""
        found = self._sets.get(kind)
        if found is None:
            rules = self.rules
            found = self._sets[kind] = [
                EMPTY
                if a is None
                else frozenset(user for user, n in a.user_counts.items() if n > 0)
                if kind == "users"
                else meaningful_types(a, rules)
                for a in self.rollups
            ]
        return found

    def day_masks(self, kind: str) -> list[int]:
        """Each day's `users` or `types` as one bit per member (bits given in order of appearance)."""
        found = self._masks.get(kind)
        if found is None:
            events = self.rules.events
            users, named = kind == "users", bool(events.meaningful)
            chosen = frozenset(events.meaningful if named else events.ignored)
            bits: dict[str, int] = {}
            found = self._masks[kind] = []
            for a in self.rollups:
                mask = 0
                if a is not None:
                    for member, n in (a.user_counts if users else a.event_counts).items():
                        # a user active that day; a track event counted that day that is meaningful
                        if n > 0 and (users or (member in chosen) is named):
                            bit = bits.get(member)
                            if bit is None:
                                bit = bits[member] = 1 << len(bits)
                            mask |= bit
                found.append(mask)
        return found

    def last_used(self, name: str) -> list[int]:
        """For each day, the latest day on or before it that counted `name` (-1: none)."""
        last = self._last_used.get(name)
        if last is None:
            last = self._last_used[name] = []
            latest = -1
            for i, a in enumerate(self.rollups):
                if a is not None and a.event_counts.get(name, 0) > 0:
                    latest = i
                last.append(latest)
        return last

    def total(self, names: tuple[str, ...], lo: int, hi: int) -> int:
        """`Daily.event_total` of the days `lo..hi`."""
        prefix = self._event_prefix.get(names)
        if prefix is None:
            prefix = self._event_prefix[names] = [0]
            for a in self.rollups:
                counts = a.event_counts if a is not None else {}
                prefix.append(prefix[-1] + max(0, sum([counts[name] for name in names if name in counts])))
        lo, hi = max(lo, 0), min(hi, self.size - 1)
        return prefix[hi + 1] - prefix[lo] if lo <= hi else 0


class SeriesDaily(Daily):
    """`Daily` for one day, read off a `DaySeries` (rows built only when asked for)."""

    __slots__ = ("at", "floor", "high", "low", "series")

    def __init__(self, series: DaySeries, timeline: AccountTimeline, lookback: int) -> None:
        self.series, self.memo = series, series.memo
        self.at = series.index(timeline.as_of)
        self.floor = self.at - lookback + 1
        """The timeline's first day's index."""
        self.low, self.high = lo, top = max(self.floor, 0), min(self.at, series.size - 1)
        """The stored days of the timeline: indices `low..high`."""
        last = series.last_meaningful[top] if top >= lo else -1
        self.last_active = date.fromordinal(series.base + last) if last >= lo else None
        k = bisect_left(series.active, lo)
        first = series.active[k] if k < len(series.active) and series.active[k] <= top else None
        # `account_start` of the timeline (its first active day is `first`), with the earliest first-seen day worked out
        # once for each first-seen mapping (the replay's days share one until an event is new).
        firsts = timeline.first_seen
        if series._earliest_first is None or series._earliest_first[0] is not firsts:
            series._earliest_first = (firsts, min(firsts.values(), default=None))
        candidates = [date.fromordinal(series.base + first)] if first is not None else []
        earliest = series._earliest_first[1]
        if earliest is not None and earliest <= timeline.as_of:
            candidates.append(earliest)
        if timeline.signed_up_on is not None:
            candidates.append(timeline.signed_up_on)
        self.start = min(candidates, default=None)
        self._rows = None  # type: ignore[assignment]
        self._ages = ()

    def _bounds(self, length: int, offset: int) -> tuple[int, int]:
        """The stored days' indices `lo..hi` of the window (empty when lo > hi)."""
        hi = self.at - offset
        lo = hi - length + 1
        return (lo if lo > self.low else self.low), (hi if hi < self.high else self.high)

    @property
    def rows(self) -> tuple[tuple[int, DayActivity, int], ...]:
        if self._rows is None:
            series, at = self.series, self.at
            self._rows = tuple(
                (at - i, a, series.counts[i])
                for i in range(self.high, self.low - 1, -1)
                if (a := series.rollups[i]) is not None
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
        prefix = self.series.prefix
        return prefix[hi + 1] - prefix[lo] if lo <= hi else 0

    def events_used(self, names: Iterable[str], length: int, offset: int = 0) -> frozenset[str]:
        lo, hi = self._bounds(length, offset)
        if lo > hi:
            return EMPTY
        last_used = self.series.last_used
        return frozenset([name for name in names if last_used(name)[hi] >= lo])

    def event_total(self, names: tuple[str, ...], length: int, offset: int = 0) -> int:
        return self.series.total(names, *self._bounds(length, offset))

    def event_types(self, length: int, offset: int, rules: ScoringRules) -> frozenset[str]:
        return self.series.union("types", *self._bounds(length, offset))

    def active_users(self, length: int, offset: int = 0) -> frozenset[str]:
        return self.series.union("users", *self._bounds(length, offset))

    def active_user_count(self, length: int, offset: int = 0) -> int:
        return self._count("users", length, offset)

    def event_type_count(self, length: int, offset: int, rules: ScoringRules) -> int:
        return self._count("types", length, offset)

    def _count(self, kind: str, length: int, offset: int) -> int:
        if offset + length <= self.at - self.floor + 1:  # the window lies within the timeline's days
            return self.series.window_count(kind, length, self.at - offset)
        return self.series.count(kind, *self._bounds(length, offset))
