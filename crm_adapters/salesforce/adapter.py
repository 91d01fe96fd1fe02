"""SalesforceAdapter: the CrmAdapter for Salesforce (Accounts, Tasks, Sales Engagement cadences, Opportunities).

Every call goes through `SalesforceCalls` (quota share, re-login, retries, error translation).
Fields are written with sObject Collections, 200 records a call. Tasks and notes (completed
Tasks) are created exactly once per key through the unique external-id field `Healthloop_Key__c`:
read by key, create only the missing, and read back when a create collides with the unique key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import requests
from simple_salesforce import format_soql

from crm_adapters.base import (
    AccountKey,
    ApiUsage,
    EnrollmentSpec,
    EnrollmentStatus,
    FieldCheck,
    FieldMapping,
    NoteSpec,
    Outcome,
    PlannedWork,
    ProvisionResult,
    RecordUpdate,
    Renewal,
    TaskSpec,
    TaskStatus,
    TaskUpdate,
)
from crm_adapters.errors import CrmConfigError, CrmRetryableError
from crm_adapters.ratelimit import RateLimiter
from crm_adapters.salesforce import cadences, fields, records
from crm_adapters.salesforce.activities import SalesforceActivities
from crm_adapters.salesforce.calls import SalesforceCalls, SalesforceFatalError
from crm_adapters.salesforce.client import DEFAULT_API_VERSION, SalesforceClient, SalesforceCredentials
from crm_adapters.salesforce.queries import query_in
from crm_adapters.salesforce.records import COLLECTION_LIMIT, chunks, unique
from crm_adapters.salesforce.schema import SalesforceSchema

Item = tuple[str, str, dict[str, Any]]
"""(outcome key, record id, field values) of one record update."""


@dataclass(frozen=True)
class SalesforceOptions:
    """How the adapter paces, retries, spends the org's API allocation and finds renewals; defaults documented here."""

    api_version: str = DEFAULT_API_VERSION
    redis_url: str | None = None
    """Shared pacing state; None keeps any pacing per process."""
    rate_limit_key: str = "salesforce"
    rate_limit_requests: int | None = None
    """Pace all workers to this many requests per `rate_limit_interval_seconds` (None: no pacing;
    Salesforce has no short window, only the org's rolling 24-hour allocation)."""
    rate_limit_interval_seconds: float = 1.0
    max_daily_share: float = 0.8
    """Stop calling (retryable, `quota_pause_seconds`) once this share of the org's daily API allocation is used."""
    quota_pause_seconds: float = 900.0
    request_limit_pause_seconds: float = 3600.0
    """After 403 REQUEST_LIMIT_EXCEEDED, wait this long before calling again (the allocation is rolling 24 h)."""
    max_attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    timeout_seconds: float = 30.0
    task_key_field: str = fields.TASK_KEY_FIELD
    """Task custom field (Text, external id, unique) holding the idempotency key of tasks and notes."""
    task_contact: Literal["first", "none"] = "first"
    """Tasks' WhoId: the account's first (oldest) Contact, or none."""
    renewal_type: str | None = None
    """Only Opportunities of this Type count as renewals (None: any Type)."""
    renewal_record_type: str | None = None
    """Only Opportunities of this record type (DeveloperName) count as renewals (None: any)."""


