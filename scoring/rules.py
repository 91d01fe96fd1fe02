"""The scoring rules a RevOps admin configures (the `scoring:` section of the YAML config).

Every default is the seeds' number. Pydantic models so the connector can validate YAML into
them directly; nothing here reads files, clocks or the environment.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

TIERS = ("healthy", "monitor", "at_risk", "critical", "churning")
TIER_LABELS = {
    "healthy": "Healthy",
    "monitor": "Monitor",
    "at_risk": "At Risk",
    "critical": "Critical",
    "churning": "Churning",
}
TRIGGER_IDS = (
    # the three alert thresholds
    "low_score",
    "score_drop",
    "inactive",
    # the three automated triggers
    "stuck_in_journey",
    "health_drop",
    "inactivity_winback",
    # the named signals
    "login_decline",
    "core_feature_unused",
    "seats_inactive",
    "setup_incomplete",
    "ticket_cluster",
)
SIGNALS = ("activity", "engagement", "milestones", "recency")

Tier = Literal["healthy", "monitor", "at_risk", "critical", "churning"]
TriggerId = Literal[
    "low_score", "score_drop", "inactive", "stuck_in_journey", "health_drop", "inactivity_winback",
    "login_decline", "core_feature_unused", "seats_inactive", "setup_incomplete", "ticket_cluster",
]  # fmt: skip


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str], BeforeValidator(_as_list)]


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventRules(_Rules):
    """Which product events mean what. Defaults follow Segment's B2B SaaS spec where it has one."""

    meaningful: Names = []
    """Events that count as meaningful activity; empty means every track, page and screen call."""
    ignored: Names = ["Signed Out", "Logged Out", "Email Opened", "Email Bounced", "Unsubscribed"]
    """Never meaningful, even when `meaningful` is empty (they are not use of the product)."""
    logins: Names = ["Signed In", "Logged In"]
    signups: Names = ["Account Created", "Signed Up"]
    key_features: Names = [
        "Report Created", "Dashboard Viewed", "Export Completed", "Integration Connected", "Invite Sent",
    ]  # fmt: skip
    """The features whose breadth of use makes Engagement."""
    core_feature: str | None = "Report Created"
    """The one feature a customer must activate to get value (for `core_feature_unused`)."""
    onboarding_completed: Names = ["Onboarding Completed"]
    setup_completed: Names = ["Setup Completed", "Integration Connected"]
    """Any of these marks setup done (for `setup_incomplete`)."""


class Milestone(_Rules):
    """An adoption milestone: `event` seen at least once, due `due_days` after signup."""

    name: str
    event: str
    due_days: int = Field(ge=0, le=3650)


class Journey(_Rules):
    """A guided path: started by `start_event`, progressing through `steps` in any order."""

    name: str
    start_event: str
    steps: Names = Field(min_length=1)
    stuck_after_days: int = Field(7, ge=1, le=365)
    """No new step for this many days after the last progress means stuck."""


class Weights(_Rules):
    """Health score = weighted sum of the four signals; the weights must sum to 1."""

    activity: float = Field(0.40, ge=0, le=1)
    engagement: float = Field(0.30, ge=0, le=1)
    milestones: float = Field(0.20, ge=0, le=1)
    recency: float = Field(0.10, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Weights:
        total = self.activity + self.engagement + self.milestones + self.recency
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"weights must sum to 1 (activity + engagement + milestones + recency = {total:g}); "
                "adjust them so they do"
            )
        return self


class TierBands(_Rules):
    """Lower bound of each tier (inclusive); Churning is everything below `critical`."""

    healthy: int = Field(80, ge=1, le=100)
    monitor: int = Field(60, ge=1, le=100)
    at_risk: int = Field(40, ge=1, le=100)
    critical: int = Field(20, ge=1, le=100)

    @model_validator(mode="after")
    def _descending(self) -> TierBands:
        if not (self.healthy > self.monitor > self.at_risk > self.critical):
            raise ValueError("tier bands must descend: healthy > monitor > at_risk > critical")
        return self


class TrendRules(_Rules):
    window_days: int = Field(7, ge=1, le=90)
    dead_band: int = Field(3, ge=0, le=50)
    """A change within ±dead_band points is `stable`."""


