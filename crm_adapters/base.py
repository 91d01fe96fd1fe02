"""The one interface every CRM adapter implements, and the plain records that cross it.

The connector decides *what* to write (values, tasks, notes, enrollments) and keeps the
bookkeeping (what each record last got, which task belongs to which intervention); an adapter
only knows *how* a CRM stores it. Values cross this boundary already rendered as strings,
the way both HubSpot and Salesforce transport them; `None` clears a field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

from crm_adapters.rich_text import RichText

FieldKind = Literal["number", "enumeration", "multiselect", "datetime", "date", "text"]
MatchBy = Literal["account_id", "domain"]
Priority = Literal["LOW", "MEDIUM", "HIGH"]
TaskType = Literal["TODO", "CALL", "EMAIL"]


@dataclass(frozen=True)
class FieldSpec:
    """One mapped value: which health value (`source`) goes into which CRM field (`name`)."""

    source: str
    """The health value (score, tier, open_triggers, next_action, ...; `connector.config.crm_section.VALUE_TYPES`)."""
    name: str
    label: str
    kind: FieldKind
    options: tuple[str, ...] = ()
    """For enumerations and multi-selects: every value we may write (the field must offer each of them)."""
    description: str = ""
    option_labels: tuple[str, ...] = ()
    """Each option's label in words, in `options`' order (empty: the adapter makes one from the value)."""

    def label_of(self, option: str) -> str | None:
        """The configured label of one option, if any."""
        if option in self.options and len(self.option_labels) == len(self.options):
            return self.option_labels[self.options.index(option)]
        return None


@dataclass(frozen=True)
class FieldMapping:
    """The RevOps-owned mapping: the fields, their group, and how accounts find their record."""

    fields: tuple[FieldSpec, ...]
    match_by: MatchBy = "account_id"
    match_field: str = "healthloop_account_id"
    """The record field holding the product account id (match_by=account_id) or the domain."""
    group: str = "healthloop"
    group_label: str = "healthloop"

    def names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    def match_spec(self) -> FieldSpec:
        """The match field as a FieldSpec, so `check` treats it like the mapped fields."""
        return FieldSpec(
            source="match",
            name=self.match_field,
            label="healthloop account id",
            kind="text",
            description="The product account id healthloop matches this record on",
        )


@dataclass(frozen=True)
class FieldCheck:
    """One row of `healthloop crm check`: a mapped field against the live schema."""

    source: str
    name: str
    ok: bool
    problem: str = ""
    """missing, wrong_type, missing_options, read_only, no_owner, ... or '' when ok."""
    detail: str = ""
    fix: str = ""
    warning: bool = False
    """ok, but someone should look (e.g. open triggers in a text field: written, but not filterable)."""


@dataclass(frozen=True)
class ProvisionResult:
    group_created: bool
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    """Enumerations that lacked some of our options and got them added."""
    existing: tuple[str, ...] = ()
    migrated: tuple[str, ...] = ()
    """Existing fields changed to the type healthloop now writes (e.g. open triggers: text -> multi-select)."""
    messages: tuple[str, ...] = ()
    """What a person should know about what provisioning did or could not do, one sentence each."""


@dataclass(frozen=True)
class AccountKey:
    """What we know to find an account's CRM record."""

    account_id: str
    domain: str | None = None


@dataclass(frozen=True)
class RecordUpdate:
    """New values for one record; only the fields that changed."""

    account_id: str
    record_id: str
    values: Mapping[str, str | None]


@dataclass(frozen=True)
class Outcome:
    """What happened to one item of a batch call. `retryable` failures may succeed later
    (rate limit, 5xx, lock); the others need a person (deleted record, bad value)."""

    key: str
    ok: bool
    remote_id: str | None = None
    retryable: bool = False
    reason: str = ""
    not_found: bool = False
    """The record is gone (deleted or merged in the CRM): re-resolve it rather than retry."""


@dataclass(frozen=True)
class TaskSpec:
    """A task for one intervention. `key` is unique per intervention and makes creation idempotent."""

    key: str
    record_id: str
    subject: str
    body: RichText
    due_at: datetime
    priority: Priority
    task_type: TaskType = "TODO"
    owner_id: str | None = None
    contact_id: str | None = None
    """Who the task is about (Salesforce WhoId); adapters may pick the record's contact when None."""


@dataclass(frozen=True)
class TaskUpdate:
    """The trigger behind an open task cleared: say so in the task, or complete it."""

    task_id: str
    note: RichText
    complete: bool = False


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    status: str
    completed: bool
    completed_at: datetime | None = None


@dataclass(frozen=True)
class NoteSpec:
    """A note on the record, e.g. the story of a tier change. `key` makes it idempotent."""

    key: str
    record_id: str
    body: RichText
    at: datetime


@dataclass(frozen=True)
class EnrollmentSpec:
    """Enroll the record's configured contact in a sequence (HubSpot) or cadence (Salesforce)."""

    key: str
    record_id: str
    sequence_id: str
    sender_email: str | None = None
    user_id: str | None = None
    contact_id: str | None = None
    """When None, the adapter picks the record's contact by its configured rule."""


