"""The four Signal Stack signals — Activity, Engagement, Milestones, Recency — each 0-100 or None.

Every signal reads one `AccountTimeline` and the `ScoringRules`; nothing else. Days after
`as_of` are ignored wherever they appear, so a timeline is judged only on what was known then.
Values are rounded to one decimal so the stored signals reproduce the stored score exactly.
"""

from __future__ import annotations

from collections.abc import Callable

from scoring.daily import Daily, covered_days, read_daily
from scoring.model import UNKNOWN_POPULATION, AccountTimeline, Population, SignalValue
from scoring.peers import ALL, activity_rate, engagement_measures, group_label, norms_for, peer_group, rank
from scoring.rules import ScoringRules

MIN_ACTIONS_PER_DAY = 1.0
"""The least any account is expected to do: Activity's floor yardstick (see `activity`)."""
MIN_BASELINE_DAYS = 7
"""An account needs this many days of history before the recent window to have a baseline."""
MIN_TEAM_SEATS = 2
"""Licensed seats from which Engagement judges utilization (how many of a team's seats are used)."""


def _value(fraction: float) -> float:
    return round(100 * (fraction if 0.0 < fraction < 1.0 else 1.0 if fraction >= 1.0 else 0.0), 1)


def activity(
    timeline: AccountTimeline,
    rules: ScoringRules,
    daily: Daily | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> SignalValue:
    """How active the account is, ranked among its peers and against its own recent past.

    With peers (`population` holds norms for its group or for everyone, see `scoring.peers`):
      level = the share of peer accounts whose activity rate is below the account's (ties half),
              rate = R / W', R the meaningful actions of the W = `activity_window_days` complete
              days before `as_of`, W' >= 1 those of them on or after the account's start (peers are
              measured over the same days); 0 without meaningful activity;
      trend = min(1, (R / W') / (A_b / B')), A_b the actions in the B = `baseline_window_days`
              before them, B' >= MIN_BASELINE_DAYS its days since the start; only when the account has
              such a baseline with activity in it;
      Activity = 100 * ((1 - s) * level + s * trend), s = `activity_trend_share` (level alone without
              a trend).
    A rank cannot saturate: whatever the product and however much every account does, the
    busiest accounts of a group score high and the quietest low.

    Without peers (fewer than `min_peer_accounts` accounts), or on an account's first day (no complete
    day to measure), it is judged on its own yardsticks: see `activity_against_yardsticks`. Bounded
    0-100, never None, non-decreasing in R. Today's own activity shows in Recency at once and in
    Activity from tomorrow, when the day is complete and comparable.
    """
    daily = daily or read_daily(timeline, rules)
    found = norms_for(population.activity_norms, peer_group(timeline, rules))
    measured = activity_rate(timeline, rules, daily)
    if found is None or measured is None:
        return activity_against_yardsticks(timeline, rules, daily)
    key, norms = found
    s = rules.signals
    level = rank(norms, measured.rate)
    base_actions = daily.actions(s.baseline_window_days, offset=s.activity_window_days + 1)
    b_days = covered_days(timeline, s.baseline_window_days, s.activity_window_days + 1, daily.start)
    own = None
    if b_days >= MIN_BASELINE_DAYS and base_actions > 0:
        own = (measured.actions / measured.window_days) / (base_actions / b_days)
    share = s.activity_trend_share if own is not None else 0.0
    value = _value((1 - share) * level + share * min(1.0, own or 0.0))
    text = (
        f"{measured.actions} meaningful actions in the {measured.window_days} days before {timeline.as_of} "
        f"({measured.rate:.1f} a day): more than {level:.0%} of {norms.accounts} {group_label(key)}"
    )
    if key == ALL and peer_group(timeline, rules) != ALL:
        text += f" (too few {group_label(peer_group(timeline, rules))} to compare with alone)"
    text += f"; {own:.0%} of its own {b_days}-day baseline" if own is not None else "; no baseline yet"
    return SignalValue(
        name="activity",
        value=value,
        explanation=text,
        inputs={
            "recent_actions": measured.actions,
            "window_days": measured.window_days,
            "rate": round(measured.rate, 4),
            "peer_group": key,
            "peers": norms.accounts,
            "rank": round(level, 4),
            "baseline_actions": base_actions,
            "baseline_days": b_days,
            "versus_baseline": None if own is None else round(own, 4),
        },
    )


def activity_against_yardsticks(timeline: AccountTimeline, rules: ScoringRules, daily: Daily) -> SignalValue:
    """Activity for an account with no peers to rank against: the recent window against expectations.

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
    s = rules.signals
    window, base, start = s.activity_window_days, s.baseline_window_days, daily.start
    recent = daily.actions(window)
    base_actions = daily.actions(base, offset=window)
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
    parts.append("no peer group to rank against yet")
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


def engagement(
    timeline: AccountTimeline,
    rules: ScoringRules,
    daily: Daily | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> SignalValue:
    """Depth and breadth of use over the last E = `engagement_window_days` days: the mean of the
    components that exist.

      breadth = share of `events.key_features` seen in the window, when some configured key feature
                was ever used by any account; otherwise, with peers, the share of peers that used
                fewer different meaningful actions in the E complete days before `as_of`
      depth   = with peers: the share of peers with fewer meaningful actions per active user per day
                over the E complete days before `as_of`; without: min(1, that rate over the window /
                target per user-day); 0 when there was no activity at all; left out when activity
                had no user ids
      seats   = min(1, active users / licensed seats)   (when the account has a team: at least
                MIN_TEAM_SEATS licensed seats; for one seat it would only repeat whether its user
                is active, which Activity and Recency measure, and lift every single-seat account)
    E' = the days of the window on or after the account's start (at least 1). Engagement =
    100 * mean(components); None only when no component exists. Bounded 0-100; non-decreasing in
    features used and in actions (more active users raise `seats` and may lower `depth`). Ranks do
    not saturate: a fixed target ("5 actions a user a day") is one most active users clear.
    """
    s, events, daily = rules.signals, rules.events, daily or read_daily(timeline, rules)
    length = s.engagement_window_days
    configured = list(dict.fromkeys(events.key_features))
    features = [feature for feature in configured if population.has_seen(feature)]
    actions, seen = daily.actions(length), daily.events_used(features, length)
    users = daily.active_user_count(length)
    used = [feature for feature in features if feature in seen]
    e_days = max(1, covered_days(timeline, length, 0, daily.start))
    seats = timeline.licensed_seats if timeline.licensed_seats and timeline.licensed_seats > 0 else None
    group = peer_group(timeline, rules)
    measured = engagement_measures(timeline, rules, daily)
    parts: dict[str, float] = {}
    notes: list[str] = []
    breadth_peers = norms_for(population.breadth_norms, group)
    if features:
        parts["breadth"] = len(used) / len(features)
        notes.append(f"{len(used)} of {len(features)} key features")
        if len(features) < len(configured):
            notes.append(f"{len(configured) - len(features)} configured key feature(s) never used by any account")
    elif breadth_peers is not None and measured is not None:
        parts["breadth"] = rank(breadth_peers[1], float(measured.breadth))
        key, norms = breadth_peers
        notes.append(
            f"{measured.breadth} different actions used: more than {parts['breadth']:.0%} of {norms.accounts} "
            f"{group_label(key)}" + (" (no configured key feature was ever used by any account)" if configured else "")
        )
    elif configured:
        notes.append(
            f"none of the {len(configured)} configured key features was ever used by any account, breadth left out "
            "(check events.key_features, or run `healthloop config suggest`)"
        )
    depth_peers = norms_for(population.depth_norms, group)
    if depth_peers is not None and measured is not None and measured.depth is not None:
        parts["depth"] = rank(depth_peers[1], measured.depth)
        notes.append(
            f"{measured.depth:.1f} actions per active user per day: more than {parts['depth']:.0%} of "
            f"{depth_peers[1].accounts} {group_label(depth_peers[0])}"
        )
    elif users:
        per_user_day = actions / (users * e_days)
        parts["depth"] = min(1.0, per_user_day / s.target_actions_per_active_user_per_day)
        notes.append(f"{per_user_day:.1f} actions per active user per day")
    elif actions == 0:
        parts["depth"] = 0.0
        notes.append("no active users")
    else:
        notes.append("activity without user ids, depth left out")
    if seats and seats >= MIN_TEAM_SEATS:
        parts["seats"] = min(1.0, users / seats)
        notes.append(f"{users} of {seats} seats active")
    elif seats:
        notes.append("one seat, utilization left out (whether its user is active is Activity's and Recency's)")
    else:
        notes.append("no seat count, utilization left out")
    inputs = {"key_features_used": used, "active_users": users, "actions": actions, "window_days": e_days}
    inputs |= {name: round(part, 3) for name, part in parts.items()}
    if not parts:
        explanation = f"nothing to judge depth by in {e_days} days: {'; '.join(notes)}"
        return SignalValue("engagement", None, explanation, inputs)
    value = _value(sum(parts.values()) / len(parts))
    return SignalValue("engagement", value, f"In {e_days} days: " + "; ".join(notes), inputs)


def milestones(
    timeline: AccountTimeline,
    rules: ScoringRules,
    daily: Daily | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> SignalValue:
    """Share of the milestones that count which are done.

    A milestone is done when its event was first seen on or before `as_of`, and due when
    start + due_days <= as_of (start: see `account_start`; no start, nothing is due). It
    counts when it is due or done: a milestone not yet due never counts against the account, one
    done early counts in its favour. Milestones = 100 * done / counted; None when no milestone is
    configured or none counts yet. Bounded 0-100; completing a milestone never lowers it.
    """
    if not rules.milestones:
        return SignalValue("milestones", None, "no milestones configured")
    configured = [m for m in rules.milestones if population.has_seen(m.event)]
    if not configured:
        names = ", ".join(m.name for m in rules.milestones)
        return SignalValue(
            "milestones",
            None,
            f"no account has ever done any configured milestone ({names}): left out rather than 0 for everyone "
            "(check the milestones' event names, or run `healthloop config suggest`)",
        )
    start = (daily or read_daily(timeline, rules)).start
    first_seen, as_of = timeline.first_seen, timeline.as_of
    done = [m.name for m in configured if (seen := first_seen.get(m.event)) is not None and seen <= as_of]
    days = (as_of - start).days if start is not None else None
    due = [m.name for m in configured if days is not None and m.due_days <= days]
    counted = list(dict.fromkeys(due + done))
    inputs = {"done": done, "due": due, "configured": len(configured), "start": start.isoformat() if start else None}
    if not counted:
        return SignalValue("milestones", None, f"none of {len(configured)} milestones due or done yet", inputs)
    missing = [name for name in due if name not in done]
    explanation = f"{len(done)} of {len(counted)} due or done milestones complete"
    if missing:
        explanation += f"; overdue: {', '.join(missing)}"
    return SignalValue("milestones", _value(len(done) / len(counted)), explanation, inputs)


def recency(
    timeline: AccountTimeline,
    rules: ScoringRules,
    daily: Daily | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> SignalValue:
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


SIGNAL_FUNCTIONS: dict[str, Callable[[AccountTimeline, ScoringRules, Daily | None, Population], SignalValue]] = {
    "activity": activity,
    "engagement": engagement,
    "milestones": milestones,
    "recency": recency,
}


def compute_signals(
    timeline: AccountTimeline,
    rules: ScoringRules,
    daily: Daily | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> dict[str, SignalValue]:
    """All four signals, keyed by name in `SIGNALS` order."""
    daily = daily or read_daily(timeline, rules)
    return {name: compute(timeline, rules, daily, population) for name, compute in SIGNAL_FUNCTIONS.items()}
