"""The four Signal Stack signals — Activity, Engagement, Milestones, Recency — each 0-100 or None.

Every signal reads one `AccountTimeline` and the `ScoringRules`; nothing else. Days after
`as_of` are ignored wherever they appear, so a timeline is judged only on what was known then.
Values are rounded to one decimal so the stored signals reproduce the stored score exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.model import AccountTimeline, DayActivity, SignalValue
from scoring.rules import ScoringRules

MIN_ACTIONS_PER_DAY = 1.0
"""The least any account is expected to do: Activity's floor yardstick (see `activity`)."""
MIN_BASELINE_DAYS = 7
"""An account needs this many days of history before the recent window to have a baseline."""


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


def meaningful_count(day: DayActivity, rules: ScoringRules) -> int:
    """Meaningful actions on one day (see `meaningful_counter`)."""
    return meaningful_counter(rules)(day)


def rollups(timeline: AccountTimeline) -> Iterator[DayActivity]:
    """The timeline's day rollups up to and including `as_of` (later days are never used)."""
    return (a for a in timeline.days.values() if a.day <= timeline.as_of)


@dataclass(frozen=True, slots=True)
class Daily:
    """A timeline's rollups read once, for every signal and trigger of one assessment."""

    rows: tuple[tuple[int, DayActivity, int], ...]
    """(days before `as_of`, rollup, meaningful actions), newest first; nothing after `as_of`."""
    start: date | None
    """See `account_start`."""
    last_active: date | None
    """The latest day with meaningful activity."""

    def window(self, length: int, offset: int = 0) -> Iterator[tuple[DayActivity, int]]:
        """(rollup, meaningful actions) of the days `offset <= days ago < offset + length`."""
        end = offset + length
        return ((day, n) for days_ago, day, n in self.rows if offset <= days_ago < end)


def read_daily(timeline: AccountTimeline, rules: ScoringRules) -> Daily:
    """Count each day's meaningful actions once and find the account's start and last active day."""
    count, as_of = meaningful_counter(rules), timeline.as_of
    newest_first = sorted(rollups(timeline), key=lambda a: a.day, reverse=True)
    ordered = tuple(((as_of - a.day).days, a, count(a)) for a in newest_first)
    last_active = next((a.day for _, a, n in ordered if n > 0), None)
    active = [a.day for _, a, _ in ordered if a.events or a.page_views or a.event_counts or a.user_counts]
    return Daily(ordered, _start(timeline, active), last_active)


def _start(timeline: AccountTimeline, active_days: list[date]) -> date | None:
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
    last = timeline.as_of - timedelta(days=offset)
    first = max(last - timedelta(days=length - 1), start)
    return max(0, min(length, (last - first).days + 1))


def _value(fraction: float) -> float:
    return round(100 * min(1.0, max(0.0, fraction)), 1)


