"""Playbook selection: which action, channel, owner and due time each new alert or tier episode calls for,
raised by the renewal and revenue at stake."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from scoring.daily import days_inactive, in_grace
from scoring.labels import number, plural, trigger_label
from scoring.model import AccountTimeline, HealthScore, Intervention, PriorState, Story, Trend, TriggerHit
from scoring.outcomes import in_control_group
from scoring.rules import TIER_LABELS, TIERS, PlaybookRow, ScoringRules
from scoring.story import heaviest_signal, problem, signal_lines, story_text


def row_for(trigger_id: str | None, tier: str, rules: ScoringRules) -> PlaybookRow:
    """The trigger's own row when `playbook.triggers` has one, else the current tier's row."""
    own_rows: Mapping[str, PlaybookRow] = rules.playbook.triggers
    tier_rows: Mapping[str, PlaybookRow] = rules.playbook.tiers
    own = own_rows.get(trigger_id) if trigger_id else None
    return own or tier_rows[tier]


def entered_worse_tier(tier: str, previous: str | None) -> bool:
    """True when the account moved into a worse tier than `previous` (None or unknown: never)."""
    if previous not in TIERS or tier not in TIERS:
        return False
    return TIERS.index(tier) > TIERS.index(previous)


MINUS = "\u2212"
"""A true minus sign (U+2212) for falls in the subject line, as typeset numbers use."""


def signed(delta: int) -> str:
    """+5, MINUS 18, ±0."""
    return f"+{delta}" if delta > 0 else f"{MINUS}{-delta}" if delta < 0 else "±0"


def headline(who: str, score: int, tier: str, trend: Trend, window_days: int) -> str:
    """'Acme: At Risk (55, MINUS 18 in 7 days)'."""
    change = f", {signed(trend.delta)} in {window_days} days" if trend.delta is not None else ""
    return f"{who}: {TIER_LABELS.get(tier, tier)} ({score}{change})"


def readable(value: object) -> str:
    """Evidence as a person reads it: 'days inactive 21; last active on 2025-03-10'."""
    if isinstance(value, Mapping):
        return "; ".join(f"{str(key).replace('_', ' ')} {readable(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, Mapping) for item in value):
            return " | ".join(f"({readable(item)})" for item in value)
        return ", ".join(readable(item) for item in value) or "none"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
PRIORITIES = ("low", "medium", "high")
KEY_LIMIT = 100


def most_urgent(rows: Sequence[PlaybookRow]) -> PlaybookRow:
    """Highest priority first, then the shortest due time."""
    return min(rows, key=lambda row: (PRIORITY_RANK[row.priority], row.due_hours))


def intervention_key(day: str, parts: Sequence[str]) -> str:
    """`<day>:<what opened>`, hashed when long; a retry of the same assessment gives the same key."""
    key = f"{day}:{'+'.join(parts)}"
    return key if len(key) <= KEY_LIMIT else f"{day}:{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def tier_play_due(timeline: AccountTimeline, tier: str, prior: PriorState, rules: ScoringRules) -> bool:
    """Every account gets its current tier's play once per tier episode (a run of days in one tier; a first
    score starts one), also when it was already in that tier when first scored. Not during a new account's
    grace days, and not again within `triggers.cooldown_days` of that tier's last play (a tier flapping
    back and forth). An episode whose start is unknown (`prior.tier_since` None) gets no play by staying put."""
    if tier not in TIERS or in_grace(timeline, rules):
        return False
    if tier != prior.previous_tier:
        since = timeline.as_of
    elif prior.tier_since is None:
        return False
    else:
        since = prior.tier_since
    last = prior.tier_plays.get(tier)
    if last is None:
        return True
    return last < since and (timeline.as_of - last).days >= rules.triggers.cooldown_days


def _opening(who: str, tier: str, prior: PriorState, score: HealthScore) -> str:
    """Why the tier's play is here, and what weighs on the score most."""
    label = TIER_LABELS[tier]
    if prior.previous_tier is None:
        text = f"{who} is in {label} (healthloop scored it for the first time)."
    elif prior.previous_tier != tier:
        text = f"{who} moved from {TIER_LABELS.get(prior.previous_tier, prior.previous_tier)} to {label}."
    else:
        since = f" since {prior.tier_since.isoformat()}" if prior.tier_since else ""
        text = f"{who} has been in {label}{since} and has not had the {label} play yet."
    heaviest = heaviest_signal(score)
    return f"{text} What weighs most on its score: {heaviest}." if heaviest else text


def _raised(priority: str) -> str:
    return PRIORITIES[min(len(PRIORITIES) - 1, PRIORITIES.index(priority) + 1)]