class SalesforceAdapter:
    """CrmAdapter over simple-salesforce; see `SalesforceOptions` for the knobs."""

    name = "salesforce"
    write_batch_size = COLLECTION_LIMIT
    """sObject Collections take at most 200 records."""

    def __init__(
        self,
        credentials: SalesforceCredentials,
        options: SalesforceOptions | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.options = options = options or SalesforceOptions()
        if not 0 < options.max_daily_share <= 1:
            raise CrmConfigError("max_daily_share must be in (0, 1], e.g. 0.8 for 80% of the org's daily API calls")
        fields.require_custom(options.task_key_field)
        self.usage = ApiUsage()
        self.client = SalesforceClient(
            credentials, session=session, version=options.api_version, timeout=options.timeout_seconds
        )
        self.limiter = (
            RateLimiter(
                options.rate_limit_requests,
                options.rate_limit_interval_seconds,
                redis_url=options.redis_url,
                key=options.rate_limit_key,
            )
            if options.rate_limit_requests
            else None
        )
        self.calls = SalesforceCalls(
            self.client,
            self.usage,
            limiter=self.limiter,
            max_attempts=options.max_attempts,
            backoff_seconds=options.backoff_seconds,
            backoff_max_seconds=options.backoff_max_seconds,
            max_daily_share=options.max_daily_share,
            quota_pause_seconds=options.quota_pause_seconds,
            request_limit_pause_seconds=options.request_limit_pause_seconds,
            sleep=sleep or time.sleep,
        )
        self._owner_names: dict[str, str | None] = {}
        self._login_user: str | None = None
        self.activities = SalesforceActivities(self.calls, self, options.task_key_field, options.task_contact)
        self.schema = SalesforceSchema(self.calls, task_key_field=options.task_key_field)

    def close(self) -> None:
        self.client.close()
        if self.limiter is not None:
            self.limiter.close()

    # --- schema (crm_adapters/salesforce/schema.py) ---------------------------------------------

    def describe(self, object_name: str, *, fresh: bool = False) -> dict[str, dict[str, Any]]:
        return self.schema.describe(object_name, fresh=fresh)

    def provision(self, mapping: FieldMapping) -> ProvisionResult:
        return self.schema.provision(mapping)

    def check(self, mapping: FieldMapping) -> list[FieldCheck]:
        return self.schema.check(mapping)

    # --- records ------------------------------------------------------------------------------

    def resolve(self, keys: Sequence[AccountKey], mapping: FieldMapping) -> dict[str, str]:
        self.schema.learn(mapping)
        field = fields.soql_name(mapping.match_field)
        if mapping.match_by == "account_id":
            ids = unique(key.account_id for key in keys)
            rows = query_in(self.calls, "accounts.resolve", f"Id, {field}, CreatedDate", "Account", field, ids)
            found: dict[str, tuple[str, str]] = {}
            for row in rows:
                value, created = str(row.get(field) or ""), str(row.get("CreatedDate") or "")
                if value and (value not in found or created < found[value][1]):
                    found[value] = (str(row["Id"]), created)  # duplicates: the oldest record wins
            return {account_id: found[account_id][0] for account_id in ids if account_id in found}
        by_domain: dict[str, list[str]] = {}
        for key in keys:
            domain = records.normalize_domain(key.domain)
            if domain:
                by_domain.setdefault(domain, []).append(key.account_id)
        matches = self._accounts_by_domain(field, list(by_domain))
        return {
            account_id: matches[domain]
            for domain, account_ids in by_domain.items()
            if domain in matches
            for account_id in account_ids
        }

    def _accounts_by_domain(self, field: str, domains: list[str]) -> dict[str, str]:
        """normalized domain -> Account id. Website holds whatever a person typed, so ask with LIKE and
        normalize here; on duplicates the oldest account wins."""
        found: dict[str, tuple[str, str]] = {}
        for chunk in chunks(domains, 25):
            clauses = " OR ".join(
                format_soql("{field:literal} LIKE '%{domain:like}%'", field=field, domain=d) for d in chunk
            )
            soql = f"SELECT Id, {field}, CreatedDate FROM Account WHERE {clauses}"
            for row in self.calls.query("accounts.resolve_domain", soql):
                domain, created = records.normalize_domain(row.get(field)), str(row.get("CreatedDate") or "")
                if domain in chunk and (domain not in found or created < found[domain][1]):
                    found[domain] = (str(row["Id"]), created)
        return {domain: pair[0] for domain, pair in found.items()}

    def write_fields(self, updates: Sequence[RecordUpdate]) -> list[Outcome]:
        kinds = self.schema.kinds_for({name for u in updates for name in u.values})
        items: list[Item] = []
        refused: dict[int, Outcome] = {}
        for index, update in enumerate(updates):
            try:
                values = {name: fields.encode_value(kinds.get(name), value) for name, value in update.values.items()}
            except ValueError as exc:
                refused[index] = Outcome(update.account_id, False, update.record_id, reason=f"bad value: {exc}")
                continue
            items.append((update.account_id, update.record_id, values))
        written = iter(self.batch_update("Account", items))
        return [refused[i] if i in refused else next(written) for i in range(len(updates))]

    def batch_update(self, object_name: str, items: list[Item]) -> list[Outcome]:
        """PATCH composite/sobjects in ceil(n/200) calls (an id named twice waits for a later round)."""
        rounds: list[list[tuple[int, Item]]] = []
        seen: dict[str, int] = {}
        for position, item in enumerate(items):
            index = seen.get(item[1], 0)
            seen[item[1]] = index + 1
            if index == len(rounds):
                rounds.append([])
            rounds[index].append((position, item))
        pending = [list(chunk) for batch in rounds for chunk in chunks(batch)]
        results: dict[int, Outcome] = {}
        for index, chunk in enumerate(pending):
            try:
                results.update(self._update_chunk(object_name, chunk))
            except CrmRetryableError as exc:
                # Out of retries (or quota): this chunk and the rest wait for the next sync; nothing is lost.
                for rest in pending[index:]:
                    for position, (key, rid, _) in rest:
                        results[position] = Outcome(key, False, rid, retryable=True, reason=str(exc))
                break
        return [results[position] for position in range(len(items))]

    def _update_chunk(self, object_name: str, chunk: list[tuple[int, Item]]) -> dict[int, Outcome]:
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": object_name}, "id": rid, **values} for _, (_, rid, values) in chunk],
        }
        try:
            response = self.calls.restful(
                f"{object_name.lower()}.update", "composite/sobjects", method="PATCH", json=body, write=True
            )
        except SalesforceFatalError as exc:
            return {position: Outcome(key, False, rid, reason=exc.message) for position, (key, rid, _) in chunk}
        results = response if isinstance(response, list) else []
        return {
            position: records.save_outcome(key, rid, results[i] if i < len(results) else None)
            for i, (position, (key, rid, _)) in enumerate(chunk)
        }

    def record_owners(self, record_ids: Sequence[str]) -> dict[str, str | None]:
        """Account id -> OwnerId. An account owned by the user healthloop logs in as (what an integration that
        created it leaves behind) counts as having no owner: no CSM would see its tasks."""
        ids = [rid for rid in unique(record_ids) if records.looks_like_id(rid)]
        rows = query_in(self.calls, "accounts.owners", "Id, OwnerId", "Account", "Id", ids)
        integration = self._integration_user() if rows else None
        return {str(row["Id"]): (row.get("OwnerId") or None) if row.get("OwnerId") != integration else None
                for row in rows}  # fmt: skip

    def _integration_user(self) -> str | None:
        """The id of the user healthloop logs in as (by username; unknown for a bare session id)."""
        username = self.client.credentials.username
        if self._login_user is None and username:
            soql = format_soql("SELECT Id FROM User WHERE Username = {}", username)
            found = self.calls.query("users.self", soql)
            self._login_user = str(found[0]["Id"]) if found else ""
        return self._login_user or None

    def owner_names(self, owner_ids: Sequence[str]) -> dict[str, str]:
        """User id -> Name, read once per user per adapter."""
        wanted = [oid for oid in unique(owner_ids) if records.looks_like_id(oid) and oid not in self._owner_names]
        if wanted:
            rows = query_in(self.calls, "users.names", "Id, Name", "User", "Id", wanted)
            found = {str(row["Id"]): str(row.get("Name") or "") or None for row in rows}
            self._owner_names |= {oid: found.get(oid) for oid in wanted}
        return {oid: name for oid in owner_ids if (name := self._owner_names.get(oid))}

    def estimate_calls(self, work: PlannedWork) -> dict[str, int]:
        """Writes: Collections of 200 (fields, task and note creates, task updates), cadence assignments of 100.
        Reads: key lookups before creates and updates, each task record's first contact, the task statuses."""

        def calls(n: int, size: int = COLLECTION_LIMIT) -> int:
            return -(-n // size)

        writes = calls(work.records) + calls(work.tasks) + calls(work.notes) + calls(work.task_updates)
        writes += calls(work.enrollments, cadences.ACTION_INPUTS)
        reads = calls(work.tasks) + calls(work.notes) + calls(work.task_updates) + calls(work.task_records)
        reads += calls(work.enrollments) + (1 if work.tasks or work.notes else 0)
        return {"writes": writes, "reads": reads}

    # --- tasks and notes ------------------------------------------------------------------------

    def task_statuses(self) -> tuple[str, str]:
        return self.activities.task_statuses()

    def upsert_tasks(self, tasks: Sequence[TaskSpec]) -> list[Outcome]:
        return self.activities.upsert_tasks(tasks)

    def add_notes(self, notes: Sequence[NoteSpec]) -> list[Outcome]:
        return self.activities.add_notes(notes)

    def update_tasks(self, updates: Sequence[TaskUpdate]) -> list[Outcome]:
        return self.activities.update_tasks(updates)

    def read_tasks(self, task_ids: Sequence[str]) -> dict[str, TaskStatus]:
        ids = [tid for tid in unique(task_ids) if records.looks_like_id(tid)]
        rows = query_in(self.calls, "tasks.status", "Id, Status, IsClosed, CompletedDateTime", "Task", "Id", ids)
        return {str(row["Id"]): records.task_status(row) for row in rows}

    # --- cadences and renewals -----------------------------------------------------------------

    def check_playbook(self, sequences: Mapping[str, EnrollmentSpec], owners: Mapping[str, str]) -> list[FieldCheck]:
        return cadences.check_cadences(self.calls, sequences) + cadences.check_owners(self.calls, owners)

    def enroll(self, enrollments: Sequence[EnrollmentSpec]) -> list[Outcome]:
        return cadences.enroll_all(self.calls, enrollments)

    def read_enrollments(self, target_ids: Sequence[str]) -> list[cadences.CadenceTracker]:
        """Cadence trackers of contacts (state, completion reason and disposition): for measuring outcomes."""
        return cadences.read_trackers(self.calls, target_ids)

    def enrollment_states(self, enrollment_ids: Sequence[str]) -> dict[str, EnrollmentStatus]:
        """Cadence trackers by tracker id or by target contact (what `enroll` returned), newest last."""
        ids = list(enrollment_ids)
        found: dict[str, EnrollmentStatus] = {}
        for tracker in cadences.read_trackers(self.calls, ids):
            key = tracker.tracker_id if tracker.tracker_id in ids else tracker.target_id
            found[key] = cadences.enrollment_status(key, tracker)
        return found

    def renewal_records(self, deal_ids: Sequence[str]) -> dict[str, str]:
        rows = query_in(self.calls, "opportunities.accounts", "Id, AccountId", "Opportunity", "Id", list(deal_ids))
        return {str(row["Id"]): str(row["AccountId"]) for row in rows if row.get("AccountId")}

    def read_renewals(self, record_ids: Sequence[str]) -> list[Renewal]:
        ids = [rid for rid in unique(record_ids) if records.looks_like_id(rid)]
        conditions = []
        if self.options.renewal_type is not None:
            conditions.append(format_soql("Type = {}", self.options.renewal_type))
        if self.options.renewal_record_type is not None:
            conditions.append(format_soql("RecordType.DeveloperName = {}", self.options.renewal_record_type))
        rows = query_in(
            self.calls,
            "opportunities.read",
            "Id, AccountId, Name, StageName, IsClosed, IsWon, CloseDate, Amount, Type",
            "Opportunity",
            "AccountId",
            ids,
            where=" AND ".join(conditions),
        )
        return [records.renewal(row) for row in rows]
