"""The four Signal Stack signals — Activity, Engagement, Milestones, Recency — each 0-100 or None.

Every signal reads one `AccountTimeline` and the `ScoringRules`; nothing else. Days after
`as_of` are ignored wherever they appear, so a timeline is judged only on what was known then.
Values are rounded to one decimal so the stored signals reproduce the stored score exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

from scoring.model import AccountTimeline, DayActivity, SignalValue
from scoring.rules import ScoringRules

MIN_ACTIONS_PER_DAY = 1.0
"""The least any account is expected to do: Activity's floor yardstick (see `activity`)."""
MIN_BASELINE_DAYS = 7
"""An account needs this many days of history before the recent window to have a baseline."""


def meaningful_count(day: DayActivity, rules: ScoringRules) -> int:
    """Meaningful actions on one day.

    With `events.meaningful` set: the track calls named there. Otherwise every track call
    except `events.ignored`, plus page and screen views.
    """
    events, counts = rules.events, day.event_counts
    if events.meaningful:
        return max(0, sum(counts.get(name, 0) for name in dict.fromkeys(events.meaningful)))
    ignored = sum(counts.get(name, 0) for name in dict.fromkeys(events.ignored))
    return max(0, sum(counts.values()) - ignored + day.page_views)


def rollups(timeline: AccountTimeline) -> Iterator[DayActivity]:
    """The timeline's day rollups up to and including `as_of` (later days are never used)."""
    return (a for a in timeline.days.values() if a.day <= timeline.as_of)


def meaningful_by_day(timeline: AccountTimeline, rules: ScoringRules) -> dict[date, int]:
    """Day -> meaningful actions, for the days up to `as_of` that had any."""
    counts = {a.day: meaningful_count(a, rules) for a in rollups(timeline)}
    return {day: n for day, n in counts.items() if n > 0}


def last_meaningful_day(timeline: AccountTimeline, rules: ScoringRules) -> date | None:
    """The latest day up to `as_of` with meaningful activity, or None if the timeline has none."""
    for activity in sorted(rollups(timeline), key=lambda a: a.day, reverse=True):
        if meaningful_count(activity, rules) > 0:
            return activity.day
    return None


def account_start(timeline: AccountTimeline) -> date | None:
    """When the account began: `signed_up_on`, else the earliest first-seen event or active day."""
    if timeline.signed_up_on is not None:
        return timeline.signed_up_on
    candidates = [seen for seen in timeline.first_seen.values() if seen <= timeline.as_of]
    candidates += [a.day for a in rollups(timeline) if a.events or a.page_views or a.event_counts or a.user_counts]
    return min(candidates, default=None)


def days_inactive(timeline: AccountTimeline, rules: ScoringRules) -> tuple[int, date | None] | None:
    """(Days since the last meaningful activity, that day); an account never active counts from its start.

    None when the account has neither activity nor a known start (nothing to count from).
    """
    last = last_meaningful_day(timeline, rules)
    if last is not None:
        return (timeline.as_of - last).days, last
    start = account_start(timeline)
    if start is None:
        return None
    return max(0, (timeline.as_of - start).days), None


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


def activity(timeline: AccountTimeline, rules: ScoringRules) -> SignalValue:
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
    bounded 0-100, non-decreasing in R, never None.
    """
    s = rules.signals
    window, base = s.activity_window_days, s.baseline_window_days
    per_day = meaningful_by_day(timeline, rules)
    start = account_start(timeline)
    recent = sum(n for day, n in per_day.items() if age(timeline, day) < window)
    base_actions = sum(n for day, n in per_day.items() if window <= age(timeline, day) < window + base)
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


def engagement(timeline: AccountTimeline, rules: ScoringRules) -> SignalValue:
    """Depth of use over the last E = `engagement_window_days` days: the mean of the components that exist.

      breadth = share of `events.key_features` seen in the window          (when key features are set)
      depth   = min(1, actions / (active users * E') / target per user-day) (when users were active;
                0 when there was no activity at all; left out when activity had no user ids)
      seats   = min(1, active users / licensed seats)                      (when the seat count is known)
    E' = the days of the window on or after the account's start (at least 1). Engagement =
    100 * mean(components); None only when no component exists. Bounded 0-100; non-decreasing in
    features used and in actions (more active users raise `seats` and may lower `depth`).
    """
    s, events = rules.signals, rules.events
    length = s.engagement_window_days
    days = [a for a in rollups(timeline) if age(timeline, a.day) < length]
    features = list(dict.fromkeys(events.key_features))
    used = [f for f in features if any(a.event_counts.get(f, 0) > 0 for a in days)]
    users = {user for a in days for user, n in a.user_counts.items() if n > 0}
    actions = sum(meaningful_count(a, rules) for a in days)
    e_days = max(1, covered_days(timeline, length, 0, account_start(timeline)))
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


def milestones(timeline: AccountTimeline, rules: ScoringRules) -> SignalValue:
    """Share of the milestones that count which are done.

    A milestone is done when its event was first seen on or before `as_of`, and due when
    start + due_days <= as_of (start = `signed_up_on`, else the earliest first-seen event). It
    counts when it is due or done: a milestone not yet due never counts against the account, one
    done early counts in its favour. Milestones = 100 * done / counted; None when no milestone is
    configured or none counts yet. Bounded 0-100; completing a milestone never lowers it.
    """
    configured = rules.milestones
    if not configured:
        return SignalValue("milestones", None, "no milestones configured")
    start = account_start(timeline)
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


def recency(timeline: AccountTimeline, rules: ScoringRules) -> SignalValue:
    """Recency = 100 * max(0, 1 - d / Z): d = days since the last meaningful activity, Z = `recency_zero_after_days`.

    100 for activity on `as_of`, falling linearly to 0 at Z days of silence. An account never
    meaningfully active scores 0, except on the day it starts (or with no start known and no data at
    all), when it is None: there has been no time yet to be silent. Bounded 0-100, non-increasing in d.
    """
    zero_after = rules.signals.recency_zero_after_days
    last = last_meaningful_day(timeline, rules)
    if last is None:
        start = account_start(timeline)
        if start is None or start >= timeline.as_of:
            return SignalValue("recency", None, "brand new: no meaningful activity yet and no time to be silent")
        silent = (timeline.as_of - start).days
        return SignalValue(
            "recency", 0.0, f"never meaningfully active in {silent} days since {start.isoformat()}", {"days": silent}
        )
    silent = (timeline.as_of - last).days
    value = _value(1 - silent / zero_after)
    when = "today" if silent == 0 else f"{silent} days ago ({last.isoformat()})"
    return SignalValue("recency", value, f"last meaningful activity {when}; 0 at {zero_after} days", {"days": silent})


SIGNAL_FUNCTIONS: dict[str, Callable[[AccountTimeline, ScoringRules], SignalValue]] = {
    "activity": activity,
    "engagement": engagement,
    "milestones": milestones,
    "recency": recency,
}


def compute_signals(timeline: AccountTimeline, rules: ScoringRules) -> dict[str, SignalValue]:
    """All four signals, keyed by name in `SIGNALS` order."""
    return {name: compute(timeline, rules) for name, compute in SIGNAL_FUNCTIONS.items()}