def activity(timeline: AccountTimeline, rules: ScoringRules, daily: Daily | None = None) -> SignalValue:
    """How much meaningful activity the recent window shows against what is expected of the account.

    R = meaningful actions in the last W = `activity_window_days` days; W' = the days of that window
    on or after the account's start (at least 1), so a new account is not judged on days before it
    existed. Yardsticks, each used when it exists:
      seats:    E_s = licensed_seats * expected_actions_per_seat_per_day * W'
      baseline: E_b = max(A_b / B', MIN_ACTIONS_PER_DAY) * W', with A_b the meaningful actions in the
                B = `baseline_window_days` before the recent window and B' >= MIN_BASELINE_DAYS the
                days of it on or after the start
      minimum:  E_m = MIN_ACTIONS_PER_DAY * W', only when neither of the others exists.
    Activity = 100 * mean over the yardsticks of min(1, R / E): 100 means "meets expectations";
    bounded 0-100, never None, non-decreasing in R for a given start (activity before a known
    signup can move the start earlier and so lengthen W').
    """
    s, daily = rules.signals, daily or read_daily(timeline, rules)
    window, base, start = s.activity_window_days, s.baseline_window_days, daily.start
    recent = sum(n for _, n in daily.window(window))
    base_actions = sum(n for _, n in daily.window(base, offset=window))
    w_days = max(1, covered_days(timeline, window, 0, start))
    b_days = covered_days(timeline, base, window, start)
    seats = timeline.licensed_seats if timeline.licensed_seats and timeline.licensed_seats > 0 else None
    expected: dict[str, float] = {}
    parts: list[str] = []
    if seats:
        expected["seats"] = seats * s.expected_actions_per_seat_per_day * w_days
        parts.append(f"{expected['seats']:.0f} expected for {seats} seats")
    if b_days >= MIN_BASELINE_DAYS:
        expected["baseline"] = max(base_actions / b_days, MIN_ACTIONS_PER_DAY) * w_days
        parts.append(f"{expected['baseline']:.0f} by its own {b_days}-day baseline")
    if not expected:
        expected["minimum"] = MIN_ACTIONS_PER_DAY * w_days
        parts.append(f"a minimum of {expected['minimum']:.0f} (no seat count, no baseline yet)")
    elif not seats:
        parts.append("no seat count")
    elif "baseline" not in expected:
        parts.append("no baseline yet")
    value = _value(sum(min(1.0, recent / e) for e in expected.values()) / len(expected))
    return SignalValue(
        name="activity",
        value=value,
        explanation=f"{recent} meaningful actions in {w_days} days vs " + "; ".join(parts),
        inputs={
            "recent_actions": recent,
            "window_days": w_days,
            "baseline_actions": base_actions,
            "baseline_days": b_days,
            "licensed_seats": seats,
            "expected": {name: round(e, 1) for name, e in expected.items()},
        },
    )


def engagement(timeline: AccountTimeline, rules: ScoringRules, daily: Daily | None = None) -> SignalValue:
    """Depth of use over the last E = `engagement_window_days` days: the mean of the components that exist.

      breadth = share of `events.key_features` seen in the window          (when key features are set)
      depth   = min(1, actions / (active users * E') / target per user-day) (when users were active;
                0 when there was no activity at all; left out when activity had no user ids)
      seats   = min(1, active users / licensed seats)                      (when the seat count is known)
    E' = the days of the window on or after the account's start (at least 1). Engagement =
    100 * mean(components); None only when no component exists. Bounded 0-100; non-decreasing in
    features used and in actions (more active users raise `seats` and may lower `depth`).
    """
    s, events, daily = rules.signals, rules.events, daily or read_daily(timeline, rules)
    length = s.engagement_window_days
    features = list(dict.fromkeys(events.key_features))
    wanted, seen, users, actions = set(features), set(), set(), 0
    for day, n in daily.window(length):
        actions += n
        counts = day.event_counts
        seen.update([name for name in wanted.intersection(counts) if counts[name] > 0])
        users.update([user for user, count in day.user_counts.items() if count > 0])
    used = [feature for feature in features if feature in seen]
    e_days = max(1, covered_days(timeline, length, 0, daily.start))
    seats = timeline.licensed_seats if timeline.licensed_seats and timeline.licensed_seats > 0 else None
    parts: dict[str, float] = {}
    notes: list[str] = []
    if features:
        parts["breadth"] = len(used) / len(features)
        notes.append(f"{len(used)} of {len(features)} key features")
    if users:
        per_user_day = actions / (len(users) * e_days)
        parts["depth"] = min(1.0, per_user_day / s.target_actions_per_active_user_per_day)
        notes.append(f"{per_user_day:.1f} actions per active user per day")
    elif actions == 0:
        parts["depth"] = 0.0
        notes.append("no active users")
    else:
        notes.append("activity without user ids, depth left out")
    if seats:
        parts["seats"] = min(1.0, len(users) / seats)
        notes.append(f"{len(users)} of {seats} seats active")
    else:
        notes.append("no seat count, utilization left out")
    inputs = {"key_features_used": used, "active_users": len(users), "actions": actions, "window_days": e_days}
    inputs |= {name: round(part, 3) for name, part in parts.items()}
    if not parts:
        explanation = f"nothing to judge depth by in {e_days} days: {'; '.join(notes)}"
        return SignalValue("engagement", None, explanation, inputs)
    value = _value(sum(parts.values()) / len(parts))
    return SignalValue("engagement", value, f"In {e_days} days: " + "; ".join(notes), inputs)


