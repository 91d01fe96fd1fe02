"""The `crm:` section of the YAML config: field mapping, matching, owners, sequences, sync pacing.

RevOps owns these names. Defaults create a `healthloop` property group with `healthloop_*`
fields and match companies on `healthloop_account_id`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_adapters.base import FieldKind, FieldMapping, FieldSpec
from scoring.rules import TIERS

TREND_DIRECTIONS = ("improving", "stable", "declining")

HealthValue = Literal[
    "score",
    "tier",
    "trend",
    "trend_delta",
    "activity",
    "engagement",
    "milestones",
    "recency",
    "scored_at",
    "open_triggers",
    "reason",
]

# value -> (label, kind, options, description)
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
    "open_triggers": ("Health: open triggers", "text", (), "Churn triggers open now (ids, ';'-separated)"),
    "reason": ("Health: reason", "text", (), "One line: why the score is what it is"),
}


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


class CrmConfig(_Strict):
    """Where health values go in the CRM and how tasks, notes and sequences are made."""

    fields: dict[HealthValue, str | None] = {}
    """Which record field receives each value, where it differs from the default (`healthloop_score`
    on HubSpot, `Healthloop_Score__c` on Salesforce); null stops writing that value."""
    match: CrmMatch = CrmMatch()
    group: str = "healthloop"
    group_label: str = "healthloop"
    owners: dict[Literal["escalation", "executive"], str] = {}
    """CRM owner ids for playbook rows whose owner is `escalation` (Critical) or `executive` (Churning);
    unset falls back to the record's owner."""
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
                specs.append(FieldSpec(value, name, label, kind, options, description))
        return FieldMapping(tuple(specs), self.match.by, self.match.field_name(crm), self.group, self.group_label)

    def sequence_for(self, playbook_row: str) -> SequenceTarget | None:
        return self.sequences.get(playbook_row) or self.sequences.get("default")
