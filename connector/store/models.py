"""SQL tables: accounts, users, events, daily rollups, tickets and the work outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 255


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend.

    SQLite has no time zone type, so storing naive UTC everywhere keeps comparisons and
    ordering identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY, not a BIGINT one.
BigID = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType, list[Any]: JSONType}


class Account(Base):
    """A customer account (a Segment group), with the traits scoring and CRM sync need."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(512))
    plan: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    licensed_seats: Mapped[int | None] = mapped_column(Integer)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    mrr: Mapped[float | None] = mapped_column(Float)
    signed_up_at: Mapped[datetime | None]
    domain: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    crm_match_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    traits_at: Mapped[datetime | None]
    """Event time of the newest traits applied, so a late backfilled call never overwrites newer ones."""
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class User(Base):
    """A person (a seat) in the product, attributed to the account of their latest group call."""

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    account_at: Mapped[datetime | None]
    """Event time of the group call that set `account_id` (a late backfill never moves a user back)."""
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(512))
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    traits_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]


class AccountUser(Base):
    """Membership of a user in an account (a user may belong to several)."""

    __tablename__ = "account_users"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, index=True)
    joined_at: Mapped[datetime]


class AccountAlias(Base):
    """An account's id in another system (a Zendesk organization, a HubSpot company...)."""

    __tablename__ = "account_aliases"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)


class Event(Base):
    """One Segment-spec message, stored exactly once (unique on its message id)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_account_id_timestamp", "account_id", "timestamp"),
        # Only unattributed events need finding by user (when a later group call claims them).
        Index(
            "ix_events_unattributed_user_id",
            "user_id",
            postgresql_where=text("account_id IS NULL"),
            sqlite_where=text("account_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    anonymous_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    account_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class DirtyAccountDay(Base):
    """Work outbox: an (account, day) whose stored events or tickets are not yet rolled up."""

    __tablename__ = "dirty_account_days"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(index=True)


class DailyRollup(Base):
    """Per account and UTC day: the activity figures that scoring reads."""

    __tablename__ = "daily_rollups"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    events: Mapped[int] = mapped_column(Integer, default=0)
    """Track, page and screen calls (activity, not identify/group bookkeeping)."""
    page_views: Mapped[int] = mapped_column(Integer, default=0)
    active_users: Mapped[int] = mapped_column(Integer, default=0)
    # Plain JSON, not JSONB, on PostgreSQL: never queried inside, read in bulk by scoring, and
    # json is returned as stored while jsonb is re-serialised on every read.
    event_counts: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    """Track event name -> count."""
    user_counts: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    """User id -> activity count, so seat activity can be read over any window."""
    tickets_opened: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime]


class Ticket(Base):
    """The latest known state of one support ticket, matched to an account when possible."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    account_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    match_method: Mapped[str | None] = mapped_column(String(32))
    organization_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    requester_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(1000))
    category: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    priority: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime | None]
    solved_at: Mapped[datetime | None]
    state_at: Mapped[datetime]
    """Source time of the newest state applied; older deliveries never overwrite newer ones."""
    first_received_at: Mapped[datetime]


class TicketDelivery(Base):
    """Every verified webhook delivery, raw, unique per source delivery id (dedupes retries)."""

    __tablename__ = "ticket_deliveries"
    __table_args__ = (UniqueConstraint("source", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    delivery_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    event_type: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    """handled, ignored (a type we deliberately skip) or unsupported (a type we do not know)."""
    ticket_external_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class AccountEventFirst(Base):
    """The first day each track event was seen for an account (milestones, journeys, onboarding)."""

    __tablename__ = "account_event_firsts"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    event: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)


class AccountScore(Base):
    """An account's health as of one UTC day: one row per scored day is the score history."""

    __tablename__ = "account_scores"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(16))
    trend_delta: Mapped[int | None] = mapped_column(Integer)
    trend_direction: Mapped[str | None] = mapped_column(String(16))
    signals: Mapped[dict[str, Any]]
    """Signal name -> {"value": 0-100 or null, "explanation": text}."""
    weights: Mapped[dict[str, Any]]
    """The weights actually applied (renormalised over the signals that had a value)."""
    reason: Mapped[str] = mapped_column(String(500))
    config_version: Mapped[str] = mapped_column(String(16))
    scored_at: Mapped[datetime]
    churn_probability: Mapped[float | None] = mapped_column(Float)
    """The learned churn probability that day (0-1), only while a model beats the score (`healthloop learn`)."""
    churn_drivers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """Input -> its push on the log-odds, for the inputs that raise the risk most."""


