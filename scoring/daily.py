"""One account's days, read once per assessment: meaningful actions per day, the account's start, its
last active day, and the small date helpers every signal and trigger shares."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from scoring.model import AccountTimeline, DayActivity
from scoring.rules import ScoringRules


def meaningful_counter(rules: ScoringRules) -> Callable[[DayActivity], int]:
    """A function counting one day's meaningful actions (the event lists resolved once, for speed).

    With `events.meaningful` set: the track calls named there. Otherwise every track call
    except `events.ignored`, plus page and screen views.
    """
    if rules.events.meaningful:
        wanted = tuple(dict.fromkeys(rules.events.meaningful))

        def count_named(day: DayActivity) -> int:
            counts = day.event_counts
            return max(0, sum([counts[name] for name in wanted if name in counts]))

        return count_named
    ignored = tuple(dict.fromkeys(rules.events.ignored))

    def count_all_but_ignored(day: DayActivity) -> int:
        counts = day.event_counts
        total = sum(counts.values()) + day.page_views
        for name in ignored:
            if name in counts:
                total -= counts[name]
        return max(0, total)

    return count_all_but_ignored


def meaningful_types(day: DayActivity, rules: ScoringRules) -> frozenset[str]:
    """The track events of one day that count as meaningful: those named in `events.meaningful`, or
    every one but `events.ignored`."""
    used = {name for name, count in day.event_counts.items() if count > 0}
    if rules.events.meaningful:
        return frozenset(used.intersection(rules.events.meaningful))
    return frozenset(used.difference(rules.events.ignored))


def meaningful_count(day: DayActivity, rules: ScoringRules) -> int:
    """Meaningful actions on one day (see `meaningful_counter`)."""
    return meaningful_counter(rules)(day)


def rollups(timeline: AccountTimeline) -> Iterator[DayActivity]:
    """The timeline's day rollups up to and including `as_of` (later days are never used)."""
    return (a for a in timeline.days.values() if a.day <= timeline.as_of)


class DayMemo:
    """What each stored day of one account says, worked out once: its meaningful actions (under one set
    of rules) and its active users. A replay carries one through an account's days in order; a single
    assessment makes its own."""

    __slots__ = ("counts", "types", "users")

    def __init__(self) -> None:
        self.counts: dict[date, int] = {}
        self.users: dict[date, frozenset[str]] = {}
        self.types: dict[date, frozenset[str]] = {}

    def event_types(self, day: DayActivity, rules: ScoringRules) -> frozenset[str]:
        """The track events that day that count as meaningful (see `meaningful_counter`)."""
        found = self.types.get(day.day)
        if found is None:
            found = self.types[day.day] = meaningful_types(day, rules)
        return found

    def active_users(self, day: DayActivity) -> frozenset[str]:
        """The users with any activity that day."""
        found = self.users.get(day.day)
        if found is None:
            found = self.users[day.day] = frozenset(user for user, count in day.user_counts.items() if count > 0)
        return found


class Daily:
    """A timeline's rollups read once, for every signal and trigger of one assessment (see `read_daily`).

    Every question is about a window of days before `as_of`: `offset <= days ago < offset + length`.
    `start`: see `account_start`; `last_active`: the latest day with meaningful activity. A replay
    reads the same answers off an account's `scoring.day_series.DaySeries` instead.
    """

    __slots__ = ("_ages", "_rows", "last_active", "memo", "start")

    def __init__(
        self,
        rows: tuple[tuple[int, DayActivity, int], ...],
        start: date | None,
        last_active: date | None,
        ages: tuple[int, ...] = (),
        memo: DayMemo | None = None,
    ) -> None:
        self._rows, self.start, self.last_active, self._ages = rows, start, last_active, ages
        self.memo = memo if memo is not None else DayMemo()

    @property
    def rows(self) -> tuple[tuple[int, DayActivity, int], ...]:
        """(days before `as_of`, rollup, meaningful actions), newest first; nothing after `as_of`."""
        return self._rows

    @property
    def ages(self) -> tuple[int, ...]:
        """`rows`' days before `as_of`, ascending (for slicing a window without scanning every row)."""
        return self._ages

    def window(self, length: int, offset: int = 0) -> Iterator[tuple[DayActivity, int]]:
        """(rollup, meaningful actions) of the days `offset <= days ago < offset + length`."""
        ages = self.ages
        rows = self.rows[bisect_left(ages, offset) : bisect_left(ages, offset + length)] if ages else self.rows
        end = offset + length
        return ((day, n) for days_ago, day, n in rows if offset <= days_ago < end)

    def actions(self, length: int, offset: int = 0) -> int:
        """Meaningful actions on the days of the window."""
        return sum(n for _, n in self.window(length, offset))

    def events_used(self, names: Iterable[str], length: int, offset: int = 0) -> frozenset[str]:
        """Those of `names` counted (above 0) on some day of the window."""
        wanted, seen = set(names), set()
        for day, _ in self.window(length, offset):
            counts = day.event_counts
            seen.update([name for name in wanted.intersection(counts) if counts[name] > 0])
        return frozenset(seen)

    def event_total(self, names: tuple[str, ...], length: int, offset: int = 0) -> int:
        """How many times `names` (distinct) were counted over the window (a day's total at least 0)."""
        total = 0
        for day, _ in self.window(length, offset):
            counts = day.event_counts
            total += max(0, sum([counts[name] for name in names if name in counts]))
        return total

    def event_types(self, length: int, offset: int, rules: ScoringRules) -> frozenset[str]:
        """The meaningful track events seen on any day of the window."""
        sets = [self.memo.event_types(day, rules) for day, _ in self.window(length, offset)]
        return frozenset().union(*sets) if sets else frozenset()

    def active_users(self, length: int, offset: int = 0) -> frozenset[str]:
        """The users active on any day of the window."""
        memo = self.memo
        sets = [memo.active_users(day) for day, _ in self.window(length, offset)]
        return frozenset().union(*sets) if sets else frozenset()

    def active_user_count(self, length: int, offset: int = 0) -> int:
        """How many users were active on any day of the window."""
        return len(self.active_users(length, offset))

    def event_type_count(self, length: int, offset: int, rules: ScoringRules) -> int:
        """How many different meaningful track events were seen over the window."""
        return len(self.event_types(length, offset, rules))


