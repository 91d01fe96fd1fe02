"""`config suggest`, onboarding: milestones that most retained accounts reach in their first month, and a journey.

Pure functions of a loaded `UsageHistory`. Only accounts whose start storage saw (their sign-up, or
their first event, falls inside the stored range) and that are at least `SETTLE_DAYS` old count: an
account whose history begins mid-life has no "first days" to read.

- **Milestones**: use events other than logins and sign-ups that more than half the retained accounts
  first did within their first 30 days, leaving out those >= 90% of new accounts fire on their first
  day (part of arriving, so the same for everyone). With at least `MIN_ACCOUNTS` accounts that were not
  retained, a milestone must tell the two apart: retained accounts did it early more often than the
  others, and the ones with the widest gap come first (a step everybody takes, stayers and leavers
  alike, says nothing about health); with fewer, the most widely done. At most 8; ordered by median
  day; `due_days` = the 80th percentile (nearest rank) of the day the retained accounts did it, at least 1.
- **Journey**: started by a sign-up event (by name), else by the event nearly every account fires on
  its first day, through the suggested milestones; `stuck_after_days` = one more than the 80th
  percentile of the longest wait between two steps among retained accounts that finished it.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable

from connector.measure.event_classes import EventClasses
from connector.measure.event_names import NameRole, words
from connector.measure.event_usage import AccountUsage, UsageHistory
from connector.measure.suggest_events import Retention
from connector.measure.suggestion import (
    ARRIVAL_SHARE,
    DUE_PERCENTILE,
    MAX_MILESTONES,
    MILESTONE_SHARE,
    MIN_ACCOUNTS,
    SETTLE_DAYS,
    JourneyPick,
    MilestonePick,
    Suggested,
    percentile,
    share,
)
from scoring.rules import ScoringRules


def _day_of(usage: AccountUsage, event: str) -> int | None:
    first = usage.firsts.get(event)
    return None if first is None or usage.start is None else (first - usage.start).days


def _cohorts(history: UsageHistory, kept: Retention) -> tuple[list[AccountUsage], list[AccountUsage]]:
    observed = [u for u in history.accounts.values() if u.start is not None and history.observed_from_start(u)]
    retained = sorted((u for u in observed if u.account_id in kept.retained), key=lambda u: u.account_id)
    others = sorted((u for u in observed if u.account_id in kept.not_retained), key=lambda u: u.account_id)
    return retained, others


def milestones(
    history: UsageHistory, classes: EventClasses, kept: Retention, defaults: ScoringRules
) -> tuple[Suggested, list[str]]:
    """The suggested milestones, and the events new accounts fire on arrival (for the journey)."""
    retained, others = _cohorts(history, kept)
    if len(retained) < MIN_ACCOUNTS:
        missing = _never_seen(classes, (m.event for m in defaults.milestones))
        notes = (f"none of the default milestones' events occurs here ({', '.join(missing)})",) if missing else ()
        why = (f"only {len(retained)} retained accounts signed up inside the stored history and are at least "
               f"{SETTLE_DAYS} days old (need {MIN_ACCOUNTS}); the others' first days are not stored")  # fmt: skip
        return Suggested("milestones", None, why, notes), []
    picks, arrival, close, level = [], [], [], []
    newcomers = retained + others
    contrast = len(others) >= MIN_ACCOUNTS
    for event in classes.use:
        if classes.roles[event] in (NameRole.LOGIN, NameRole.SIGNUP):
            continue
        days = [d for d in (_day_of(u, event) for u in retained) if d is not None and d < SETTLE_DAYS]
        on_arrival = sum(1 for u in newcomers if _day_of(u, event) == 0)
        if on_arrival >= ARRIVAL_SHARE * len(newcomers):
            arrival.append(event)
            continue
        if len(days) <= MILESTONE_SHARE * len(retained):
            if len(days) * 3 >= len(retained):
                close.append(f"{event} ({len(days) / len(retained):.0%})")
            continue
        other_days = [d for d in (_day_of(u, event) for u in others) if d is not None and d < SETTLE_DAYS]
        evidence = (
            f"done in the first {SETTLE_DAYS} days by {share(len(days), len(retained))} retained accounts"
            + (f" vs {share(len(other_days), len(others))} not retained" if others else "")
            + f"; median day {statistics.median(days):g}, {DUE_PERCENTILE}% by day {percentile(days, DUE_PERCENTILE)}"
        )
        numbers = {"retained_done": len(days), "retained": len(retained), "not_retained_done": len(other_days),
                   "not_retained": len(others), "median_day": statistics.median(days),
                   f"p{DUE_PERCENTILE}_day": percentile(days, DUE_PERCENTILE)}  # fmt: skip
        gap = len(days) / len(retained) - (len(other_days) / len(others) if others else 0.0)
        if contrast and gap <= 0:
            level.append(f"{event} ({len(days) / len(retained):.0%} vs {len(other_days) / len(others):.0%})")
            continue
        order = -gap if contrast else -len(days) / len(retained)
        picks.append((order, statistics.median(days), event, evidence, numbers, percentile(days, DUE_PERCENTILE)))
    picks.sort(key=lambda p: (p[0], p[2]))
    dropped = [f"{p[2]} ({p[4]['retained_done'] / len(retained):.0%})" for p in picks[MAX_MILESTONES:]]
    chosen = sorted(picks[:MAX_MILESTONES], key=lambda p: (p[1], p[2]))
    names: set[str] = set()
    result = []
    for _, _, event, evidence, numbers, due in chosen:
        name = words(event) if words(event) not in names else event
        names.add(name)
        result.append(MilestonePick(name, event, max(1, due), evidence, numbers))
    notes = []
    if arrival:
        notes.append(f"fired on their first day by >= {ARRIVAL_SHARE:.0%} of new accounts (arriving, not a "
                     f"milestone): {', '.join(arrival)}")  # fmt: skip
    if dropped:
        widest = "the widest gaps between retained and other accounts" if contrast else "the most widely done"
        notes.append(f"also done early by most retained accounts, left out (at most {MAX_MILESTONES}, {widest} "
                     "kept): " + ", ".join(dropped))  # fmt: skip
    if level:
        notes.append("done early as often by accounts that were not retained (telling nobody apart): "
                     + ", ".join(level))  # fmt: skip
    if close:
        notes.append("done early by a third to a half of retained accounts: " + ", ".join(close))
    reason = "" if result else f"no event is done in the first {SETTLE_DAYS} days by most retained accounts"
    return Suggested("milestones", tuple(result), reason, tuple(notes)), arrival


def journey(
    history: UsageHistory,
    classes: EventClasses,
    kept: Retention,
    suggested: Suggested,
    arrival: list[str],
    defaults: ScoringRules,
) -> Suggested:
    """An onboarding journey through the suggested milestones, when the data shows where it starts."""
    retained, _ = _cohorts(history, kept)
    if suggested.picks is None:
        return Suggested("journeys", None, "no milestones to follow (see above)", _harm(classes, defaults))
    steps = [pick.event for pick in suggested.picks]
    starts = [e for e in classes.use if classes.roles[e] is NameRole.SIGNUP] or arrival
    starts = sorted(starts, key=lambda e: (-sum(1 for u in retained if e in u.firsts), e))
    if not starts or len(steps) < 2:
        why = "no sign-up or arrival event starts one" if not starts else "fewer than 2 milestones to follow"
        return _no_journey(classes, defaults, why)
    start = starts[0]
    waits = []
    for usage in retained:
        if start in usage.firsts and all(step in usage.firsts for step in steps):
            begun = usage.firsts[start]
            progress = sorted([begun, *(max(begun, usage.firsts[step]) for step in steps)])
            waits.append(max((b - a).days for a, b in itertools.pairwise(progress)))
    if len(waits) < MIN_ACCOUNTS:
        return _no_journey(classes, defaults, f"only {len(waits)} retained accounts finished it (need {MIN_ACCOUNTS})")
    stuck = min(365, percentile(waits, DUE_PERCENTILE) + 1)
    evidence = (
        f"{len(waits)} retained accounts did all its steps; {DUE_PERCENTILE}% of them never waited longer than "
        f"{stuck - 1} days between two steps"
    )
    numbers = {"finished": len(waits), f"p{DUE_PERCENTILE}_longest_wait_days": stuck - 1}
    return Suggested("journeys", (JourneyPick("onboarding", start, tuple(steps), stuck, evidence, numbers),))


def _never_seen(classes: EventClasses, events: Iterable[str]) -> list[str]:
    seen = set(classes.events)
    return sorted({event for event in events if event not in seen})


def _harm(classes: EventClasses, defaults: ScoringRules) -> tuple[str, ...]:
    missing = _never_seen(classes, (e for j in defaults.journeys for e in (j.start_event, *j.steps)))
    return (f"the default journey names events that never occur here: {', '.join(missing)}",) if missing else ()


def _no_journey(classes: EventClasses, defaults: ScoringRules, why: str) -> Suggested:
    """No journey of our own: an empty list when the defaults' events do not occur here, else keep them."""
    harm = _harm(classes, defaults)
    if harm:
        return Suggested("journeys", (), f"{why}; the default journey would never start or never finish here", harm)
    return Suggested("journeys", None, f"{why}; the default journey's events all occur here")