def with_stakes(
    row: PlaybookRow, tier: str, timeline: AccountTimeline, rules: ScoringRules
) -> tuple[PlaybookRow, tuple[str, ...]]:
    """The row as the account's renewal and revenue make it (`playbook.stakes`), and the lines saying so."""
    stakes = rules.playbook.stakes
    lines: list[str] = []
    owner, priority = row.owner, row.priority
    near: int | None = None
    if timeline.renewal_on is not None:
        days = (timeline.renewal_on - timeline.as_of).days
        if days >= 0:
            when = "today" if days == 0 else f"in {plural(days, 'day')}"
            lines.append(f"Renewal on {timeline.renewal_on.isoformat()}, {when}.")
            near = days if days <= stakes.renewal_within_days else None
    if timeline.mrr:
        lines.append(f"MRR {number(timeline.mrr)} (ARR {number(timeline.mrr * 12)}).")
    label = TIER_LABELS.get(tier, tier)
    if near is not None and stakes.escalate_from and TIERS.index(tier) >= TIERS.index(stakes.escalate_from):
        owner = "escalation" if owner == "csm" else owner
        priority = "high"
        lines.append(f"Escalated: {label} with a renewal {plural(near, 'day')} away goes to the escalation owner.")
    elif near is not None and stakes.raise_priority and tier != "healthy" and priority != "high":
        priority = _raised(priority)
        lines.append(f"Priority raised to {priority}: the renewal is {plural(near, 'day')} away.")
    if stakes.high_value_mrr and timeline.mrr and timeline.mrr >= stakes.high_value_mrr and priority != "high":
        priority = _raised(priority)
        lines.append(f"Priority raised to {priority}: MRR of {number(stakes.high_value_mrr)} or more.")
    if (owner, priority) == (row.owner, row.priority):
        return row, tuple(lines)
    return row.model_copy(update={"owner": owner, "priority": priority}), tuple(lines)


def plan(
    timeline: AccountTimeline,
    score: HealthScore,
    tier: str,
    trend: Trend,
    hits: Sequence[TriggerHit],
    fired: Sequence[TriggerHit],
    prior: PriorState,
    rules: ScoringRules,
    decided_at: datetime,
) -> tuple[Intervention, ...]:
    """At most one intervention per assessment: one task per real problem, however many signals show it.

    What opens it: newly fired triggers, and the current tier's play when it is due (`tier_play_due`: once
    per tier episode). Its playbook row is the most urgent of the rows they call for (each trigger's own
    row, else the tier's row), then adjusted for the renewal and revenue at stake (`with_stakes`); the
    story tells every problem. The key names the day and what opened it, so a retry decides the same key
    and the store ignores the duplicate, while a different trigger opening later that day gets its own.
    """
    who, day, window = timeline.name or timeline.account_id, timeline.as_of.isoformat(), rules.trend.window_days
    tier_play = tier_play_due(timeline, tier, prior, rules)
    if not fired and not tier_play:
        return ()
    rows = [row_for(hit.trigger_id, tier, rules) for hit in fired]
    if tier_play:
        rows.append(rules.playbook.tiers[tier])
    chosen = most_urgent(rows)
    lead = next((hit.trigger_id for hit in fired if row_for(hit.trigger_id, tier, rules) is chosen), None)
    row, stakes = with_stakes(chosen, tier, timeline, rules)
    still_true = [hit.trigger_id for hit in hits if hit not in fired]
    story = Story(
        opening=_opening(who, tier, prior, score) if tier_play else None,
        problems=tuple(problem(hit) for hit in fired),
        also_open=tuple(trigger_label(t) for t in still_true),
        health=f"{score.value} of 100 ({TIER_LABELS.get(tier, tier)})"
        + (f", {signed(trend.delta)} in {window} days." if trend.delta is not None else "."),
        signals=signal_lines(score),
        stakes=stakes,
        action=row.action,
        channels=tuple(row.channels),
        priority=row.priority,
        due_hours=row.due_hours,
    )
    titles = [trigger_label(hit.trigger_id) for hit in fired]
    parts = [hit.trigger_id for hit in fired] + ([f"tier-{tier}"] if tier_play else [])
    key = intervention_key(day, parts)
    share = rules.playbook.control_shares.get(lead or "tier_entry", rules.playbook.control_share)
    return (
        Intervention(
            key=key,
            trigger_id=lead,
            tier=tier,
            action=row.action,
            channels=tuple(row.channels),
            owner=row.owner,
            priority=row.priority,
            due_at=decided_at + timedelta(hours=row.due_hours),
            subject=f"{headline(who, score.value, tier, trend, window)} — {row.action}"
            + (f" ({', '.join(titles)})" if titles else ""),
            body=story_text(story),
            slack_alert=any(r.slack_alert for r in rows),
            trigger_ids=tuple(hit.trigger_id for hit in fired),
            control=in_control_group(timeline.account_id, key, lead, share),
            story=story,
            tier_play=tier_play,
        ),
    )


CLOSED_LOST = ("lost", "churned")
"""Renewal statuses after which the account is gone: no more work for it."""


def silence_horizon(rules: ScoringRules) -> int:
    """Days of silence after which the playbook creates no more work (`playbook.max_silence_days`, else
    `triggers.inactivity_max_days`: where win-back outreach gives up)."""
    return rules.playbook.max_silence_days or rules.triggers.inactivity_max_days


def why_no_work(timeline: AccountTimeline, rules: ScoringRules, latest_renewal: str | None) -> str | None:
    """Why no new work should be created for this account now, or None when it may get some.

    Nobody gets a task for an account whose latest renewal closed lost or churned, or that has been
    silent (no meaningful activity; never active: since its start) for longer than `silence_horizon`.
    """
    if latest_renewal in CLOSED_LOST:
        return f"its latest renewal closed {latest_renewal}"
    silence = days_inactive(timeline, rules)
    horizon = silence_horizon(rules)
    if silence is not None and silence[0] > horizon:
        return f"no meaningful activity for more than {horizon} days, the playbook's horizon"
    return None