class SignalRules(_Rules):
    """Windows and expectations behind the four signals."""

    activity_window_days: int = Field(14, ge=1, le=90)
    baseline_window_days: int = Field(56, ge=7, le=365)
    """Activity compares the recent window with the account's own average over this longer window."""
    activity_peers: Literal["all", "size", "plan"] = "all"
    """Who an account's activity (and Engagement's depth and breadth) is ranked against: all accounts
    (default: a bigger, busier account ranks higher, as it is likelier to stay), accounts of the same
    size band (licensed seats, else known users: 1, 2-5, 6-20, 21-100, 101+), or of the same plan."""
    min_peer_accounts: int = Field(30, ge=5, le=100_000)
    """A peer group smaller than this falls back to all accounts; fewer accounts than this in all, and
    Activity judges each account on its own yardsticks (seats, own baseline) instead of ranking it."""
    activity_trend_share: float = Field(0.3, ge=0, le=1)
    """Share of Activity that is the account's own trend (recent vs its baseline); the rest is its rank."""
    expected_actions_per_seat_per_day: float = Field(2.0, gt=0)
    """What one licensed seat should produce on an ordinary day (Activity's seat yardstick without peers)."""
    engagement_window_days: int = Field(28, ge=1, le=90)
    target_actions_per_active_user_per_day: float = Field(5.0, gt=0)
    recency_zero_after_days: int = Field(30, ge=1, le=365)
    """Recency falls from 100 (activity today) to 0 at this many days of silence."""


class AlertRules(_Rules):
    """The three alert thresholds."""

    low_score_below: int = Field(60, ge=1, le=100)
    drop_points: int = Field(15, ge=1, le=100)
    drop_window_days: int = Field(7, ge=1, le=90)
    inactive_days: int = Field(14, ge=1, le=365)
    new_account_grace_days: int = Field(14, ge=0, le=365)
    """A new account's first days are onboarding: `low_score` and tier-entry actions wait them out
    (`setup_incomplete` and `stuck_in_journey` watch onboarding instead)."""


class TriggerRules(_Rules):
    """The automated triggers and named signals."""

    health_drop_points: int = Field(15, ge=1, le=100)
    health_drop_below: int = Field(70, ge=1, le=100)
    inactivity_min_days: int = Field(14, ge=1, le=365)
    inactivity_max_days: int = Field(60, ge=1, le=3650)
    login_decline_pct: float = Field(30, gt=0, le=100)
    login_decline_window_days: int = Field(14, ge=1, le=90)
    seats_inactive_share: float = Field(0.8, gt=0, le=1)
    seats_idle_days: int = Field(14, ge=1, le=90)
    setup_grace_days: int = Field(3, ge=0, le=365)
    ticket_cluster_count: int = Field(3, ge=2, le=100)
    ticket_cluster_days: int = Field(30, ge=1, le=365)
    core_feature_grace_days: int = Field(7, ge=0, le=365)
    """How long after onboarding completes the core feature may stay unused before it fires."""
    cooldown_days: int = Field(7, ge=0, le=365)
    """After a trigger clears, it may not fire again for this many days."""
    enabled: list[TriggerId] = list(TRIGGER_IDS)

    @model_validator(mode="after")
    def _window_order(self) -> TriggerRules:
        if self.inactivity_max_days <= self.inactivity_min_days:
            raise ValueError("inactivity_max_days must be greater than inactivity_min_days")
        return self


Channel = Literal["in_app", "email", "email_sequence", "slack", "call", "executive_email", "task"]
Owner = Literal["csm", "escalation", "executive"]


class PlaybookRow(_Rules):
    """What to do, through which channels, by whom and by when, for a tier or a trigger."""

    action: str
    channels: list[Channel]
    owner: Owner = "csm"
    due_hours: float = Field(ge=0, le=24 * 60)
    priority: Literal["low", "medium", "high"] = "medium"
    slack_alert: bool = False


def _default_tiers() -> dict[Tier, PlaybookRow]:
    return {
        "healthy": PlaybookRow(action="nurture: tips and beta invites", channels=["in_app", "email"],
                               due_hours=30 * 24, priority="low"),
        "monitor": PlaybookRow(action="educate: feature adoption nudges", channels=["email_sequence"],
                               due_hours=3 * 24, priority="medium"),
        "at_risk": PlaybookRow(action="personalized re-engagement", channels=["email", "slack"],
                               due_hours=24, priority="high", slack_alert=True),
        "critical": PlaybookRow(action="human CSM outreach", channels=["call", "email"], owner="escalation",
                                due_hours=0, priority="high", slack_alert=True),
        "churning": PlaybookRow(action="executive save attempt", channels=["executive_email", "call"],
                                owner="executive", due_hours=8, priority="high", slack_alert=True),
    }  # fmt: skip


