"""The plain data scoring reads and returns. The connector builds the inputs from SQL; scoring
never sees a database, a clock or a queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Direction = Literal["improving", "stable", "declining"]


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayActivity:
    """One account's stored daily rollup (UTC day)."""

    day: date
    events: int = 0
    """Track, page and screen calls that day."""
    page_views: int = 0
    event_counts: Mapping[str, int] = field(default_factory=dict)
    """Track event name -> count."""
    user_counts: Mapping[str, int] = field(default_factory=dict)
    """User id -> number of activity calls that day."""
    tickets_opened: int = 0


@dataclass(frozen=True, slots=True)
class TicketFact:
    """One support ticket of the account."""

    ticket_id: str
    opened_on: date
    category: str | None = None
    tags: tuple[str, ...] = ()
    status: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class AccountTimeline:
    """Everything known about one account up to the end of UTC day `as_of` (nothing later)."""

    account_id: str
    as_of: date
    days: Mapping[date, DayActivity]
    """Rollups for the lookback window ending at `as_of` (a missing day had no activity)."""
    first_seen: Mapping[str, date] = field(default_factory=dict)
    """Track event name -> first day it was ever seen for the account (all history up to `as_of`)."""
    name: str | None = None
    licensed_seats: int | None = None
    signed_up_on: date | None = None
    """The account's `created_at` trait, else the day it was first seen."""
    known_users: int = 0
    """Users attached to the account (memberships), whether active or not."""
    tickets: Sequence[TicketFact] = ()
    """Tickets opened in the lookback window."""
    plan: str | None = None
    """The account's plan trait (a peer group when `signals.activity_peers` is `plan`)."""
    renewal_on: date | None = None
    """The next renewal (the `renewal_date` trait, else the CRM's open renewal deal / opportunity)."""
    mrr: float | None = None
    """Monthly recurring revenue (the `mrr` trait, else the open renewal's amount / 12)."""


@dataclass(frozen=True, slots=True)
class PeerNorms:
    """Where the accounts of one peer group stood on Activity's yardstick (see `scoring.peers`)."""

    quantiles: tuple[float, ...]
    """Ascending quantiles of the group's activity rates, zeros included (`quantiles[i]` at i/(len-1))."""
    accounts: int
    """How many accounts the quantiles summarise."""
    zero_share: float = 0.0
    """Share of those accounts with no meaningful activity in the window."""


@dataclass(frozen=True, slots=True)
class Population:
    """What scoring knows about every account when it judges one: its peers' activity, and which events
    exist at all. Built by the connector for each scored day from the days before it."""

    activity_norms: Mapping[str, PeerNorms] = field(default_factory=dict)
    """Peer group key (see `scoring.peers.peer_group`, "all" for everyone) -> norms of the activity rate;
    empty: no comparison."""
    seen_events: frozenset[str] | None = None
    """Track event names any account has fired up to the scored day; None: unknown (nothing is filtered)."""
    depth_norms: Mapping[str, PeerNorms] = field(default_factory=dict)
    """Peer group -> norms of Engagement's depth: actions per active user per day over its window."""
    breadth_norms: Mapping[str, PeerNorms] = field(default_factory=dict)
    """Peer group -> norms of the different meaningful actions used over Engagement's window."""

    def has_seen(self, event: str) -> bool:
        """False only when the population is known and nobody ever fired `event`."""
        return self.seen_events is None or event in self.seen_events


UNKNOWN_POPULATION = Population()
"""No peers and no event catalogue: every signal judges the account on its own."""


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """A trigger that fired earlier and has not cleared yet."""

    trigger_id: str
    fired_on: date
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PriorState:
    """What the account looked like before this assessment."""

    score_days_ago: Mapping[int, int] = field(default_factory=dict)
    """Days before `as_of` -> the score then (at least key 7, the trend window, when known)."""
    previous_tier: str | None = None
    open_alerts: Mapping[str, OpenAlert] = field(default_factory=dict)
    last_cleared: Mapping[str, date] = field(default_factory=dict)
    """Trigger id -> the day it last cleared (for the cool-down)."""
    tier_since: date | None = None
    """First day of `previous_tier`'s ongoing run of days (its tier episode); None: unknown."""
    tier_plays: Mapping[str, date] = field(default_factory=dict)
    """Tier -> the last day an intervention carried that tier's play."""