class Alert(Base):
    """A trigger that fired: open on the days from `fired_on` until it clears (`cleared_on`, exclusive)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("account_id", "trigger_id", "fired_on"),
        Index("ix_alerts_account_id_cleared_on", "account_id", "cleared_on"),
        # One problem, one alert: never two open alerts of one trigger for one account.
        Index(
            "uq_alerts_open_trigger",
            "account_id",
            "trigger_id",
            unique=True,
            postgresql_where=text("cleared_on IS NULL"),
            sqlite_where=text("cleared_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    trigger_id: Mapped[str] = mapped_column(String(32))
    fired_on: Mapped[date] = mapped_column(Date)
    fired_at: Mapped[datetime]
    cleared_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[dict[str, Any]]
    explanation: Mapped[str] = mapped_column(Text)
    config_version: Mapped[str] = mapped_column(String(16))


class Intervention(Base):
    """A playbook action decided for an account; the CRM adapters turn it into tasks and enrollments."""

    __tablename__ = "interventions"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    key: Mapped[str] = mapped_column(String(128))
    """Stable per account (`trigger:<id>:<day>`, `tier:<tier>:<day>`), so retries never duplicate."""
    trigger_id: Mapped[str | None] = mapped_column(String(32))
    """The trigger whose playbook row was chosen (None when entering a tier chose it)."""
    trigger_ids: Mapped[list[Any]] = mapped_column(default=list)
    """Every trigger that opened it."""
    tier: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(255))
    channels: Mapped[list[Any]]
    owner: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime]
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    slack_alert: Mapped[bool] = mapped_column(Boolean, default=False)
    slack_status: Mapped[str | None] = mapped_column(String(16))
    """pending, sent, failed or not_configured (only when `slack_alert`)."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending until a CRM adapter picks it up."""
    created_at: Mapped[datetime]
    crm_task_id: Mapped[str | None] = mapped_column(String(64))
    crm_status: Mapped[str | None] = mapped_column(String(16), index=True)
    """None (not yet synced), created, failed, cleared (the task was told its trigger cleared), stale."""
    crm_error: Mapped[str | None] = mapped_column(Text)
    crm_synced_at: Mapped[datetime | None]
    enrollment_status: Mapped[str | None] = mapped_column(String(16))
    """enrolled, failed, or None (no sequence channel or not tried yet)."""
    enrollment_error: Mapped[str | None] = mapped_column(Text)
    control: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """In the control group: recorded and measured, never sent to the CRM."""
    task_status: Mapped[str | None] = mapped_column(String(32))
    """The CRM task's status as last read back (`healthloop outcomes pull`, webhooks)."""
    task_completed_at: Mapped[datetime | None]
    outcome_checked_at: Mapped[datetime | None]
    enrollment_id: Mapped[str | None] = mapped_column(String(64))
    """What the CRM returned for the enrollment (Salesforce: the cadence tracker or the target contact)."""
    enrollment_state: Mapped[str | None] = mapped_column(String(64))
    """As last read back, e.g. Running, Complete: Customer Engaged."""
    enrollment_replied_at: Mapped[datetime | None]
    story: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """The body as data (`scoring.model.Story.as_json`), for each CRM to render its own way; None before 0008."""
    tier_play: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """It carried the play of its tier (given once per tier episode)."""
    crm_due_at: Mapped[datetime | None]
    """When the CRM task is due: the playbook's time, never before the task was created."""
    crm_owner_id: Mapped[str | None] = mapped_column(String(64))
    """Who the CRM task went to (record owner, else the configured default or escalation owner)."""