def _default_triggers() -> dict[TriggerId, PlaybookRow]:
    return {
        "stuck_in_journey": PlaybookRow(action="educational outreach", channels=["email_sequence"],
                                        due_hours=3 * 24, priority="medium"),
        "health_drop": PlaybookRow(action="personalized re-engagement", channels=["email", "slack"],
                                   due_hours=24, priority="high", slack_alert=True),
        "inactivity_winback": PlaybookRow(action="win-back outreach", channels=["email_sequence"],
                                          due_hours=3 * 24, priority="medium"),
        # The named signals: each calls for something other than the tier's generic play.
        "ticket_cluster": PlaybookRow(action="root-cause review of the recurring issue (product or onboarding fix)",
                                      channels=["task"], due_hours=3 * 24, priority="medium"),
        "login_decline": PlaybookRow(action="check-in on falling logins", channels=["email"], due_hours=3 * 24,
                                     priority="medium"),
        "seats_inactive": PlaybookRow(action="seat activation push", channels=["email_sequence"],
                                      due_hours=3 * 24, priority="medium"),
        "core_feature_unused": PlaybookRow(action="core feature walkthrough", channels=["email_sequence", "in_app"],
                                           due_hours=3 * 24, priority="medium"),
        "setup_incomplete": PlaybookRow(action="setup help", channels=["email", "call"], due_hours=24,
                                        priority="medium"),
    }  # fmt: skip


class StakesRules(_Rules):
    """How an upcoming renewal and the account's revenue raise a play's priority and who takes it."""

    renewal_within_days: int = Field(90, ge=0, le=3650)
    """A renewal this many days away or fewer is near."""
    escalate_from: Tier | None = "at_risk"
    """A near renewal at this tier or worse: the escalation owner takes the play, at high priority (null: never)."""
    raise_priority: bool = True
    """A near renewal at a better tier (Healthy aside) raises the play's priority one step (low, medium, high)."""
    high_value_mrr: float | None = Field(None, gt=0)
    """MRR at or above this raises the play's priority one step (null: revenue alone never does)."""


class Playbook(_Rules):
    """Rows per tier (used for a trigger with no row of its own, and for the tier's play once per tier episode)
    and per trigger."""

    tiers: dict[Tier, PlaybookRow] = Field(default_factory=_default_tiers)
    triggers: dict[TriggerId, PlaybookRow] = Field(default_factory=_default_triggers)
    control_share: float = Field(0.10, ge=0, le=1)
    """Share of each trigger's interventions held back as the control group: decided and measured,
    never sent to the CRM or Slack (a stable hash per account and intervention: a retry never moves one)."""
    control_shares: dict[str, float] = {}
    """Per-trigger overrides (`tier_entry` for interventions opened by entering a tier)."""
    stakes: StakesRules = StakesRules()
    """Renewal date and revenue: what raises priority and what goes to the escalation owner."""
    max_silence_days: int | None = Field(None, ge=1, le=3650)
    """Live scoring creates no work for an account silent longer than this (null: `triggers.inactivity_max_days`,
    where win-back outreach gives up): importing last year's history never sends CSMs after long-gone accounts."""

    @field_validator("control_shares")
    @classmethod
    def _shares_are_shares(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(TRIGGER_IDS) - {"tier_entry"})
        if unknown:
            raise ValueError(f"unknown trigger id(s) {', '.join(unknown)}; use trigger ids or tier_entry")
        bad = sorted(name for name, share in value.items() if not 0 <= share <= 1)
        if bad:
            raise ValueError(f"shares must be between 0 and 1: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _every_tier(self) -> Playbook:
        missing = [tier for tier in TIERS if tier not in self.tiers]
        if missing:
            raise ValueError(f"playbook.tiers needs a row for every tier; missing: {', '.join(missing)}")
        return self


class ScoringRules(_Rules):
    """Everything scoring needs; its hash is the `config_version` stored with every score."""

    events: EventRules = EventRules()
    milestones: list[Milestone] = [
        Milestone(name="first report", event="Report Created", due_days=3),
        Milestone(name="integration connected", event="Integration Connected", due_days=7),
        Milestone(name="teammate invited", event="Invite Sent", due_days=14),
        Milestone(name="first export", event="Export Completed", due_days=30),
    ]
    journeys: list[Journey] = [
        Journey(name="onboarding", start_event="Signed Up",
                steps=["Setup Completed", "Integration Connected", "Report Created", "Onboarding Completed"],
                stuck_after_days=7),
    ]  # fmt: skip
    weights: Weights = Weights()
    tiers: TierBands = TierBands()
    trend: TrendRules = TrendRules()
    signals: SignalRules = SignalRules()
    alerts: AlertRules = AlertRules()
    triggers: TriggerRules = TriggerRules()
    playbook: Playbook = Playbook()

    def version(self) -> str:
        """A short stable hash of these rules."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]
