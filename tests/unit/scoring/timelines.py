"""Hand-made timelines for the scoring tests: offsets are days before `as_of` (0 = `as_of` itself)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from scoring.daily import days_inactive, read_daily
from scoring.model import AccountTimeline, DayActivity, HealthScore, PriorState, SignalValue, TicketFact, Trend
from scoring.rules import ScoringRules
from scoring.score import health_score, tier_for
from scoring.triggers import TriggerContext

AS_OF = date(2025, 3, 31)
DECIDED_AT = datetime(2025, 3, 31, 9, 30, tzinfo=UTC)
RULES = ScoringRules()
WORK = {"Signed In": 5, "Report Created": 8, "Dashboard Viewed": 8, "Export Completed": 4}
"""A healthy day for five users: 25 meaningful actions, 3 of the 5 key features."""
TEAM = ("ann", "bob", "cy", "dee", "eve")
ONBOARDED = {
    "Signed Up": 120,
    "Setup Completed": 118,
    "Integration Connected": 117,
    "Invite Sent": 115,
    "Onboarding Completed": 112,
    "Report Created": 116,
    "Export Completed": 110,
}
"""First-seen offsets of an account that finished onboarding and every milestone long ago."""


def day(offset: int, as_of: date = AS_OF) -> date:
    """The date `offset` days before `as_of`."""
    return as_of - timedelta(days=offset)


def steady(n_days: int, events: Mapping[str, int], first: int = 0) -> dict[int, dict[str, int]]:
    """The same events on each of `n_days` consecutive days, starting `first` days ago and going back."""
    return {offset: dict(events) for offset in range(first, first + n_days)}


def users_each_day(n_days: int, users: Iterable[str], first: int = 0) -> dict[int, tuple[str, ...]]:
    """The same users active on each of `n_days` consecutive days."""
    return dict.fromkeys(range(first, first + n_days), tuple(users))


def ticket(ticket_id: str, offset: int, category: str | None = None, *tags: str) -> TicketFact:
    """A ticket opened `offset` days before AS_OF."""
    return TicketFact(ticket_id=ticket_id, opened_on=day(offset), category=category, tags=tuple(tags))


def timeline(
    as_of: date = AS_OF,
    *,
    seats: int | None = 5,
    days: Mapping[int, Mapping[str, int]] | None = None,
    users_by_day: Mapping[int, Iterable[str]] | None = None,
    pages: Mapping[int, int] | None = None,
    first_seen: Mapping[str, int] | None = None,
    signed_up: int | None = 120,
    tickets: Iterable[TicketFact] = (),
    name: str | None = "Acme",
    account_id: str = "acct-1",
) -> AccountTimeline:
    """An account timeline; first_seen is derived from `days` (earliest offset) unless given explicitly."""
    days, users_by_day, pages = days or {}, users_by_day or {}, pages or {}
    seen: dict[str, int] = {}
    for offset, counts in days.items():
        for event, count in counts.items():
            if count > 0:
                seen[event] = max(seen.get(event, offset), offset)
    seen |= dict(first_seen or {})
    rollups: dict[date, DayActivity] = {}
    for offset in sorted(set(days) | set(users_by_day) | set(pages)):
        counts = dict(days.get(offset, {}))
        views = pages.get(offset, 0)
        rollups[day(offset, as_of)] = DayActivity(
            day=day(offset, as_of),
            events=sum(counts.values()) + views,
            page_views=views,
            event_counts=counts,
            user_counts=dict.fromkeys(users_by_day.get(offset, ()), 1),
        )
    return AccountTimeline(
        account_id=account_id,
        as_of=as_of,
        days=rollups,
        first_seen={event: day(offset, as_of) for event, offset in seen.items()},
        name=name,
        licensed_seats=seats,
        signed_up_on=None if signed_up is None else day(signed_up, as_of),
        tickets=tuple(tickets),
    )


def healthy(**overrides: object) -> AccountTimeline:
    """Five seats, five users doing 25 meaningful actions a day for 70 days, every milestone done."""
    days = steady(70, WORK)
    for offset in (2, 9, 16):
        days[offset] = dict(WORK, **{"Integration Connected": 1, "Invite Sent": 1})
    arguments: dict[str, object] = {"days": days, "users_by_day": users_each_day(70, TEAM), "first_seen": ONBOARDED}
    arguments |= overrides
    return timeline(**arguments)  # type: ignore[arg-type]


def signal(name: str, value: float | None) -> SignalValue:
    """A bare signal value."""
    return SignalValue(name, value, f"{name} explanation")


def scored(
    activity: float | None, engagement: float | None, milestones: float | None, recency: float | None
) -> HealthScore:
    """The health score of four given signal values under the default weights."""
    values = {"activity": activity, "engagement": engagement, "milestones": milestones, "recency": recency}
    return health_score({name: signal(name, value) for name, value in values.items()}, RULES.weights)


def context(
    account: AccountTimeline,
    score: int = 75,
    delta: int | None = None,
    prior: PriorState | None = None,
    rules: ScoringRules = RULES,
) -> TriggerContext:
    """What a trigger sees, with a score of `score` and a trend of `delta`."""
    value = float(score)
    health = scored(value, value, value, value)
    direction = None if delta is None else "declining" if delta < 0 else "improving" if delta > 0 else "stable"
    return TriggerContext(
        account,
        health,
        tier_for(health.value, rules.tiers),
        Trend(delta, direction),
        prior or PriorState(),
        rules,
        read_daily(account, rules),
        days_inactive(account, rules),
    )
