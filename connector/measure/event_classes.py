"""Which stored track events are use of the product, and which are not (by name, or background by data).

- **Not use, by name**: sign-outs, email and push channel events, app backgrounded/crashed/uninstalled,
  heartbeats, endings (`event_names.NON_USE_REASONS`).
- **Not use, by data (background)**: fired by >= 90% of accounts *and* on >= 80% of the days on which its
  account did nothing else (no other track event, no page view), pooled over those accounts, with at least
  20 such quiet days to judge by. Use happens when people use the product; an event that shows up as
  reliably when nothing else happens is the system talking. The rule runs in rounds: once an event is
  found to be background it no longer counts as use, so the events it fired beside can be judged next.
  Two background events that always fire together still hide each other: list them under `ignored` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.measure.event_names import NameRole, name_role, non_use_reason
from connector.measure.event_usage import UsageHistory
from connector.measure.suggestion import BACKGROUND_QUIET_SHARE, BACKGROUND_REACH, MIN_QUIET_DAYS, share


@dataclass(frozen=True)
class EventClasses:
    """Every stored track event, what its name says, and whether it is use."""

    events: tuple[str, ...]
    reach: dict[str, int]
    non_use: dict[str, str]
    """Event -> why it is not use (its name, or the background rule's numbers)."""
    roles: dict[str, NameRole]
    unjudged: tuple[str, ...] = ()
    """Events nearly every account fires that the background rule could not judge (too few quiet days)."""

    @property
    def use(self) -> tuple[str, ...]:
        return tuple(event for event in self.events if event not in self.non_use)


def classify(history: UsageHistory) -> EventClasses:
    """Every track event's reach, role and, when it is not use, why (background events found in rounds: once
    one is found it no longer counts as use, so an event it always fired beside can be judged next)."""
    reach: dict[str, int] = {}
    for usage in history.accounts.values():
        for event in usage.event_days:
            reach[event] = reach.get(event, 0) + 1
    events = tuple(sorted(reach))
    accounts = len(history.accounts)
    non_use = {
        event: f"not use, by its name: {reason}; {share(reach[event], accounts)} accounts"
        for event in events
        if (reason := non_use_reason(event)) is not None
    }
    candidates = [e for e in events if e not in non_use and reach[e] >= BACKGROUND_REACH * accounts]
    background: set[str] = set()
    while True:
        found, unjudged = {}, []
        for event in candidates:
            if event in background:
                continue
            alone, quiet = _quiet_days(history, event, frozenset(background))
            if quiet < MIN_QUIET_DAYS:
                unjudged.append(f"{event} ({quiet} quiet days)")
            elif alone >= BACKGROUND_QUIET_SHARE * quiet:
                found[event] = (
                    f"background: fired by {share(reach[event], accounts)} accounts, and on {alone / quiet:.0%} of "
                    f"the {quiet:,} days they did nothing else"
                )
        if not found:
            break
        background |= set(found)
        non_use |= found
    return EventClasses(events, reach, non_use, {event: name_role(event) for event in events}, tuple(unjudged))


def _quiet_days(history: UsageHistory, event: str, background: frozenset[str]) -> tuple[int, int]:
    """(days `event` was all there was, days nothing but it happened), over the accounts that fired it, with
    the plainly non-use events and `background` set aside."""
    alone = quiet = 0
    for usage in history.accounts.values():
        if event not in usage.event_days:
            continue
        assert history.last_day is not None and usage.first_active is not None
        idle = (history.last_day - usage.first_active).days + 1 - usage.busy_days
        only = 0
        for day_events, days in usage.small_days.items():
            rest = day_events - background
            if not rest:
                idle += days
            elif rest == {event}:
                only += days
        alone += only
        quiet += idle + only
    return alone, quiet