def milestones(timeline: AccountTimeline, rules: ScoringRules, daily: Daily | None = None) -> SignalValue:
    """Share of the milestones that count which are done.

    A milestone is done when its event was first seen on or before `as_of`, and due when
    start + due_days <= as_of (start: see `account_start`; no start, nothing is due). It
    counts when it is due or done: a milestone not yet due never counts against the account, one
    done early counts in its favour. Milestones = 100 * done / counted; None when no milestone is
    configured or none counts yet. Bounded 0-100; completing a milestone never lowers it.
    """
    configured = rules.milestones
    if not configured:
        return SignalValue("milestones", None, "no milestones configured")
    start = (daily or read_daily(timeline, rules)).start
    done = [m.name for m in configured if seen_by(timeline, m.event) is not None]
    due = [m.name for m in configured if start is not None and start + timedelta(days=m.due_days) <= timeline.as_of]
    counted = list(dict.fromkeys(due + done))
    inputs = {"done": done, "due": due, "configured": len(configured), "start": start.isoformat() if start else None}
    if not counted:
        return SignalValue("milestones", None, f"none of {len(configured)} milestones due or done yet", inputs)
    missing = [name for name in due if name not in done]
    explanation = f"{len(done)} of {len(counted)} due or done milestones complete"
    if missing:
        explanation += f"; overdue: {', '.join(missing)}"
    return SignalValue("milestones", _value(len(done) / len(counted)), explanation, inputs)


def recency(timeline: AccountTimeline, rules: ScoringRules, daily: Daily | None = None) -> SignalValue:
    """Recency = 100 * max(0, 1 - d / Z): d = days since the last meaningful activity, Z = `recency_zero_after_days`.

    100 for activity on `as_of`, falling linearly to 0 at Z days of silence. An account never
    meaningfully active scores 0, except on the day it starts (or with no start known and no data at
    all), when it is None: there has been no time yet to be silent. Bounded 0-100, non-increasing in d.
    """
    zero_after, daily = rules.signals.recency_zero_after_days, daily or read_daily(timeline, rules)
    last = daily.last_active
    if last is None:
        start = daily.start
        if start is None or start >= timeline.as_of:
            return SignalValue("recency", None, "brand new: no meaningful activity yet and no time to be silent")
        silent = (timeline.as_of - start).days
        return SignalValue(
            "recency", 0.0, f"never meaningfully active in {silent} days since {start.isoformat()}", {"days": silent}
        )
    silent = (timeline.as_of - last).days
    value = _value(1 - silent / zero_after)
    when = "today" if silent == 0 else f"{silent} day{'s' if silent > 1 else ''} ago ({last.isoformat()})"
    return SignalValue("recency", value, f"last meaningful activity {when}; 0 at {zero_after} days", {"days": silent})


SIGNAL_FUNCTIONS: dict[str, Callable[[AccountTimeline, ScoringRules, Daily | None], SignalValue]] = {
    "activity": activity,
    "engagement": engagement,
    "milestones": milestones,
    "recency": recency,
}


def compute_signals(
    timeline: AccountTimeline, rules: ScoringRules, daily: Daily | None = None
) -> dict[str, SignalValue]:
    """All four signals, keyed by name in `SIGNALS` order."""
    daily = daily or read_daily(timeline, rules)
    return {name: compute(timeline, rules, daily) for name, compute in SIGNAL_FUNCTIONS.items()}


def in_grace(timeline: AccountTimeline, rules: ScoringRules) -> bool:
    """True while the account is younger than `alerts.new_account_grace_days` (onboarding, not risk)."""
    start = timeline.signed_up_on
    return start is not None and (timeline.as_of - start).days < rules.alerts.new_account_grace_days
