"""The eleven triggers: one small function per id, each returning the evidence and the story, or None."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from scoring.daily import Daily, age, covered_days, days_inactive, in_grace, read_daily, seen_by
from scoring.model import UNKNOWN_POPULATION, AccountTimeline, HealthScore, Population, PriorState, Trend, TriggerHit
from scoring.rules import TIER_LABELS, ScoringRules
from scoring.score import SIGNAL_LABELS

MIN_EARLIER_LOGINS = 5
"""`login_decline` judges a drop only when the earlier window had at least this many logins (1 -> 0 is noise)."""


@dataclass(frozen=True, slots=True)
class TriggerContext:
    """What every trigger may look at, with the inactivity count worked out once."""

    timeline: AccountTimeline
    score: HealthScore
    tier: str
    trend: Trend
    prior: PriorState
    rules: ScoringRules
    daily: Daily
    inactivity: tuple[int, date | None] | None
    population: Population = UNKNOWN_POPULATION

    @property
    def who(self) -> str:
        """The account as a CSM knows it."""
        return self.timeline.name or self.timeline.account_id


def _silence(ctx: TriggerContext, days: int, last: date | None) -> str:
    if last is None:
        return f"{ctx.who} has shown no meaningful activity in the {days} days since it started"
    return f"{ctx.who} has had no meaningful activity for {days} days (last on {last.isoformat()})"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def low_score(ctx: TriggerContext) -> TriggerHit | None:
    """Score < alerts.low_score_below (not during a new account's grace days)."""
    value, limit = ctx.score.value, ctx.rules.alerts.low_score_below
    if value >= limit or in_grace(ctx.timeline, ctx.rules):
        return None
    evidence: dict[str, object] = {"score": value, "below": limit, "tier": ctx.tier}
    label = TIER_LABELS.get(ctx.tier, ctx.tier)
    text = f"{ctx.who}'s health score is {value}/100 ({label}), below the alert threshold of {limit}."
    valued = [s for s in ctx.score.signals.values() if s.value is not None]
    if valued:
        weakest = min(valued, key=lambda s: s.value or 0.0)
        evidence |= {"weakest_signal": weakest.name, "weakest_value": weakest.value}
        name = SIGNAL_LABELS.get(weakest.name, weakest.name)
        text += f" Weakest signal: {name} {weakest.value:.0f}/100 ({weakest.explanation})."
    return TriggerHit("low_score", evidence, text)


def score_drop(ctx: TriggerContext) -> TriggerHit | None:
    """earlier - score >= alerts.drop_points, earlier = the score alerts.drop_window_days ago."""
    days, points = ctx.rules.alerts.drop_window_days, ctx.rules.alerts.drop_points
    earlier = ctx.prior.score_days_ago.get(days)
    if earlier is None or earlier - ctx.score.value < points:
        return None
    drop = earlier - ctx.score.value
    text = (
        f"{ctx.who}'s health score fell {drop} points in {days} days, from {earlier} to {ctx.score.value} "
        f"(alert threshold: a drop of {points} or more)."
    )
    return TriggerHit("score_drop", {"score": ctx.score.value, "earlier": earlier, "drop": drop, "days": days}, text)


def inactive(ctx: TriggerContext) -> TriggerHit | None:
    """Days since the last meaningful activity (since the start, if never active) >= alerts.inactive_days."""
    limit = ctx.rules.alerts.inactive_days
    if ctx.inactivity is None or ctx.inactivity[0] < limit:
        return None
    days, last = ctx.inactivity
    text = f"{_silence(ctx, days, last)}; the alert threshold is {limit} days."
    return TriggerHit("inactive", {"days_inactive": days, "last_active_on": _iso(last), "threshold": limit}, text)


def stuck_in_journey(ctx: TriggerContext) -> TriggerHit | None:
    """A started journey, not finished, whose last progress is >= stuck_after_days old; one hit for all of them."""
    timeline, stuck = ctx.timeline, []
    for journey in ctx.rules.journeys:
        started = seen_by(timeline, journey.start_event)
        if started is None and journey.start_event in ctx.rules.events.signups:
            started = min(filter(None, (seen_by(timeline, e) for e in ctx.rules.events.signups)), default=None)
        if started is None:
            continue
        reached = {step: seen_by(timeline, step) for step in journey.steps}
        missing = [step for step, day in reached.items() if day is None]
        progress = max([started, *(day for day in reached.values() if day is not None)])
        idle = age(timeline, progress)
        if missing and idle >= journey.stuck_after_days:
            stuck.append({
                "journey": journey.name,
                "started_on": started.isoformat(),
                "last_progress_on": progress.isoformat(),
                "days_without_progress": idle,
                "threshold_days": journey.stuck_after_days,
                "done_steps": [step for step in journey.steps if step not in missing],
                "missing_steps": missing,
            })  # fmt: skip
    if not stuck:
        return None
    stories = "; ".join(
        f"the {j['journey']} journey (started {j['started_on']}) has made no progress for {j['days_without_progress']} "
        f"days (threshold {j['threshold_days']}), still missing {', '.join(j['missing_steps'])}"
        for j in stuck
    )
    text = f"{ctx.who} is stuck: {stories}. Help them complete the step they are stuck on."
    return TriggerHit("stuck_in_journey", {"journeys": stuck}, text)


def health_drop(ctx: TriggerContext) -> TriggerHit | None:
    """A drop of >= triggers.health_drop_points over the trend window AND score < triggers.health_drop_below."""
    rules, delta, value = ctx.rules.triggers, ctx.trend.delta, ctx.score.value
    if delta is None or -delta < rules.health_drop_points or value >= rules.health_drop_below:
        return None
    days = ctx.rules.trend.window_days
    text = (
        f"{ctx.who}'s health score dropped {-delta} points in {days} days ({value - delta} → {value}) and is below "
        f"{rules.health_drop_below}: something changed — a key user may have left or a bad experience happened. "
        "Reach out personally about the specific change."
    )
    evidence = {"score": value, "earlier": value - delta, "drop": -delta, "days": days}
    evidence["below"] = rules.health_drop_below
    return TriggerHit("health_drop", evidence, text)


def inactivity_winback(ctx: TriggerContext) -> TriggerHit | None:
    """triggers.inactivity_min_days <= days inactive <= triggers.inactivity_max_days."""
    low, high = ctx.rules.triggers.inactivity_min_days, ctx.rules.triggers.inactivity_max_days
    if ctx.inactivity is None or not low <= ctx.inactivity[0] <= high:
        return None
    days, last = ctx.inactivity
    text = (
        f"{_silence(ctx, days, last)}, inside the {low}-{high} day win-back window: remind them of the value "
        "they signed up for and offer one easy step back in."
    )
    evidence = {"days_inactive": days, "last_active_on": _iso(last), "min_days": low, "max_days": high}
    return TriggerHit("inactivity_winback", evidence, text)


def login_decline(ctx: TriggerContext) -> TriggerHit | None:
    """Logins in the last L days fell >= login_decline_pct % vs the L days before (which had >= MIN_EARLIER_LOGINS)."""
    rules, logins = ctx.rules.triggers, tuple(dict.fromkeys(ctx.rules.events.logins))
    length = rules.login_decline_window_days
    recent, earlier = ctx.daily.event_total(logins, length), ctx.daily.event_total(logins, length, offset=length)
    if earlier < MIN_EARLIER_LOGINS or (earlier - recent) * 100 < rules.login_decline_pct * earlier:
        return None
    pct = round(100 * (earlier - recent) / earlier, 1)
    text = (
        f"Logins at {ctx.who} fell {pct:g}% over the last {length} days: {recent} logins vs {earlier} in the "
        f"{length} days before (threshold: a {rules.login_decline_pct:g}% drop)."
    )
    evidence = {"recent_logins": recent, "earlier_logins": earlier, "drop_pct": pct, "window_days": length}
    return TriggerHit("login_decline", evidence, text)


def core_feature_unused(ctx: TriggerContext) -> TriggerHit | None:
    """Onboarding completed >= core_feature_grace_days ago and `events.core_feature` never seen."""
    events, grace = ctx.rules.events, ctx.rules.triggers.core_feature_grace_days
    core = events.core_feature if events.core_feature and ctx.population.has_seen(events.core_feature) else None
    done = min(filter(None, (seen_by(ctx.timeline, e) for e in events.onboarding_completed)), default=None)
    if core is None or done is None or seen_by(ctx.timeline, core) is not None:
        return None
    since = age(ctx.timeline, done)
    if since < grace:
        return None
    text = (
        f"{ctx.who} completed onboarding on {done.isoformat()} ({since} days ago) but has never used "
        f"{core}, the core feature: show them the first step to its value."
    )
    evidence = {"core_feature": core, "onboarding_completed_on": done.isoformat(), "days_since_onboarding": since}
    return TriggerHit("core_feature_unused", evidence, text)


def seats_inactive(ctx: TriggerContext) -> TriggerHit | None:
    """Seats known and idle seats >= seats_inactive_share * seats over the last seats_idle_days.

    Idle seats = seats - distinct users with any activity in the window (never below 0). Only
    judged once the account is at least that window old (new seats are not "gone inactive").
    """
    timeline, rules = ctx.timeline, ctx.rules.triggers
    seats, length = timeline.licensed_seats, rules.seats_idle_days
    if not seats or seats <= 0 or covered_days(timeline, length, 0, ctx.daily.start) < length:
        return None
    users = ctx.daily.active_user_count(length)
    idle = max(0, seats - users)
    if idle < rules.seats_inactive_share * seats - 1e-9:
        return None
    text = (
        f"{idle} of {ctx.who}'s {seats} licensed seats have been idle for the last {length} days: "
        f"{users} active user{'' if users == 1 else 's'} (threshold: {rules.seats_inactive_share:.0%} idle)."
    )
    evidence = {"seats": seats, "active_users": users, "idle_seats": idle, "window_days": length}
    return TriggerHit("seats_inactive", evidence, text)


def setup_incomplete(ctx: TriggerContext) -> TriggerHit | None:
    """Started >= setup_grace_days ago and none of `events.setup_completed` seen."""
    timeline, grace = ctx.timeline, ctx.rules.triggers.setup_grace_days
    # A setup event no account has ever fired is a wrong name, not an account that needs help.
    marks = [mark for mark in ctx.rules.events.setup_completed if ctx.population.has_seen(mark)]
    start = ctx.daily.start
    if not marks or start is None or age(timeline, start) < grace:
        return None
    if any(seen_by(timeline, mark) is not None for mark in marks):
        return None
    since = age(timeline, start)
    text = (
        f"{ctx.who} signed up on {start.isoformat()}, {since} days ago, and has not completed setup "
        f"(none of {', '.join(marks)} seen; expected within {grace} days). They likely need help but may not ask."
    )
    evidence = {"signed_up_on": start.isoformat(), "days_since_signup": since, "grace_days": grace}
    return TriggerHit("setup_incomplete", evidence, text)


def ticket_cluster(ctx: TriggerContext) -> TriggerHit | None:
    """>= ticket_cluster_count tickets opened in the last ticket_cluster_days sharing a category or tag (any case)."""
    rules, timeline = ctx.rules.triggers, ctx.timeline
    issues: dict[str, set[str]] = {}
    for ticket in timeline.tickets:
        if 0 <= age(timeline, ticket.opened_on) < rules.ticket_cluster_days:
            labels = {label.strip().lower() for label in (ticket.category, *ticket.tags) if label and label.strip()}
            for label in labels:
                issues.setdefault(label, set()).add(ticket.ticket_id)
    clusters = sorted(
        ((label, sorted(ids)) for label, ids in issues.items() if len(ids) >= rules.ticket_cluster_count),
        key=lambda item: (-len(item[1]), item[0]),
    )
    if not clusters:
        return None
    stories = "; ".join(f'{len(ids)} tickets about "{label}" ({", ".join(ids)})' for label, ids in clusters)
    text = (
        f"{ctx.who} opened {stories} in the last {rules.ticket_cluster_days} days: a recurring problem that needs "
        "a fix or better onboarding, not ticket-by-ticket answers."
    )
    evidence = {
        "issues": [{"issue": label, "tickets": len(ids), "ticket_ids": ids} for label, ids in clusters],
        "window_days": rules.ticket_cluster_days,
    }
    return TriggerHit("ticket_cluster", evidence, text)


TRIGGERS: dict[str, Callable[[TriggerContext], TriggerHit | None]] = {
    "low_score": low_score,
    "score_drop": score_drop,
    "inactive": inactive,
    "stuck_in_journey": stuck_in_journey,
    "health_drop": health_drop,
    "inactivity_winback": inactivity_winback,
    "login_decline": login_decline,
    "core_feature_unused": core_feature_unused,
    "seats_inactive": seats_inactive,
    "setup_incomplete": setup_incomplete,
    "ticket_cluster": ticket_cluster,
}


def evaluate(
    timeline: AccountTimeline,
    score: HealthScore,
    tier: str,
    trend: Trend,
    prior: PriorState,
    rules: ScoringRules,
    daily: Daily | None = None,
    population: Population = UNKNOWN_POPULATION,
) -> list[TriggerHit]:
    """Every trigger enabled in `rules.triggers.enabled` that is true now, in `TRIGGER_IDS` order.

    Triggers that look for a configured event (setup, the core feature) stay quiet when no account has
    ever fired it: the name is wrong for this product, and firing for everyone would say nothing."""
    daily = daily or read_daily(timeline, rules)
    inactivity = days_inactive(timeline, rules, daily)
    ctx = TriggerContext(timeline, score, tier, trend, prior, rules, daily, inactivity, population)
    enabled = set(rules.triggers.enabled)
    return [hit for trigger_id, check in TRIGGERS.items() if trigger_id in enabled and (hit := check(ctx)) is not None]
