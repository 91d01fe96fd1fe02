"""The shape of a `config suggest` proposal: each key's suggested values with their evidence, or why not.

The rules that fill it live in `suggest_events` and `suggest_milestones`; `suggest_yaml` writes it
as a commented YAML file. Thresholds are here, each with the reason it has its value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MIN_ACCOUNTS = 20
"""No judgement rests on fewer accounts (or account-windows) than this; below it the default stays."""
SETTLE_DAYS = 30
"""An account's first month: the onboarding horizon for milestones, and the age an account needs before
whether it stayed says anything about what it did."""
BACKGROUND_REACH = 0.9
"""An event fired by at least this share of accounts is a candidate background event..."""
BACKGROUND_QUIET_SHARE = 0.8
"""...and is one when it also fires on at least this share of the days its account did nothing else."""
MIN_QUIET_DAYS = 20
"""Pooled quiet account-days needed before the background rule may call an event background."""
FEATURE_BAND = (0.10, 0.90)
"""A key feature is used in between 10% and 90% of the account-windows with any use: more, and nearly
every active account uses it (it says no more than activity); less, and it is an exception."""
REPEAT_MEDIAN_DAYS = 2
"""A feature is used again: the accounts that used it did so on at least this many days (median)."""
MILESTONE_SHARE = 0.5
"""A milestone is done in the first month by more than this share of the retained accounts."""
ARRIVAL_SHARE = 0.9
"""An event at least this share of new accounts fire on their first day is part of arriving, not a milestone."""
DUE_PERCENTILE = 80
"""`due_days`: by then this percentage of the retained accounts that reached the milestone had reached it."""
MAX_MILESTONES = 8
"""The Milestones signal is a share of milestones done; beyond a handful more items mostly repeat each other."""
MIN_LOST = 10
"""Outcomes pick the core feature only when at least this many accounts were lost or churned to compare."""


@dataclass(frozen=True)
class Pick:
    """One suggested value (an event name) and the evidence a person reads."""

    value: str
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MilestonePick:
    name: str
    event: str
    due_days: int
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JourneyPick:
    name: str
    start_event: str
    steps: tuple[str, ...]
    stuck_after_days: int
    evidence: str
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggested:
    """One key of the proposal.

    `picks` None: the data cannot support a value, the default stays (written commented out).
    `picks` empty: the data says the list should be empty (`reason` says why).
    """

    key: str
    picks: tuple[Any, ...] | None
    reason: str = ""
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        picks = None if self.picks is None else [asdict(pick) for pick in self.picks]
        return {"key": self.key, "suggested": picks, "reason": self.reason, "notes": list(self.notes)}


@dataclass(frozen=True)
class Suggestion:
    """The whole proposal: what the data was, then `scoring.events`, `milestones` and `journeys`."""

    summary: tuple[str, ...]
    events: tuple[Suggested, ...]
    milestones: Suggested
    journeys: Suggested
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": list(self.summary),
            "facts": self.facts,
            "events": {item.key: item.as_dict() for item in self.events},
            "milestones": self.milestones.as_dict(),
            "journeys": self.journeys.as_dict(),
        }


def share(part: int, whole: int) -> str:
    """`412 of 530 (78%)`."""
    return f"{part:,} of {whole:,} ({part / whole:.0%})" if whole else f"{part:,} of 0"


def percentile(values: list[int], pct: int) -> int:
    """Nearest-rank percentile: a value that was observed (whole days stay whole)."""
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]
