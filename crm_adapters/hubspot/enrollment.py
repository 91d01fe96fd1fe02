"""Sequence enrollment (automation v4, absent from hubspot-api-client 12, so sent as a raw request).

Misconfiguration (unknown sequence, sender that is not the user's inbox, no contact) is a
non-retryable Outcome whose reason says what to fix; "already enrolled" counts as done. These
functions take the `HubSpotCalls` they send through and, to pick contacts, a `RecordReader` (the
adapter is one); the adapter calls them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from crm_adapters.base import EnrollmentSpec, FieldCheck, Outcome
from crm_adapters.errors import CrmAuthError, CrmRetryableError
from crm_adapters.hubspot import records
from crm_adapters.hubspot.calls import HubSpotCalls, HubSpotFatalError

ENROLL_PATH = "/automation/v4/sequences/enrollments"
SEQUENCES_PATH = "/automation/v4/sequences"
EnrollContact = Literal["first", "owner_email_domain"]
"""Which of a company's contacts to enroll; see `HubSpotOptions.enroll_contact`."""


class RecordReader(Protocol):
    """The two reads that picking a company's contact needs (`HubSpotAdapter` has both)."""

    def associated(self, from_type: str, to_type: str, ids: Sequence[str]) -> dict[str, list[str]]: ...

    def read_objects(
        self, object_type: str, ids: Sequence[str], properties: list[str], *, id_property: str | None = None
    ) -> dict[str, dict[str, Any]]: ...


def enroll_all(
    calls: HubSpotCalls, reader: RecordReader, enrollments: Sequence[EnrollmentSpec], enroll_contact: EnrollContact
) -> list[Outcome]:
    contacts = pick_contacts(reader, [e.record_id for e in enrollments if not e.contact_id], enroll_contact)
    outcomes: list[Outcome] = []
    outage: CrmRetryableError | None = None
    for spec in enrollments:
        if outage is not None:
            outcomes.append(Outcome(spec.key, False, retryable=True, reason=str(outage)))
            continue
        try:
            contact_id = spec.contact_id or contacts.get(spec.record_id)
            outcomes.append(enroll_one(calls, spec, contact_id, enroll_contact))
        except CrmRetryableError as exc:
            outage = exc  # out of retries: the rest wait for the next run instead of hammering HubSpot
            outcomes.append(Outcome(spec.key, False, retryable=True, reason=str(exc)))
    return outcomes


def enroll_one(
    calls: HubSpotCalls, spec: EnrollmentSpec, contact_id: str | None, enroll_contact: EnrollContact
) -> Outcome:
    def refused(reason: str) -> Outcome:
        return Outcome(spec.key, False, reason=reason)

    if not spec.user_id:
        return refused(f"sequence {spec.sequence_id} has no user_id: set the sending user's userId in crm.sequences")
    if not spec.sender_email:
        return refused(
            f"sequence {spec.sequence_id} has no sender_email: set user {spec.user_id}'s inbox in crm.sequences"
        )
    if not contact_id:
        return refused(_no_contact_reason(enroll_contact, spec.record_id))
    body = {"contactId": contact_id, "sequenceId": spec.sequence_id, "senderEmail": spec.sender_email}
    try:
        response = calls.request(
            "sequences.enroll", "POST", ENROLL_PATH, body=body, qs={"userId": spec.user_id}, write=True
        )
    except HubSpotFatalError as exc:
        return _refusal(spec, contact_id, exc)
    except CrmAuthError as exc:
        if exc.status != 403:
            raise
        return refused(
            f"user {spec.user_id} may not enroll contacts ({exc.message}); the user needs a Sales or Service Hub "
            "Professional seat and the app the automation.sequences.enrollments.write scope"
        )
    enrollment_id = (response.body or {}).get("id")
    return Outcome(spec.key, True, str(enrollment_id) if enrollment_id else None)


