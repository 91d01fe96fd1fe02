"""Write a `config suggest` proposal as YAML an admin reads and edits: every value with its evidence.

Values are quoted by PyYAML's own emitter whenever a plain scalar would not read back as the same
string (`a: b`, `yes`, `123`, a leading `-`...); comments are kept to one line of printable text, so
no event name can break the file. A key the data cannot support is written commented out, with the
built-in default, so the file still means "the default" there.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import yaml

from connector.measure.suggestion import JourneyPick, MilestonePick, Pick, Suggested, Suggestion
from scoring.rules import ScoringRules

WIDTH = 110
COMMENT_COLUMN_MAX = 44
_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

HEADER = (
    "Proposed by `healthloop config suggest` from the stored history. Nothing is applied.",
    "Read the evidence beside each value, edit, check with `healthloop config check FILE`, compare with",
    "`healthloop config diff FILE`, then copy these sections into your config (HEALTHLOOP_CONFIG).",
    'The rules behind each choice: docs/configuration.md, "Starting from your own data".',
)


def scalar(value: str) -> str:
    """`value` as a YAML scalar that reads back as exactly this string (plain when that is safe)."""
    text = yaml.safe_dump(value, allow_unicode=True, width=10**9)
    text = text.removesuffix("\n...\n").removesuffix("\n")
    # Line breaks (also NEL, LS, PS) fold inside plain and single-quoted scalars: escape them instead.
    if any(c in text for c in "\n\r\x85\u2028\u2029") or yaml.safe_load(f"k: {text}") != {"k": value}:
        text = yaml.safe_dump(value, allow_unicode=True, width=10**9, default_style='"').rstrip("\n")
    return text


def comment_text(text: str) -> str:
    """One line of printable text (line breaks and control characters in event names would end a comment)."""
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    return " ".join(text.split())


def _comments(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(comment_text(text), WIDTH - len(indent) - 2)] or []


def _with_comment(code: str, comment: str, column: int) -> list[str]:
    """`code  # comment` on one line when it fits the width, else the comment wrapped above the code."""
    if not comment:
        return [code]
    line = f"{code.ljust(column)}  # {comment_text(comment)}"
    if len(line) <= WIDTH:
        return [line]
    return [*_comments(comment, " " * (len(code) - len(code.lstrip()))), code]


def _default_lines(key: str, value: Any, indent: str) -> list[str]:
    if value is None or isinstance(value, str):
        return [f"{indent}# {key}: {'null' if value is None else scalar(value)}"]
    dumped = yaml.safe_dump({key: value}, default_flow_style=None, sort_keys=False, allow_unicode=True, width=10**9)
    return [f"{indent}# {line}" for line in dumped.rstrip("\n").splitlines()]


def _unsupported(item: Suggested, default: Any, indent: str, explain: bool) -> list[str]:
    if not explain:
        return _default_lines(item.key, default, indent)
    why = "; ".join((f"{item.key}: not suggested, {item.reason}", *item.notes))
    return _comments(f"{why}. The built-in default applies:", indent) + _default_lines(item.key, default, indent)


def _names(item: Suggested, indent: str) -> list[str]:
    assert item.picks is not None
    if not item.picks:
        return _with_comment(f"{indent}{item.key}: []", item.reason, 0)
    codes = [f"{indent}  - {scalar(pick.value)}" for pick in item.picks]
    column = min(max(map(len, codes)), len(indent) + COMMENT_COLUMN_MAX)
    pairs = zip(codes, item.picks, strict=True)
    # One line per item even when long: the list reads as a table.
    return [f"{indent}{item.key}:"] + [f"{code.ljust(column)}  # {comment_text(pick.evidence)}" for code, pick in pairs]


def _core(item: Suggested, indent: str) -> list[str]:
    assert item.picks is not None
    if not item.picks:
        return _with_comment(f"{indent}core_feature: null", item.reason, 0)
    pick: Pick = item.picks[0]
    return _with_comment(f"{indent}core_feature: {scalar(pick.value)}", pick.evidence, 0)


def _milestones(item: Suggested, indent: str) -> list[str]:
    assert item.picks is not None
    if not item.picks:
        return _with_comment(f"{indent}milestones: []", item.reason, 0)
    lines = [f"{indent}milestones:"]
    for pick in item.picks:
        assert isinstance(pick, MilestonePick)
        lines += _comments(f"{pick.event}: {pick.evidence}", indent + "  ")
        lines += [f"{indent}  - name: {scalar(pick.name)}", f"{indent}    event: {scalar(pick.event)}",
                  f"{indent}    due_days: {pick.due_days}"]  # fmt: skip
    return lines


def _journeys(item: Suggested, indent: str) -> list[str]:
    assert item.picks is not None
    if not item.picks:
        return _with_comment(f"{indent}journeys: []", item.reason, 0)
    lines = [f"{indent}journeys:"]
    for pick in item.picks:
        assert isinstance(pick, JourneyPick)
        lines += _comments(pick.evidence, indent + "  ")
        lines += [f"{indent}  - name: {scalar(pick.name)}", f"{indent}    start_event: {scalar(pick.start_event)}",
                  f"{indent}    steps:", *(f"{indent}      - {scalar(step)}" for step in pick.steps),
                  f"{indent}    stuck_after_days: {pick.stuck_after_days}"]  # fmt: skip
    return lines


def _item(item: Suggested, default: Any, indent: str, explain: bool = True) -> tuple[list[str], bool]:
    """The lines of one key, and whether any of them is live YAML (not a comment)."""
    if item.picks is None:
        return _unsupported(item, default, indent, explain), False
    render = {"core_feature": _core, "milestones": _milestones, "journeys": _journeys}.get(item.key, _names)
    return _comments_for_notes(item, indent) + render(item, indent), True


def _comments_for_notes(item: Suggested, indent: str) -> list[str]:
    return [line for note in item.notes for line in _comments(note, indent)]


def render(suggestion: Suggestion) -> str:
    """The commented YAML proposal (valid for `healthloop config check` as it stands)."""
    defaults = ScoringRules().model_dump(mode="json")
    explain = suggestion.facts.get("enough_data", True)  # else the summary says why, once
    events, live_events = [], False
    for item in suggestion.events:
        lines, live = _item(item, defaults["events"][item.key], "    ", explain)
        events += lines
        live_events |= live
    rest, live_rest = [], False
    for item in (suggestion.milestones, suggestion.journeys):
        lines, live = _item(item, defaults[item.key], "  ", explain)
        rest += lines
        live_rest |= live
    out = [f"# {line}" for line in HEADER] + [line for s in suggestion.summary for line in _comments(s, "")]
    scoring = [("  events:" if live_events else "  # events:"), *events, *rest]
    out += ["scoring:" if live_events or live_rest else "# scoring:", *scoring]
    return "\n".join(out) + "\n"
