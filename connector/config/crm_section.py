"""The `crm:` section of the YAML config: field mapping, matching, owners, sequences, sync pacing.

RevOps owns these names. Defaults create a `healthloop` property group with `healthloop_*`
fields and match companies on `healthloop_account_id`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_adapters.base import FieldKind, FieldMapping, FieldSpec
from scoring.labels import TRIGGER_LABELS
from scoring.rules import TIER_LABELS, TIERS, TRIGGER_IDS

TREND_DIRECTIONS = ("improving", "stable", "declining")

HealthValue = Literal[
    "score", "tier", "trend", "trend_delta", "activity", "engagement", "milestones", "recency", "scored_at",
    "open_triggers", "reason", "score_history", "signal_notes", "last_activity_at", "active_users", "seats",
    "features_adopted", "open_tickets", "next_action", "next_action_owner", "next_action_due", "renewal_date",
    "mrr", "churn_probability", "churn_drivers", "account_url",
]  # fmt: skip

# value -> (label, kind, options, description); docs/crm-cards.md is the contract the CRM cards read.
VALUE_TYPES: dict[str, tuple[str, FieldKind, tuple[str, ...], str]] = {
    "score": ("Health score", "number", (), "healthloop health score, 0-100"),
    "tier": ("Health tier", "enumeration", TIERS, "Healthy, Monitor, At Risk, Critical or Churning"),
    "trend": ("Health trend", "enumeration", TREND_DIRECTIONS, "Direction of the score over the last 7 days"),
    "trend_delta": ("Health trend (points)", "number", (), "Change of the score over the last 7 days"),
    "activity": ("Health: activity", "number", (), "Activity signal, 0-100 (empty when it has no inputs)"),
    "engagement": ("Health: engagement", "number", (), "Engagement signal, 0-100"),
    "milestones": ("Health: milestones", "number", (), "Milestones signal, 0-100"),
    "recency": ("Health: recency", "number", (), "Recency signal, 0-100"),
    "scored_at": ("Health scored at", "datetime", (), "When the score behind these values was computed"),
    "open_triggers": ("Health: open triggers", "multiselect", TRIGGER_IDS, "Churn triggers open now"),
    "reason": ("Health: reason", "text", (), "One line: why the score is what it is"),
    "score_history": ("Health: score history", "text", (), "Daily scores, 30 days: <first day>:<v1>,<v2>,..."),
    "signal_notes": ("Health: signal notes", "text", (), "One line per signal: why it has its value"),
    "last_activity_at": ("Health: last activity", "datetime", (), "Last product activity (track, page, screen)"),
    "active_users": ("Health: active users (30 d)", "number", (), "Users active in the last 30 days"),
    "seats": ("Health: seats", "number", (), "Licensed seats"),
    "features_adopted": ("Health: features adopted", "text", (), "Key features used, e.g. 3 of 5: Reports, ..."),
    "open_tickets": ("Health: open tickets", "number", (), "Support tickets not solved or closed"),
    "next_action": ("Health: next action", "text", (), "The open healthloop play for this account"),
    "next_action_owner": ("Health: next action owner", "text", (), "Who the next action's task went to"),
    "next_action_due": ("Health: next action due", "datetime", (), "When the next action's task is due"),
    "renewal_date": ("Health: renewal date", "date", (), "The next renewal (trait or open renewal)"),
    "mrr": ("Health: MRR", "number", (), "Monthly recurring revenue"),
    "churn_probability": (
        "Health: churn probability (30 d)",
        "number",
        (),
        "Learned chance of churning within the model's horizon (30 days unless fitted with another), in percent; "
        "empty unless a learned model beat the health score on held-out accounts",
    ),
    "churn_drivers": (
        "Health: churn drivers",
        "text",
        (),
        "What raises the learned churn probability most, e.g. days since the last meaningful action +0.8",
    ),
    "account_url": ("Health: healthloop page", "text", (), "This account in healthloop's console"),
}
OPTION_LABELS: dict[str, dict[str, str]] = {"open_triggers": TRIGGER_LABELS, "tier": TIER_LABELS}
"""Options shown in words (the multi-select's checkboxes say "Most seats idle", not seats_inactive)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


CRMS = ("hubspot", "salesforce")


def default_field_name(crm: str, value: str) -> str:
    """`healthloop_score` on HubSpot companies, `Healthloop_Score__c` on Salesforce accounts."""
    if crm == "salesforce":
        return "Healthloop_" + "_".join(part.title() for part in value.split("_")) + "__c"
    return f"healthloop_{value}"


def default_fields(crm: str) -> dict[str, str | None]:
    return {value: default_field_name(crm, value) for value in VALUE_TYPES}


class CrmMatch(_Strict):
    """How an account finds its CRM record."""

    by: Literal["account_id", "domain"] = "account_id"
    field: str | None = None
    """The record field to match on. Default by account_id: `healthloop_account_id` (HubSpot) or
    `Healthloop_Account_Id__c` (Salesforce); by domain: `domain` (HubSpot) or `Website` (Salesforce)."""

    def field_name(self, crm: str = "hubspot") -> str:
        if self.field:
            return self.field
        if self.by == "account_id":
            return default_field_name(crm, "account_id")
        return "Website" if crm == "salesforce" else "domain"


class SequenceTarget(_Strict):
    """A HubSpot sequence (or Salesforce cadence) and who sends it."""

    sequence_id: str
    user_id: str | None = None
    """HubSpot: the sending user's `userId` (not the owner id)."""
    sender_email: str | None = None
    """HubSpot: that user's connected inbox."""


class CrmTasks(_Strict):
    on_clear: Literal["note", "complete"] = "note"
    """When the trigger behind an open task clears: add a note to the task, or complete it."""
    min_lead_hours: float = Field(1.0, ge=0, le=72)
    """A task is due at the playbook's time, but never sooner than this after it is created (a play due
    "immediately", or one synced late, gets this much time)."""


class CrmConfig(_Strict):
    """Where health values go in the CRM and how tasks, notes and sequences are made."""

    fields: dict[HealthValue, str | None] = {}
    """Which record field receives each value, where it differs from the default (`healthloop_score`
    on HubSpot, `Healthloop_Score__c` on Salesforce); null stops writing that value."""
    match: CrmMatch = CrmMatch()
    group: str = "healthloop"
    group_label: str = "healthloop"
    owners: dict[Literal["default", "escalation", "executive"], str] = {}
    """CRM owner ids: `escalation` (Critical, and near renewals at risk) and `executive` (Churning) take the
    playbook rows that name them; `default` takes the tasks of records without an owner. Every task has an
    owner: see `owner_order`."""
    tasks: CrmTasks = CrmTasks()
    notes_on_tier_change: bool = True
    sequences: dict[str, SequenceTarget] = {}
    """Playbook row (tier or trigger id) -> sequence for its `email_sequence` channel; `default` for the rest."""
    sync_delay_seconds: float = Field(2.0, ge=0, le=60)
    """How long a sync may wait after a rescore to batch other accounts' changes with it."""
    rate_limit_requests: int = Field(100, ge=1)
    rate_limit_interval_seconds: float = Field(10.0, gt=0)
    """All workers together stay under this many CRM requests per interval (HubSpot: 100 per 10 s)."""
    renewal_pipeline: str | None = None
    """HubSpot: only deals in this pipeline are renewals (null: any)."""
    renewal_deal_type: str | None = "existingbusiness"
    """HubSpot: only deals of this type are renewals (null: any)."""
    renewal_opportunity_type: str | None = None
    """Salesforce: only Opportunities of this Type are renewals (null: any)."""
    max_daily_api_share: float = Field(0.8, gt=0, le=1)
    """Salesforce: stop calling (and retry later) once this share of the org's daily API allocation is used,
    leaving the rest to the org's other integrations."""

    @model_validator(mode="after")
    def _one_field_per_value(self) -> CrmConfig:
        for crm in CRMS:
            names = [name for name in self.field_names(crm).values() if name]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"each value needs its own field; used twice: {', '.join(duplicates)}")
            if self.match.field_name(crm) in names:
                raise ValueError(f"match.field {self.match.field_name(crm)!r} is also mapped to a health value")
        return self

    def field_names(self, crm: str = "hubspot") -> dict[str, str | None]:
        """Value -> the field it goes to in `crm` (None: not written)."""
        return default_fields(crm) | dict(self.fields)

    def mapping(self, crm: str = "hubspot") -> FieldMapping:
        specs = []
        for value, name in self.field_names(crm).items():
            if name:
                label, kind, options, description = VALUE_TYPES[value]
                words = OPTION_LABELS.get(value, {})
                labels = tuple(words.get(option, "") for option in options) if words else ()
                specs.append(FieldSpec(value, name, label, kind, options, description, labels))
        return FieldMapping(tuple(specs), self.match.by, self.match.field_name(crm), self.group, self.group_label)

    def owner_order(self, role: str) -> list[str]:
        """Where a task of a playbook row owned by `role` goes, first found wins: `record` (the CRM record's
        owner) or a configured role. csm: record, default, escalation; escalation: escalation, record, default;
        executive: executive, escalation, record, default."""
        order = {
            "csm": ["record", "default", "escalation"],
            "escalation": ["escalation", "record", "default"],
            "executive": ["executive", "escalation", "record", "default"],
        }.get(role, ["record", "default", "escalation"])
        return [step for step in order if step == "record" or step in self.owners]

    def has_fallback_owner(self) -> bool:
        """A task for a record without an owner still has one (`default` or `escalation` is set)."""
        return bool({"default", "escalation"} & set(self.owners))

    def sequence_for(self, playbook_row: str) -> SequenceTarget | None:
        return self.sequences.get(playbook_row) or self.sequences.get("default")