def _refusal(spec: EnrollmentSpec, contact_id: str, exc: HubSpotFatalError) -> Outcome:
    text = exc.text().lower()
    sub_category = str(exc.body.get("subCategory") or "").upper()
    if "ALREADY_ENROLLED" in sub_category or "already enrolled" in text:
        return Outcome(spec.key, True, reason="already enrolled")
    if exc.status == 404 and "contact" in text and "sequence" not in text:
        return Outcome(spec.key, False, reason=f"contact {contact_id} not found in HubSpot (deleted or merged)")
    if exc.status == 404:
        return Outcome(
            spec.key, False, reason=f"sequence {spec.sequence_id} not found for user {spec.user_id}: "
            "check crm.sequences in the config"
        )  # fmt: skip
    if "sender" in text or "inbox" in text:
        return Outcome(
            spec.key, False, reason=f"sender {spec.sender_email} is not a connected inbox of user {spec.user_id}: "
            "set crm.sequences' sender_email to that user's connected inbox"
        )  # fmt: skip
    return Outcome(spec.key, False, reason=f"HubSpot refused the enrollment ({exc.status}): {exc.body.get('message')}")


def pick_contacts(reader: RecordReader, record_ids: Sequence[str], enroll_contact: EnrollContact) -> dict[str, str]:
    """record id -> the contact to enroll, by the `enroll_contact` rule."""
    if not record_ids:
        return {}
    contacts_of = reader.associated("companies", "contacts", record_ids)
    if enroll_contact == "first":
        return {rid: ids[0] for rid, ids in contacts_of.items() if ids}
    companies = reader.read_objects("companies", list(contacts_of), ["domain"])
    emails = reader.read_objects("contacts", [c for ids in contacts_of.values() for c in ids], ["email"])
    picked: dict[str, str] = {}
    for rid, ids in contacts_of.items():
        domain = records.normalize_domain(((companies.get(rid) or {}).get("properties") or {}).get("domain"))
        for contact_id in ids:
            email = ((emails.get(contact_id) or {}).get("properties") or {}).get("email")
            if domain and records.email_domain(email) == domain:
                picked[rid] = contact_id
                break
    return picked


def _no_contact_reason(enroll_contact: EnrollContact, record_id: str) -> str:
    if enroll_contact == "owner_email_domain":
        return f"no contact to enroll on company {record_id} (none has an email at the company's domain)"
    return f"no contact to enroll on company {record_id}"


def check_sequences(calls: HubSpotCalls, targets: Mapping[str, EnrollmentSpec]) -> list[FieldCheck]:
    """Each configured sequence exists for its user, and its sender is that user's inbox."""
    checks = []
    for row, spec in targets.items():
        source, name = f"sequence:{row}", spec.sequence_id

        def problem(kind: str, detail: str, fix: str, source: str = source, name: str = name) -> FieldCheck:
            return FieldCheck(source, name, False, kind, detail, fix)

        if not spec.user_id or not spec.sender_email:
            checks.append(problem("incomplete", "user_id and sender_email are required", "set both in crm.sequences"))
            continue
        try:
            calls.request("sequences.read", "GET", f"{SEQUENCES_PATH}/{spec.sequence_id}", qs={"userId": spec.user_id})
        except HubSpotFatalError as exc:
            if exc.status != 404:
                raise
            checks.append(
                problem(
                    "missing",
                    f"no sequence {spec.sequence_id} for user {spec.user_id}",
                    "copy the sequence id from its URL in HubSpot, and the sending user's userId",
                )
            )
            continue
        owners = calls.request("owners.read", "GET", "/crm/v3/owners", qs={"email": spec.sender_email})
        users = {str(o.get("userId")) for o in (owners.body or {}).get("results", [])}
        if str(spec.user_id) not in users:
            checks.append(
                problem(
                    "wrong_sender",
                    f"{spec.sender_email} is not the inbox of user {spec.user_id}",
                    "set sender_email to the connected inbox of the user who owns the sequence",
                )
            )
            continue
        checks.append(FieldCheck(source, name, True))
    return checks


def check_owners(calls: HubSpotCalls, owners: Mapping[str, str]) -> list[FieldCheck]:
    """Each configured escalation / executive owner id is a HubSpot owner."""
    checks = []
    for role, owner_id in owners.items():
        try:
            calls.request("owners.read", "GET", f"/crm/v3/owners/{owner_id}")
        except HubSpotFatalError as exc:
            if exc.status != 404:
                raise
            checks.append(
                FieldCheck(
                    f"owner:{role}",
                    owner_id,
                    False,
                    "missing",
                    f"no HubSpot owner {owner_id}",
                    "use the owner id (Settings > Users, or GET /crm/v3/owners), not the user id",
                )
            )
            continue
        checks.append(FieldCheck(f"owner:{role}", owner_id, True))
    return checks
