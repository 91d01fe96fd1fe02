"""HubSpotAdapter: the CrmAdapter for HubSpot (companies, tasks, notes, sequences, deals).

Every HTTP call goes through `HubSpotCalls` (rate limit, retries, error translation). Tasks and
notes are created exactly once per key with unique `healthloop_*_key` properties: read by key,
create only what is missing, and read back when a create collides with a key that exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

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
from crm_adapters.errors import CrmRetryableError
from crm_adapters.hubspot import records
from crm_adapters.hubspot.activities import HubSpotActivities
from crm_adapters.hubspot.calls import HubSpotCalls, HubSpotFatalError
from crm_adapters.hubspot.client import HubSpotClient, HubSpotCredentials
from crm_adapters.hubspot.enrollment import EnrollContact, check_owners, check_sequences, enroll_all
from crm_adapters.hubspot.records import BATCH_LIMIT, chunks, unique
from crm_adapters.hubspot.schema import HubSpotSchema
from crm_adapters.ratelimit import RateLimiter

RENEWAL_PROPERTIES = ["dealname", "amount", "closedate", "pipeline", "dealstage", "dealtype", "hs_is_closed",
                      "hs_is_closed_won"]  # fmt: skip


@dataclass(frozen=True)
class HubSpotOptions:
    """How the adapter paces, retries, picks contacts and finds renewals; every default documented here."""

    redis_url: str | None = None
    """Shared rate-limit state; None keeps the budget per process."""
    rate_limit_key: str = "hubspot"
    """One budget per portal: include the portal id when several portals share a Redis."""
    rate_limit_requests: int = 100
    rate_limit_interval_seconds: float = 10.0
    search_requests_per_second: int = 4
    """CRM search has its own, smaller limit (4/s per token) outside the 10 s budget."""
    max_attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    timeout_seconds: float = 30.0
    enroll_contact: EnrollContact = "first"
    """first: the company's lowest-id contact. owner_email_domain: its first contact whose email is at the
    company's own domain (skips resellers and agencies associated with the company)."""
    renewal_pipeline: str | None = None
    """Only deals in this pipeline count as renewals (None: any pipeline)."""
    renewal_deal_type: str | None = "existingbusiness"
    """Only deals of this dealtype count as renewals (None: any type)."""
    task_key_property: str = "healthloop_intervention_key"
    note_key_property: str = "healthloop_note_key"


