"""The story behind one intervention, as data: what happened, the evidence in numbers, the health now,
what is at stake and what to do. The connector renders it for each CRM (rich text, plain text) and adds
what only it knows (owner, configured channels, the link to the account); `story_text` is the plain
rendering stored as the intervention's body (and sent to Slack)."""

from __future__ import annotations

from collections.abc import Sequence

from scoring.labels import CHANNEL_WORDS, SIGNAL_WORDS, due_words, evidence_lines, joined, trigger_label
from scoring.model import HealthScore, Problem, Story, TriggerHit
from scoring.rules import SIGNALS


def problem(hit: TriggerHit) -> Problem:
    return Problem(hit.trigger_id, trigger_label(hit.trigger_id), hit.explanation, tuple(evidence_lines(
        hit.trigger_id, hit.evidence)))  # fmt: skip


def heaviest_signal(score: HealthScore) -> str | None:
    """The signal that costs the score the most points (weight used x points below 100), as a signal line."""
    costs = [
        (score.weights_used.get(name, 0.0) * (100 - (signal.value or 0.0)), name)
        for name, signal in score.signals.items()
        if signal.value is not None and name in SIGNALS
    ]
    if not costs or max(costs)[0] <= 0:
        return None
    name = max(costs)[1]
    signal = score.signals[name]
    return f"{SIGNAL_WORDS[name]} {signal.value:.0f} of 100: {signal.explanation}"


def signal_lines(score: HealthScore) -> tuple[str, ...]:
    """Each signal with its value and explanation, as a person reads it."""
    lines = []
    for name in SIGNALS:
        signal = score.signals.get(name)
        if signal is None:
            continue
        word = SIGNAL_WORDS[name]
        if signal.value is None:
            lines.append(f"{word}: no data ({signal.explanation})")
        else:
            lines.append(f"{word} {signal.value:.0f} of 100: {signal.explanation}")
    return tuple(lines)


def sentence(text: str) -> str:
    """First letter up, a full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def what_to_do(story: Story, channels: Sequence[str] | None = None) -> str:
    """ "Personalized re-engagement: an email, today (high priority)." over the given channels (default: all but
    Slack and the task itself, which are not something the CSM does)."""
    shown = [c for c in (story.channels if channels is None else channels) if c not in ("slack", "task")]
    how = joined([CHANNEL_WORDS.get(c, c.replace("_", " ")) for c in shown])
    action = story.action[:1].upper() + story.action[1:]
    return f"{action}{' — ' + how if how else ''}, {due_words(story.due_hours)} ({story.priority} priority)."


def story_text(story: Story) -> str:
    """The story as plain text: the intervention body kept in healthloop and sent to Slack."""
    parts: list[str] = []
    if story.opening:
        parts.append(story.opening)
    for item in story.problems:
        parts.append(f"{item.label}: {item.story}\n" + "\n".join(f"- {line}" for line in item.evidence))
    if story.also_open:
        parts.append("Also open: " + ", ".join(story.also_open) + ".")
    signals = "".join(f"\n- {line}" for line in story.signals)
    parts.append(f"Health now: {story.health}{signals}")
    if story.stakes:
        parts.append("\n".join(story.stakes))
    parts.append("What to do: " + what_to_do(story))
    return "\n\n".join(part.strip() for part in parts if part.strip())