@dataclass(frozen=True)
class EnrollmentStatus:
    """Where one enrollment stands, for measuring responses."""

    enrollment_id: str
    state: str
    replied: bool | None = None
    """The contact engaged (True), did not (False), or the CRM cannot say yet (None)."""
    disposition: str | None = None


@dataclass(frozen=True)
class Renewal:
    record_id: str
    deal_id: str
    closed: bool
    won: bool
    close_date: date | None = None
    amount: float | None = None
    name: str | None = None


@dataclass
class ApiUsage:
    """Calls this adapter made, and what the CRM says is left (from its rate-limit headers)."""

    calls: int = 0
    write_calls: int = 0
    retries: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    remaining: int | None = None
    """Requests left in the current interval."""
    daily_remaining: int | None = None
    interval_max: int | None = None
    daily_max: int | None = None
    on_call: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)
    """Told of every attempt: (kind, status), status `ok`, an HTTP status, or `connection` (metrics)."""

    def record(self, kind: str, status: str) -> None:
        if self.on_call is not None:
            self.on_call(kind, status)


@dataclass(frozen=True)
class PlannedWork:
    """What a sync is about to send (for the API calls a dry run says it would take)."""

    records: int = 0
    """Records with field changes."""
    tasks: int = 0
    task_records: int = 0
    """Distinct records the new tasks belong to."""
    task_updates: int = 0
    notes: int = 0
    enrollments: int = 0


@runtime_checkable
class CrmAdapter(Protocol):
    """Everything healthloop asks of a CRM. Every method works on batches and never raises for
    one bad item: it reports it in the item's `Outcome`. It raises `CrmError` subclasses
    (crm_adapters.errors) only for what stops the whole call (auth, configuration, outage)."""

    name: str
    usage: ApiUsage
    write_batch_size: int
    """Most records one `write_fields` call can carry (HubSpot 100, Salesforce 200)."""

    def provision(self, mapping: FieldMapping) -> ProvisionResult:
        """Create the group and the missing fields; leave existing ones alone. Safe to run twice."""
        ...

    def check(self, mapping: FieldMapping) -> list[FieldCheck]:
        """Each mapped field against the live schema (exists, type, options, writable)."""
        ...

    def check_playbook(self, sequences: Mapping[str, EnrollmentSpec], owners: Mapping[str, str]) -> list[FieldCheck]:
        """The configured sequences (playbook row -> target; key and record_id unused) and owners
        (role -> owner id) exist, and each sequence's sender may send it."""
        ...

    def resolve(self, keys: Sequence[AccountKey], mapping: FieldMapping) -> dict[str, str]:
        """account_id -> record id for the accounts that have a record (others are absent)."""
        ...

    def write_fields(self, updates: Sequence[RecordUpdate]) -> list[Outcome]:
        """Write the values in as few calls as the CRM allows; one `Outcome` per update (key = account_id)."""
        ...

    def record_owners(self, record_ids: Sequence[str]) -> dict[str, str | None]:
        """record id -> owner id (who gets the record's tasks)."""
        ...

    def owner_names(self, owner_ids: Sequence[str]) -> dict[str, str]:
        """owner id -> the person's name (absent: unknown owner)."""
        ...

    def estimate_calls(self, work: PlannedWork) -> dict[str, int]:
        """{"writes": n, "reads": m}: the calls `work` takes when nothing fails (writes exact, reads at most)."""
        ...

    def upsert_tasks(self, tasks: Sequence[TaskSpec]) -> list[Outcome]:
        """Create each task once per `key`, even when called again after a crash (key = TaskSpec.key)."""
        ...

    def update_tasks(self, updates: Sequence[TaskUpdate]) -> list[Outcome]:
        """Append the note to each task's body and complete it when asked (key = task id); a task
        someone already completed is left as it is (ok, reason "already completed")."""
        ...

    def add_notes(self, notes: Sequence[NoteSpec]) -> list[Outcome]:
        """Create each note once per `key` (key = NoteSpec.key)."""
        ...

    def enroll(self, enrollments: Sequence[EnrollmentSpec]) -> list[Outcome]:
        """Enroll contacts in sequences; misconfiguration is a non-retryable outcome that says what to fix."""
        ...

    def read_tasks(self, task_ids: Sequence[str]) -> dict[str, TaskStatus]:
        """Current status of tasks (absent = deleted)."""
        ...

    def enrollment_states(self, enrollment_ids: Sequence[str]) -> dict[str, EnrollmentStatus]:
        """Where enrollments stand (the ids `enroll` returned); absent when the CRM cannot tell."""
        ...

    def read_renewals(self, record_ids: Sequence[str]) -> list[Renewal]:
        """Renewal deals/opportunities of the records."""
        ...

    def renewal_records(self, deal_ids: Sequence[str]) -> dict[str, str]:
        """deal / opportunity id -> the record (company / account) it belongs to (absent: none or gone)."""
        ...