class HubSpotAdapter:
    """CrmAdapter over hubspot-api-client; see `HubSpotOptions` for the knobs."""

    name = "hubspot"
    write_batch_size = BATCH_LIMIT
    """HubSpot batch endpoints take at most 100 inputs."""

    def __init__(
        self,
        credentials: HubSpotCredentials,
        options: HubSpotOptions | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.options = options = options or HubSpotOptions()
        self.usage = ApiUsage()
        self.client = HubSpotClient(credentials, session=session, timeout=options.timeout_seconds)
        self.limiter = RateLimiter(
            options.rate_limit_requests,
            options.rate_limit_interval_seconds,
            redis_url=options.redis_url,
            key=options.rate_limit_key,
        )
        self.search_limiter = RateLimiter(
            options.search_requests_per_second, 1, redis_url=options.redis_url, key=f"{options.rate_limit_key}:search"
        )
        self.calls = HubSpotCalls(
            self.client,
            self.usage,
            limiter=self.limiter,
            search_limiter=self.search_limiter,
            max_attempts=options.max_attempts,
            backoff_seconds=options.backoff_seconds,
            backoff_max_seconds=options.backoff_max_seconds,
            sleep=sleep or time.sleep,
        )
        self.schema = HubSpotSchema(
            self.calls, task_key_property=options.task_key_property, note_key_property=options.note_key_property
        )
        self._owner_names: dict[str, str | None] = {}
        self.activities = HubSpotActivities(self.calls, self, options.task_key_property, options.note_key_property)

    def close(self) -> None:
        self.client.close()
        self.limiter.close()
        self.search_limiter.close()

    # --- schema -------------------------------------------------------------------------------

    def provision(self, mapping: FieldMapping) -> ProvisionResult:
        return self.schema.provision(mapping)

    def check(self, mapping: FieldMapping) -> list[FieldCheck]:
        return self.schema.check(mapping)

    # --- records ------------------------------------------------------------------------------

    def resolve(self, keys: Sequence[AccountKey], mapping: FieldMapping) -> dict[str, str]:
        if mapping.match_by == "account_id":
            ids = unique(key.account_id for key in keys)
            found = self.read_objects("companies", ids, [mapping.match_field], id_property=mapping.match_field)
            return {account_id: found[account_id]["id"] for account_id in ids if account_id in found}
        by_domain: dict[str, list[str]] = {}
        for key in keys:
            domain = records.normalize_domain(key.domain)
            if domain:
                by_domain.setdefault(domain, []).append(key.account_id)
        # HubSpot keeps a domain as it was entered, so ask for both forms of each.
        wanted = [form for domain in by_domain for form in (domain, f"www.{domain}")]
        matches = self._search_in("companies", mapping.match_field, wanted)
        resolved: dict[str, str] = {}
        for domain, account_ids in by_domain.items():
            if domain in matches:
                for account_id in account_ids:
                    resolved[account_id] = matches[domain]
        return resolved

    def _search_in(self, object_type: str, property_name: str, values: list[str]) -> dict[str, str]:
        """normalized value -> object id via `IN` searches; on duplicates the oldest (lowest id) record wins."""
        found: dict[str, str] = {}
        for chunk in chunks(values, records.SEARCH_IN_LIMIT):
            after: str | None = None
            while True:
                body: dict[str, Any] = {
                    "filterGroups": [{"filters": [{"propertyName": property_name, "operator": "IN", "values": chunk}]}],
                    "properties": [property_name],
                    "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                    "limit": 200,
                }
                if after:
                    body["after"] = after
                response = self.calls.api(
                    f"{object_type}.search", "crm.objects.search_api", "do_search", object_type, body
                )
                payload = response.body or {}
                for result in payload.get("results", []):
                    value = records.normalize_domain((result.get("properties") or {}).get(property_name))
                    if value and (value not in found or int(result["id"]) < int(found[value])):
                        found[value] = str(result["id"])
                after = ((payload.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        return found

    def read_objects(
        self, object_type: str, ids: Sequence[str], properties: list[str], *, id_property: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """id (or `id_property` value) -> object, for those that exist; unknown ones are simply absent."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(unique(ids)):
            body: dict[str, Any] = {"inputs": [{"id": i} for i in chunk], "properties": properties}
            if id_property:
                body["idProperty"] = id_property
            try:
                response = self.calls.api(f"{object_type}.read", "crm.objects.batch_api", "read", object_type, body)
            except HubSpotFatalError as exc:
                if exc.status == 404:
                    continue
                raise
            for result in (response.body or {}).get("results", []):
                key = (result.get("properties") or {}).get(id_property) if id_property else result.get("id")
                if key is not None:
                    found[str(key)] = result
        return found

    def write_fields(self, updates: Sequence[RecordUpdate]) -> list[Outcome]:
        items = [
            (u.account_id, u.record_id, {name: "" if value is None else value for name, value in u.values.items()})
            for u in updates
        ]
        return self.batch_update("companies", items)

    def batch_update(self, object_type: str, items: list[tuple[str, str, dict[str, str]]]) -> list[Outcome]:
        """(key, id, properties) in ceil(n/100) calls; an id named twice waits for a later round."""
        outcomes: list[Outcome] = []
        rounds: list[list[tuple[str, str, dict[str, str]]]] = []
        seen: dict[str, int] = {}  # record id -> how many rounds already hold it
        for item in items:
            index = seen.get(item[1], 0)
            seen[item[1]] = index + 1
            if index == len(rounds):
                rounds.append([])
            rounds[index].append(item)
        pending = [chunk for batch in rounds for chunk in chunks(batch)]
        for index, chunk in enumerate(pending):
            try:
                outcomes += self._update_chunk(object_type, list(chunk))
            except CrmRetryableError as exc:
                # Out of retries: this chunk and the rest wait for the next sync; nothing is lost.
                for rest in pending[index:]:
                    outcomes += [Outcome(key, False, rid, retryable=True, reason=str(exc)) for key, rid, _ in rest]
                break
        return outcomes

    def _update_chunk(self, object_type: str, items: list[tuple[str, str, dict[str, str]]]) -> list[Outcome]:
        body = {"inputs": [{"id": rid, "properties": props} for _, rid, props in items]}
        try:
            response = self.calls.api(
                f"{object_type}.update", "crm.objects.batch_api", "update", object_type, body, write=True
            )
        except HubSpotFatalError as exc:
            if exc.status not in (400, 404) or len(items) == 1:
                gone = exc.status == 404 or exc.category == "OBJECT_NOT_FOUND"
                reason = records.NOT_FOUND_REASON if gone else f"{exc.category}: {exc.body.get('message')}"
                return [Outcome(key, False, rid, reason=reason, not_found=gone) for key, rid, _ in items]
            # One bad input fails the whole batch: halve until the bad ones stand alone.
            middle = len(items) // 2
            return self._update_chunk(object_type, items[:middle]) + self._update_chunk(object_type, items[middle:])
        failures = records.batch_failures(response.body)
        outcomes = []
        for key, rid, _ in items:
            reason, gone = failures.get(rid, ("", False))
            outcomes.append(Outcome(key, rid not in failures, rid, reason=reason, not_found=gone))
        return outcomes

    def check_playbook(self, sequences: Mapping[str, EnrollmentSpec], owners: Mapping[str, str]) -> list[FieldCheck]:
        return check_sequences(self.calls, sequences) + check_owners(self.calls, owners)

    def record_owners(self, record_ids: Sequence[str]) -> dict[str, str | None]:
        found = self.read_objects("companies", record_ids, ["hubspot_owner_id"])
        return {rid: (obj.get("properties") or {}).get("hubspot_owner_id") or None for rid, obj in found.items()}

    def owner_names(self, owner_ids: Sequence[str]) -> dict[str, str]:
        """Owner id -> "First Last" (else the email), one read per owner not yet seen by this adapter."""
        for owner_id in unique(owner_ids):
            if owner_id in self._owner_names:
                continue
            try:
                response = self.calls.request("owners.read", "GET", f"/crm/v3/owners/{owner_id}")
            except HubSpotFatalError as exc:
                if exc.status != 404:
                    raise
                self._owner_names[owner_id] = None
                continue
            self._owner_names[owner_id] = records.person_name(response.body or {})
        return {owner_id: name for owner_id in owner_ids if (name := self._owner_names.get(owner_id))}

    def estimate_calls(self, work: PlannedWork) -> dict[str, int]:
        """Writes: batch updates (100 a call), creates of tasks and notes (100 a call), one call per enrollment.
        Reads: key lookups before each create and update batch, and the contacts picked for enrollments."""

        def calls(n: int) -> int:
            return -(-n // BATCH_LIMIT)

        writes = calls(work.records) + calls(work.tasks) + calls(work.notes) + calls(work.task_updates)
        reads = calls(work.tasks) + calls(work.notes) + calls(work.task_updates) + calls(work.enrollments)
        return {"writes": writes + work.enrollments, "reads": reads}

    # --- tasks and notes ------------------------------------------------------------------------

    def upsert_tasks(self, tasks: Sequence[TaskSpec]) -> list[Outcome]:
        return self.activities.upsert_tasks(tasks)

    def add_notes(self, notes: Sequence[NoteSpec]) -> list[Outcome]:
        return self.activities.add_notes(notes)

    def update_tasks(self, updates: Sequence[TaskUpdate]) -> list[Outcome]:
        return self.activities.update_tasks(updates)

    def read_tasks(self, task_ids: Sequence[str]) -> dict[str, TaskStatus]:
        found = self.read_objects("tasks", task_ids, ["hs_task_status", "hs_task_completion_date"])
        return {tid: records.task_status(tid, obj.get("properties") or {}) for tid, obj in found.items()}

    # --- sequences and renewals ----------------------------------------------------------------

    def enroll(self, enrollments: Sequence[EnrollmentSpec]) -> list[Outcome]:
        return enroll_all(self.calls, self, enrollments, self.options.enroll_contact)

    def enrollment_states(self, enrollment_ids: Sequence[str]) -> dict[str, EnrollmentStatus]:
        """HubSpot's Sequences v4 API tells when a contact was enrolled, not whether they replied:
        nothing to read (responses come from task completion)."""
        return {}

    def renewal_records(self, deal_ids: Sequence[str]) -> dict[str, str]:
        companies = self.associated("deals", "companies", deal_ids)
        return {deal_id: linked[0] for deal_id, linked in companies.items() if linked}

    def associated(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[str]]:
        """id -> associated ids (v4 batch read; the first page of each, lowest id first)."""
        linked: dict[str, list[str]] = {}
        for chunk in chunks(unique(ids)):
            body = {"inputs": [{"id": i} for i in chunk]}
            try:
                response = self.calls.api(
                    f"associations.{from_type}.{to_type}", "crm.associations.v4.batch_api", "get_page",
                    from_type, to_type, body,
                )  # fmt: skip
            except HubSpotFatalError as exc:
                if exc.status == 404:
                    continue
                raise
            for result in (response.body or {}).get("results", []):
                targets = sorted({str(to["toObjectId"]) for to in result.get("to") or []}, key=_numeric)
                linked[str((result.get("from") or {}).get("id"))] = targets
        return linked

    def read_renewals(self, record_ids: Sequence[str]) -> list[Renewal]:
        deals_of = self.associated("companies", "deals", record_ids)
        deals = self.read_objects("deals", [d for ids in deals_of.values() for d in ids], RENEWAL_PROPERTIES)
        renewals: list[Renewal] = []
        for record_id in unique(record_ids):
            for deal_id in deals_of.get(record_id, []):
                props = (deals.get(deal_id) or {}).get("properties")
                if props is None or not self._is_renewal(props):
                    continue
                renewals.append(records.renewal(record_id, deal_id, props))
        return renewals

    def _is_renewal(self, props: dict[str, Any]) -> bool:
        pipeline, deal_type = self.options.renewal_pipeline, self.options.renewal_deal_type
        return (pipeline is None or props.get("pipeline") == pipeline) and (
            deal_type is None or props.get("dealtype") == deal_type
        )


def _numeric(object_id: str) -> tuple[int, str]:
    return (int(object_id), object_id) if object_id.isdigit() else (2**63, object_id)
