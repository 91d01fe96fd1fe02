"""Sales Engagement cadences (Salesforce's sequences): assign contacts, read trackers, check the playbook.

Assignment is the invocable action `assignTargetToSalesCadence`; it takes many inputs per call and
answers one result per input (HTTP 400 with the same list when they all fail). A 404 on the action,
or INVALID_TYPE when querying ActionCadence, means Sales Engagement is off for the org or the user.
Misconfiguration is a non-retryable Outcome whose reason says what to fix. These functions take the
`SalesforceCalls` they send through; the adapter calls them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simple_salesforce import format_soql

from crm_adapters.base import EnrollmentSpec, EnrollmentStatus, FieldCheck, Outcome
from crm_adapters.errors import CrmConfigError, CrmRetryableError
from crm_adapters.salesforce import records
from crm_adapters.salesforce.calls import SalesforceCalls, SalesforceFatalError, SalesforcePermissionError
from crm_adapters.salesforce.queries import query_in

ASSIGN_ACTION = "actions/standard/assignTargetToSalesCadence"
ACTION_INPUTS = 100
NOT_ENABLED = (
    "Sales Engagement is not enabled in this org (or the user lacks cadence permissions): enable it, "
    "or remove crm.sequences"
)


@dataclass(frozen=True)
class CadenceTracker:
    """One ActionCadenceTracker: where a target stands in a cadence, and how it ended."""

    tracker_id: str
    cadence_id: str | None
    target_id: str
    state: str
    completion_reason: str | None = None
    completion_disposition: str | None = None


def first_contacts(calls: SalesforceCalls, account_ids: Sequence[str]) -> dict[str, str]:
    """Account id -> its first (oldest) Contact."""
    ids = [rid for rid in records.unique(account_ids) if records.looks_like_id(rid)]
    rows = query_in(calls, "contacts.read", "Id, AccountId", "Contact", "AccountId", ids, order_by="CreatedDate")
    picked: dict[str, str] = {}
    for row in rows:
        picked.setdefault(str(row.get("AccountId")), str(row["Id"]))
    return picked


def enroll_all(calls: SalesforceCalls, enrollments: Sequence[EnrollmentSpec]) -> list[Outcome]:
    try:
        contacts = first_contacts(calls, [e.record_id for e in enrollments if not e.contact_id])
    except CrmRetryableError as exc:
        return [Outcome(e.key, False, retryable=True, reason=str(exc)) for e in enrollments]
    results: dict[int, Outcome] = {}
    ready: list[tuple[int, EnrollmentSpec, str]] = []
    for index, spec in enumerate(enrollments):
        contact_id = spec.contact_id or contacts.get(spec.record_id)
        if contact_id:
            ready.append((index, spec, contact_id))
        else:
            reason = f"no contact to enroll on account {spec.record_id}: add a Contact, or set contact_id"
            results[index] = Outcome(spec.key, False, reason=reason)
    for position, chunk in enumerate(records.chunks(ready, ACTION_INPUTS)):
        try:
            results.update(_assign(calls, list(chunk)))
        except CrmRetryableError as exc:
            for rest in ready[position * ACTION_INPUTS :]:
                results[rest[0]] = Outcome(rest[1].key, False, retryable=True, reason=str(exc))
            break
    return [results[index] for index in range(len(enrollments))]


def _assign(calls: SalesforceCalls, chunk: list[tuple[int, EnrollmentSpec, str]]) -> dict[int, Outcome]:
    inputs = []
    for _, spec, contact_id in chunk:
        entry = {"salesCadenceNameOrId": spec.sequence_id, "targetId": contact_id}
        if spec.user_id:
            entry["userId"] = spec.user_id
        inputs.append(entry)
    try:
        response = calls.restful("cadences.assign", ASSIGN_ACTION, method="POST", json={"inputs": inputs}, write=True)
    except SalesforcePermissionError as exc:
        return {i: Outcome(s.key, False, reason=f"{NOT_ENABLED} ({exc.category})") for i, s, _ in chunk}
    except SalesforceFatalError as exc:
        if exc.status == 404:
            return {i: Outcome(s.key, False, reason=NOT_ENABLED) for i, s, _ in chunk}
        if any("isSuccess" in error for error in exc.errors):
            response = exc.errors  # every input failed: the body is still the per-input result list
        else:
            return {i: Outcome(s.key, False, reason=exc.message) for i, s, _ in chunk}
    results = response if isinstance(response, list) else []
    outcomes: dict[int, Outcome] = {}
    for position, (index, spec, contact_id) in enumerate(chunk):
        result = results[position] if position < len(results) else None
        outcomes[index] = _outcome(spec, contact_id, result)
    return outcomes


def _outcome(spec: EnrollmentSpec, contact_id: str, result: Mapping[str, Any] | None) -> Outcome:
    if result is None:
        return Outcome(spec.key, False, retryable=True, reason="Salesforce returned no result for this assignment")
    if result.get("isSuccess"):
        values = result.get("outputValues") or {}
        tracker = values.get("actionCadenceTrackerId") or values.get("trackerId") if isinstance(values, dict) else None
        return Outcome(spec.key, True, str(tracker) if tracker else contact_id)
    errors = result.get("errors") or [{}]
    code = str(errors[0].get("statusCode") or errors[0].get("errorCode") or "")
    message = str(errors[0].get("message") or "")
    text = f"{code} {message}".lower()
    if "already" in text:
        return Outcome(spec.key, True, contact_id, reason="already enrolled")
    if "cadence" in text and any(word in text for word in ("not found", "exist", "invalid", "inactive")):
        return Outcome(
            spec.key, False, reason=f"cadence {spec.sequence_id} does not exist (or is inactive): "
            f"check crm.sequences ({code}: {message})"
        )  # fmt: skip
    if code in records.NOT_FOUND_CODES or ("target" in text and "not found" in text):
        return Outcome(spec.key, False, reason=f"contact {contact_id} not found in Salesforce ({code}: {message})")
    return Outcome(spec.key, False, reason=f"Salesforce refused the cadence assignment ({code}: {message})")


def read_trackers(calls: SalesforceCalls, target_ids: Sequence[str]) -> list[CadenceTracker]:
    ids = [tid for tid in records.unique(target_ids) if records.looks_like_id(tid)]
    select = "Id, ActionCadenceId, TargetId, State, CompletionReason, CompletionDisposition"
    try:
        rows = query_in(calls, "cadences.trackers", select, "ActionCadenceTracker", "TargetId", ids)
    except SalesforceFatalError as exc:
        if exc.error_code == "INVALID_TYPE":
            raise CrmConfigError(NOT_ENABLED, status=exc.status, category=exc.category) from None
        raise
    return [
        CadenceTracker(
            tracker_id=str(row["Id"]),
            cadence_id=row.get("ActionCadenceId"),
            target_id=str(row.get("TargetId")),
            state=str(row.get("State") or ""),
            completion_reason=row.get("CompletionReason"),
            completion_disposition=row.get("CompletionDisposition"),
        )
        for row in rows
    ]


ENGAGED_DISPOSITIONS = frozenset({"customer engaged", "customer connected", "success", "not interested"})
"""Completion dispositions in which the contact answered (even "not interested" is a response)."""


def enrollment_status(enrollment_id: str, tracker: CadenceTracker) -> EnrollmentStatus:
    disposition = tracker.completion_disposition
    replied = None if not disposition else disposition.strip().lower() in ENGAGED_DISPOSITIONS
    if replied is None and tracker.state.lower() in ("complete", "completed"):
        replied = False  # finished without a disposition: no answer
    state = tracker.state + (f": {disposition}" if disposition else "")
    return EnrollmentStatus(enrollment_id, state, replied, disposition)


def check_cadences(calls: SalesforceCalls, targets: Mapping[str, EnrollmentSpec]) -> list[FieldCheck]:
    """Each configured cadence exists (by id or name); Sales Engagement off is one problem row."""
    checks: list[FieldCheck] = []
    for row, spec in targets.items():
        source, name = f"sequence:{row}", spec.sequence_id
        field = "Id" if records.looks_like_id(name) else "Name"
        soql = format_soql(
            "SELECT Id, Name FROM ActionCadence WHERE {field:literal} = {value}", field=field, value=name
        )
        try:
            found = calls.query("cadences.read", soql)
        except SalesforceFatalError as exc:
            if exc.error_code != "INVALID_TYPE" and exc.status != 404:
                raise
            return [*checks, FieldCheck("sequences", "ActionCadence", False, "not_enabled", NOT_ENABLED, NOT_ENABLED)]
        except SalesforcePermissionError:
            return [*checks, FieldCheck("sequences", "ActionCadence", False, "not_enabled", NOT_ENABLED, NOT_ENABLED)]
        if not found:
            checks.append(
                FieldCheck(
                    source,
                    name,
                    False,
                    "missing",
                    f"cadence {name} does not exist",
                    "set crm.sequences to the cadence's Id or exact name (Sales Engagement > Cadences)",
                )
            )
            continue
        checks.append(FieldCheck(source, name, True))
    users = {spec.user_id for spec in targets.values() if spec.user_id}
    return checks + check_owners(calls, {f"sequence user {u}": u for u in sorted(users)}, source_prefix="")


def check_owners(
    calls: SalesforceCalls, owners: Mapping[str, str], *, source_prefix: str = "owner:"
) -> list[FieldCheck]:
    """Each configured owner id is an active User."""
    ids = [owner_id for owner_id in owners.values() if records.looks_like_id(owner_id)]
    rows = query_in(calls, "users.read", "Id, IsActive", "User", "Id", ids)
    users = {str(row["Id"]): bool(row.get("IsActive")) for row in rows}
    checks = []
    for role, owner_id in owners.items():
        source = f"{source_prefix}{role}"
        if owner_id not in users:
            checks.append(
                FieldCheck(
                    source,
                    owner_id,
                    False,
                    "missing",
                    f"no Salesforce user {owner_id}",
                    "use the User Id (18 characters, starts with 005) from Setup > Users",
                )
            )
        elif not users[owner_id]:
            checks.append(
                FieldCheck(
                    source,
                    owner_id,
                    False,
                    "inactive",
                    f"user {owner_id} is inactive",
                    "pick an active user, or reactivate this one",
                )
            )
        else:
            checks.append(FieldCheck(source, owner_id, True))
    return checks
