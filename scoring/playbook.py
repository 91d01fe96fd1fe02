"""Playbook selection: which action, channel, owner and due time each new alert or tier entry calls for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from scoring.model import AccountTimeline, HealthScore, Intervention, PriorState, Trend, TriggerHit
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
    """The interventions this assessment decides, tier entry first, then one per newly fired trigger.

    - Entering a worse tier than `prior.previous_tier` adds the tier's row under key
      `tier:<tier>:<as_of>`; a first-ever score (no previous tier) and any improvement add none.
    - Each fired trigger adds its own row (else the current tier's) under `trigger:<id>:<as_of>`.
    due_at = decided_at + due_hours. Keys depend only on the id and the day, so a retry of the same
    day decides the same keys and the store can ignore the duplicates.
    """
    who, day, window = timeline.name or timeline.account_id, timeline.as_of.isoformat(), rules.trend.window_days
    head = headline(who, score.value, tier, trend, window)
    decided: list[Intervention] = []

    def add(key: str, trigger_id: str | None, subject: str, body: str) -> None:
        row = row_for(trigger_id, tier, rules)
        decided.append(
            Intervention(
                key=key,
                trigger_id=trigger_id,
                tier=tier,
                action=row.action,
                channels=tuple(row.channels),
                owner=row.owner,
                priority=row.priority,
                due_at=decided_at + timedelta(hours=row.due_hours),
                subject=f"{subject} — {row.action}" + (f" ({TRIGGER_TITLES[trigger_id]})" if trigger_id else ""),
                body=f"{body}\n\n{_context(score, tier, trend, window, row)}",
                slack_alert=row.slack_alert,
            )
        )

    if entered_worse_tier(tier, prior.previous_tier):
        before = TIER_LABELS.get(prior.previous_tier or "", prior.previous_tier)
        story = f"{who} moved from {before} to {TIER_LABELS[tier]}."
        if hits:
            story += " What is true now:\n" + "\n".join(f"- {_story(hit)}" for hit in hits)
        add(f"tier:{tier}:{day}", None, head, "\n".join([story, *score.notes]))
    for hit in fired:
        add(f"trigger:{hit.trigger_id}:{day}", hit.trigger_id, head, _story(hit))
    return tuple(decided)
