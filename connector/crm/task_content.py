"""What a CSM reads in the CRM: task bodies from each intervention's story, tier-change notes that say why,
and the update a task gets when its problem clears. Structure only (`RichText`); each adapter renders it the
way its CRM shows bodies. No internal ids, and no channel that is not configured."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector.store.models import Intervention
from crm_adapters.rich_text import Block, Bullets, Link, Paragraph, RichText
from scoring.labels import CHANNEL_WORDS, SIGNAL_WORDS, joined, trigger_label, trigger_labels
from scoring.model import Story
from scoring.rules import TIER_LABELS, TierBands
from scoring.story import what_to_do

MOVE_POINTS = 5
"""A signal that moved at least this much is named in a tier-change note."""


@dataclass(frozen=True)
class Channels:
    """Which of healthloop's own channels are set up: only those are mentioned to the CSM."""

    slack: bool = False
    sequence: bool = False
    """A sequence (cadence) is configured for this play: healthloop enrolls the contact itself."""


def link(name: str, url: str | None) -> tuple[Block, ...]:
    return (Link(f"Open {name} in healthloop", url),) if url else ()


def _what_to_do(story: Story, channels: Channels) -> str:
    shown = [c for c in story.channels if c != "slack" or channels.slack]
    if "email_sequence" in shown and not channels.sequence:
        shown = ["email" if c == "email_sequence" else c for c in shown]
    text = what_to_do(story, [c for c in dict.fromkeys(shown) if c != "slack"])
    extra = []
    if "email_sequence" in shown:
        extra.append("healthloop enrolls the company's contact in the configured sequence.")
    if "slack" in shown:
        extra.append(f"healthloop also sent {CHANNEL_WORDS['slack']}.")
    return " ".join([text, *extra])


def task_body(intervention: Intervention, name: str, channels: Channels, url: str | None) -> RichText:
    """The task body: the story in words, the evidence in numbers, the health now, what is at stake, what to do,
    and the link to the account's page."""
    story = Story.from_json(intervention.story)
    if story is None:
        # Decided before stories were kept as data: its text, paragraph by paragraph.
        paragraphs = [part.strip() for part in intervention.body.split("\n\n") if part.strip()]
        return RichText(tuple(Paragraph(part) for part in paragraphs) + link(name, url))
    blocks: list[Block] = []
    if story.opening:
        blocks.append(Paragraph(story.opening))
    for problem in story.problems:
        blocks.append(Paragraph(problem.story, lead=f"{problem.label}."))
        if problem.evidence:
            blocks.append(Bullets(problem.evidence))
    if story.also_open:
        blocks.append(Paragraph(", ".join(story.also_open) + ".", lead="Also open:"))
    blocks.append(Paragraph(story.health, lead="Health now:"))
    if story.signals:
        blocks.append(Bullets(story.signals))
    if story.stakes:
        blocks.append(Paragraph(" ".join(story.stakes), lead="At stake:"))
    blocks.append(Paragraph(_what_to_do(story, channels), lead="What to do:"))
    return RichText(tuple(blocks) + link(name, url))


def next_action_text(intervention: Intervention) -> str:
    """One line: the play and the problems behind it ("Human CSM outreach (Low health score, Most seats idle)")."""
    action = intervention.action[:1].upper() + intervention.action[1:]
    labels = trigger_labels(list(intervention.trigger_ids or ()))
    return f"{action} ({labels})" if labels else action


def _band(tier: str, bands: TierBands) -> str:
    lower = {"healthy": bands.healthy, "monitor": bands.monitor, "at_risk": bands.at_risk, "critical": bands.critical}
    upper = {"monitor": bands.healthy, "at_risk": bands.monitor, "critical": bands.at_risk, "churning": bands.critical}
    if tier == "healthy":
        return f"{lower[tier]} and above"
    if tier == "churning":
        return f"below {upper[tier]}"
    return f"{lower[tier]} to {upper[tier] - 1}"


def tier_note(
    name: str, before: Mapping[str, Any], after: Mapping[str, Any], bands: TierBands | None, url: str | None
) -> RichText:
    """A tier change that always says why: the scores, the signals that moved, the reason line, the problems
    open now, and when the score did not move, that the tier bands did."""
    old, new = TIER_LABELS.get(before["tier"], before["tier"]), TIER_LABELS.get(after["tier"], after["tier"])
    head = f"{name} moved from {old} to {new}: score {before.get('score')} → {after.get('score')}"
    if bands is not None and after["tier"] in TIER_LABELS:
        head += f" ({new} is {_band(after['tier'], bands)})"
    blocks: list[Block] = [Paragraph(head + ".")]
    if before.get("score") == after.get("score"):
        blocks.append(Paragraph("The score did not change: the tier bands in healthloop's configuration did."))
    moves = []
    old_signals, new_signals = before.get("signals") or {}, after.get("signals") or {}
    for key, word in SIGNAL_WORDS.items():
        was, now = old_signals.get(key), new_signals.get(key)
        if was is not None and now is not None and abs(now - was) >= MOVE_POINTS:
            moves.append((abs(now - was), f"{word} {round(was)} → {round(now)}"))
    idle = after.get("idle_seats")
    facts = [text for _, text in sorted(moves, reverse=True)]
    if idle:
        facts.append(f"{idle.get('idle_seats')} of {idle.get('seats')} seats idle for {idle.get('window_days')} days")
    if facts:
        blocks.append(Bullets(tuple(facts)))
    if after.get("reason"):
        blocks.append(Paragraph(str(after["reason"]), lead="Why:"))
    triggers = list(after.get("triggers") or ())
    if triggers:
        blocks.append(Paragraph(trigger_labels(triggers) + ".", lead="Open problems:"))
    return RichText(tuple(blocks) + link(name, url))


def cleared_note(intervention: Intervention, row: Any, day: str) -> RichText:
    """The update a task gets when everything behind it cleared before it was done."""
    if intervention.trigger_ids:
        what = joined([trigger_label(t) for t in intervention.trigger_ids])
        verb = "cleared" if len(intervention.trigger_ids) == 1 else "all cleared"
    else:
        what, verb = f"the {TIER_LABELS.get(intervention.tier, intervention.tier)} tier", "is behind the account"
    now = f" The account now scores {row.score} ({TIER_LABELS.get(row.tier, row.tier)})." if row else ""
    return RichText((Paragraph(f"{what} {verb} before this task was done.{now}", lead=f"Update {day}:"),))