class Renewal(Base):
    """A renewal (deal / opportunity, or an imported past outcome) of an account."""

    __tablename__ = "renewals"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    """hubspot, salesforce or import."""
    external_id: Mapped[str] = mapped_column(String(255))
    """The deal / opportunity id, or `<account>:<date>` for imported rows."""
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    close_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    """open, won, lost or churned."""
    amount: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]


class CrmRecord(Base):
    """An account's CRM record and what that record last got from us (the diff base of every sync)."""

    __tablename__ = "crm_records"
    __table_args__ = (Index("ix_crm_records_crm_record_id", "crm", "record_id"),)

    crm: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    record_id: Mapped[str | None] = mapped_column(String(64))
    """None: not found in the CRM when last resolved (retried after a while)."""
    resolved_at: Mapped[datetime | None]
    synced_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """CRM field name -> the string value the record last got."""
    synced_story: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Tier, score and signals behind `synced_values` (tier-change notes tell the story from it)."""
    synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class PeerNorms(Base):
    """What scoring knew of every account on one day: each peer group's activity quantiles and the
    events any account had fired, computed from the days before it (see connector/health/population.py)."""

    __tablename__ = "peer_norms"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rules_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    """A hash of the rules the norms depend on (meaningful events, windows, peer grouping)."""
    norms: Mapped[dict[str, Any]] = mapped_column()
    """Peer group -> {"quantiles": [...], "accounts": n, "zero_share": s}."""
    seen_events: Mapped[list[Any]] = mapped_column()
    computed_at: Mapped[datetime]


class ChurnModel(Base):
    """A churn model the Learn step fitted, with the held-out evaluation that decides whether it is used."""

    __tablename__ = "churn_models"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    fitted_at: Mapped[datetime]
    horizon_days: Mapped[int] = mapped_column(Integer)
    model: Mapped[dict[str, Any]] = mapped_column()
    """Features, standardisation, coefficients and intercept (`scoring.churn.ChurnModel`)."""
    evaluation: Mapped[dict[str, Any]] = mapped_column()
    """Held-out AUC of the probability and of the score, their paired difference with its interval, counts."""
    active: Mapped[bool] = mapped_column(Boolean)
    """True only when the probability beat the score on held-out accounts with an interval above 0."""


class LatestScore(Base):
    """Each account's latest stored score: a copy of its newest `account_scores` row, kept by database
    triggers on that table (migration 0010), so lists over 100,000 accounts sort and filter on one row each."""

    __tablename__ = "latest_scores"
    __table_args__ = (
        Index("ix_latest_scores_tier_score_account_id", "tier", "score", "account_id"),
        Index("ix_latest_scores_score_account_id", "score", "account_id"),
    )

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(16))
    trend_delta: Mapped[int | None] = mapped_column(Integer)
    trend_direction: Mapped[str | None] = mapped_column(String(16))


class ConsoleUser(Base):
    """A person who may sign in to the console (`healthloop users add`); only a hash of the token is kept."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    """viewer (reads every page) or admin (may also trigger actions)."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 hex of the token (a random 256-bit value, so a fast hash is enough)."""
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None]


class ConsoleAction(Base):
    """Every action taken in the console (sign-ins included): who, what, when, and how it went."""

    __tablename__ = "console_actions"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    """The user's name, `admin` for the admin token, or `-` when nobody signed in."""
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    outcome: Mapped[str] = mapped_column(String(16))
    """ok, refused or failed."""
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


# The console's accounts list filters by open trigger (declared here, beside the console's tables, migration 0010).
Index(
    "ix_alerts_open_trigger_id",
    Alert.trigger_id,
    Alert.account_id,
    postgresql_where=Alert.cleared_on.is_(None),
    sqlite_where=Alert.cleared_on.is_(None),
)