def read_daily(timeline: AccountTimeline, rules: ScoringRules, memo: DayMemo | None = None) -> Daily:
    """Count each day's meaningful actions once and find the account's start and last active day.

    `memo` carries what each day says from one day's timeline to the next when a replay walks an
    account's days in order (the same account and rules throughout).
    """
    memo = memo if memo is not None else DayMemo()
    count, counted, as_of = meaningful_counter(rules), memo.counts, timeline.as_of
    newest_first = sorted(rollups(timeline), key=lambda a: a.day, reverse=True)
    for a in newest_first:
        if a.day not in counted:
            counted[a.day] = count(a)
    ordered = tuple(((as_of - a.day).days, a, counted[a.day]) for a in newest_first)
    last_active = next((a.day for _, a, n in ordered if n > 0), None)
    active = [a.day for _, a, _ in ordered if a.events or a.page_views or a.event_counts or a.user_counts]
    return Daily(ordered, _start(timeline, active), last_active, tuple(age for age, _, _ in ordered), memo)


def _start(timeline: AccountTimeline, active_days: list[date]) -> date | None:
    """`account_start` given the timeline's active days (any of them: only the earliest matters)."""
    candidates = [seen for seen in timeline.first_seen.values() if seen <= timeline.as_of] + active_days
    if timeline.signed_up_on is not None:
        candidates.append(timeline.signed_up_on)
    return min(candidates, default=None)


def account_start(timeline: AccountTimeline) -> date | None:
    """When the account began: the earliest of `signed_up_on`, its first-seen events and its active days.

    (Activity before the recorded signup still shows the account existed.) None with no data at all.
    """
    active = [a.day for a in rollups(timeline) if a.events or a.page_views or a.event_counts or a.user_counts]
    return _start(timeline, active)


def last_meaningful_day(timeline: AccountTimeline, rules: ScoringRules) -> date | None:
    """The latest day up to `as_of` with meaningful activity, or None if the timeline has none."""
    return read_daily(timeline, rules).last_active


def days_inactive(
    timeline: AccountTimeline, rules: ScoringRules, daily: Daily | None = None
) -> tuple[int, date | None] | None:
    """(Days since the last meaningful activity, that day); an account never active counts from its start.

    None when the account has neither activity nor a known start (nothing to count from).
    """
    daily = daily or read_daily(timeline, rules)
    if daily.last_active is not None:
        return (timeline.as_of - daily.last_active).days, daily.last_active
    if daily.start is None:
        return None
    return max(0, (timeline.as_of - daily.start).days), None


def seen_by(timeline: AccountTimeline, event: str) -> date | None:
    """The first day `event` was seen, if that is on or before `as_of`."""
    seen = timeline.first_seen.get(event)
    return seen if seen is not None and seen <= timeline.as_of else None


def age(timeline: AccountTimeline, day: date) -> int:
    """Whole days from `day` to `as_of` (0 for `as_of` itself)."""
    return (timeline.as_of - day).days


def covered_days(timeline: AccountTimeline, length: int, offset: int, start: date | None) -> int:
    """Days of the window `[as_of-offset-length+1, as_of-offset]` on or after `start` (all when unknown)."""
    if start is None:
        return length
    last = timeline.as_of.toordinal() - offset
    first = last - length + 1
    began = start.toordinal()
    covered = last - (began if began > first else first) + 1
    return covered if covered > 0 else 0


def in_grace(timeline: AccountTimeline, rules: ScoringRules) -> bool:
    """True while the account is younger than `alerts.new_account_grace_days` (onboarding, not risk)."""
    start = timeline.signed_up_on
    return start is not None and (timeline.as_of - start).days < rules.alerts.new_account_grace_days