# --- outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignalValue:
    name: str
    value: float | None
    """0-100, or None when the account has no inputs for it (no seats known, no milestones)."""
    explanation: str
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HealthScore:
    value: int
    """0-100."""
    signals: Mapping[str, SignalValue]
    weights_used: Mapping[str, float]
    """After renormalising over the signals that have a value."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trend:
    delta: int | None
    """Score change over the trend window; None when the earlier score is unknown."""
    direction: Direction | None


@dataclass(frozen=True, slots=True)
class TriggerHit:
    trigger_id: str
    evidence: Mapping[str, Any]
    """Numbers and dates that made it fire (JSON-ready: ints, floats, strings, ISO dates)."""
    explanation: str
    """One paragraph a CSM reads in the CRM task: the story, not just a flag."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One trigger behind the intervention: its name in words, its story and its evidence."""

    trigger_id: str
    label: str
    story: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """Everything a CSM reads about one intervention (no ids, no channel that needs configuring)."""

    opening: str | None
    """Why the tier's play is here ("Globex moved from Monitor to At Risk."), or None."""
    problems: tuple[Problem, ...]
    also_open: tuple[str, ...]
    """Labels of triggers still open from before."""
    health: str
    """E.g. "62 of 100 (Monitor), down 4 in 7 days."."""
    signals: tuple[str, ...]
    """E.g. "Activity 34 of 100: 399 meaningful actions in 14 days vs 1400 expected for 50 seats"."""
    stakes: tuple[str, ...]
    """Renewal and revenue, and what they changed ("Renewal on 2027-02-25, in 80 days")."""
    action: str
    channels: tuple[str, ...]
    priority: str
    due_hours: float

    def as_json(self) -> dict[str, Any]:
        return {
            "opening": self.opening,
            "problems": [
                {"trigger_id": p.trigger_id, "label": p.label, "story": p.story, "evidence": list(p.evidence)}
                for p in self.problems
            ],
            "also_open": list(self.also_open),
            "health": self.health,
            "signals": list(self.signals),
            "stakes": list(self.stakes),
            "action": self.action,
            "channels": list(self.channels),
            "priority": self.priority,
            "due_hours": self.due_hours,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Story | None:
        """The stored story, or None when there is none (interventions decided before stories existed)."""
        if not data:
            return None
        try:
            return cls(
                opening=data.get("opening"),
                problems=tuple(
                    Problem(p["trigger_id"], p["label"], p["story"], tuple(p.get("evidence") or ()))
                    for p in data.get("problems") or ()
                ),
                also_open=tuple(data.get("also_open") or ()),
                health=str(data.get("health") or ""),
                signals=tuple(data.get("signals") or ()),
                stakes=tuple(data.get("stakes") or ()),
                action=str(data["action"]),
                channels=tuple(data.get("channels") or ()),
                priority=str(data.get("priority") or "medium"),
                due_hours=float(data.get("due_hours") or 0),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Intervention:
    """A playbook action for the CRM issues to turn into a task, enrollment or alert."""

    key: str
    """Stable within the account: the day and what opened it (see `scoring.playbook.plan`)."""
    trigger_id: str | None
    tier: str
    action: str
    channels: tuple[str, ...]
    owner: str
    priority: str
    due_at: datetime
    subject: str
    body: str
    slack_alert: bool
    trigger_ids: tuple[str, ...] = ()
    """Every trigger that opened it (`trigger_id` is the one whose playbook row was chosen)."""
    control: bool = False
    """In the control group: stored and measured, never sent to the CRM or Slack."""
    story: Story | None = None
    """The body as data, for each CRM to render its own way."""
    tier_play: bool = False
    """It carries the play of the account's current tier (once per tier episode)."""


@dataclass(frozen=True, slots=True)
class ChurnModel:
    """A fitted model: standardisation, weights, and what it was fitted for."""

    version: str
    horizon_days: int
    features: tuple[str, ...]
    center: tuple[float, ...]
    """Training means (a missing input takes its mean: a contribution of 0)."""
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float


@dataclass(frozen=True, slots=True)
class ChurnEstimate:
    probability: float
    """Of churning within `horizon_days`, 0-1."""
    horizon_days: int
    contributions: Mapping[str, float]
    """Feature -> its push on the log-odds (positive raises the risk), relative to the average account."""
    model_version: str

    def rising(self, limit: int = 3) -> dict[str, float]:
        """The inputs that raise the risk most, largest first."""
        ordered = sorted(((v, k) for k, v in self.contributions.items() if v > 0), reverse=True)[:limit]
        return {name: value for value, name in ordered}


@dataclass(frozen=True, slots=True)
class Assessment:
    account_id: str
    as_of: date
    score: HealthScore
    tier: str
    trend: Trend
    hits: tuple[TriggerHit, ...]
    """Every trigger true now."""
    fired: tuple[TriggerHit, ...]
    """Newly opened now (not already open, not cooling down)."""
    cleared: tuple[str, ...]
    """Trigger ids that were open and are no longer true."""
    interventions: tuple[Intervention, ...]
    reason: str
    """One line: why the score is what it is."""
    config_version: str
    churn: ChurnEstimate | None = None
    """The learned churn probability, when a fitted model is in use (`scoring.churn`)."""
