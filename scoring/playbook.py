"""Playbook selection: which action, channel, owner and due time each new alert or tier entry calls for."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from scoring.daily import days_inactive, in_grace
from scoring.model import AccountTimeline, HealthScore, Intervention, PriorState, Trend, TriggerHit
from scoring.outcomes import in_control_group
from scoring.rules import SIGNALS, TIER_LABELS, TIERS, PlaybookRow, ScoringRules
from scoring.score import SIGNAL_LABELS
from scoring.triggers import TRIGGER_TITLES


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


def _due_text(hours: float) -> str:
    if hours == 0:
        return "immediately"
    if hours >= 48 and hours % 24 == 0:
        return f"within {hours / 24:g} days"
    return f"within {hours:g} hours"


def _context(score: HealthScore, tier: str, trend: Trend, window_days: int, row: PlaybookRow) -> str:
    change = f", {signed(trend.delta)} in {window_days} days" if trend.delta is not None else ""
    values = {name: score.signals[name].value if name in score.signals else None for name in SIGNALS}
    signals = ", ".join(f"{SIGNAL_LABELS[n]} {'n/a' if v is None else f'{v:.0f}'}" for n, v in values.items())
    return (
        f"Health {score.value}/100 ({TIER_LABELS.get(tier, tier)}){change}. Signals: {signals}.\n"
        f"Playbook: {row.action} via {', '.join(row.channels)}; owner {row.owner}; {row.priority} priority, "
        f"due {_due_text(row.due_hours)}."
    )


def _story(hit: TriggerHit) -> str:
    return f"{hit.explanation}\nEvidence: {readable(dict(hit.evidence))}."


PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
KEY_LIMIT = 100


def most_urgent(rows: Sequence[PlaybookRow]) -> PlaybookRow:
    """Highest priority first, then the shortest due time."""
    return min(rows, key=lambda row: (PRIORITY_RANK[row.priority], row.due_hours))


def intervention_key(day: str, parts: Sequence[str]) -> str:
    """`<day>:<what opened>`, hashed when long; a retry of the same assessment gives the same key."""
    key = f"{day}:{'+'.join(parts)}"
    return key if len(key) <= KEY_LIMIT else f"{day}:{hashlib.sha256(key.encode()).hexdigest()[:24]}"


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

    What opens it: newly fired triggers, and entering a worse tier than `prior.previous_tier`
    (a first-ever score, an improvement, or an account still in its first
    `alerts.new_account_grace_days` days opens none by tier alone). Its playbook row is the most
    urgent of the rows they call for (each trigger's own row, else the tier's row); the body tells
    every story. The key names the day and what opened it, so a retry decides the same key and
    the store ignores the duplicate, while a different trigger opening later that day gets its own.
    """
    who, day, window = timeline.name or timeline.account_id, timeline.as_of.isoformat(), rules.trend.window_days
    entered = entered_worse_tier(tier, prior.previous_tier) and not in_grace(timeline, rules)
    if not fired and not entered:
        return ()
    rows = [row_for(hit.trigger_id, tier, rules) for hit in fired]
    if entered:
        rows.append(rules.playbook.tiers[tier])
    row = most_urgent(rows)
    lead = next((hit.trigger_id for hit in fired if row_for(hit.trigger_id, tier, rules) is row), None)
    stories = []
    if entered:
        before = TIER_LABELS.get(prior.previous_tier or "", prior.previous_tier)
        stories.append(f"{who} moved from {before} to {TIER_LABELS[tier]}.")
    stories += [f"- {_story(hit)}" for hit in fired]
    still_true = [hit for hit in hits if hit not in fired]
    if still_true:
        stories.append(
            "Still open from before: " + ", ".join(TRIGGER_TITLES[hit.trigger_id] for hit in still_true) + "."
        )
    titles = [TRIGGER_TITLES[hit.trigger_id] for hit in fired]
    parts = [hit.trigger_id for hit in fired] + ([f"tier-{tier}"] if entered else [])
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
            body="\n".join([*stories, *score.notes, "", _context(score, tier, trend, window, row)]),
            slack_alert=any(r.slack_alert for r in rows),
            trigger_ids=tuple(hit.trigger_id for hit in fired),
            control=in_control_group(timeline.account_id, key, lead, share),
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
