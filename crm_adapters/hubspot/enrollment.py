"""Sequence enrollment (automation v4, absent from hubspot-api-client 12, so sent as a raw request).

Misconfiguration (unknown sequence, sender that is not the user's inbox, no contact) is a
non-retryable Outcome whose reason says what to fix; "already enrolled" counts as done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crm_adapters.base import EnrollmentSpec, Outcome
from crm_adapters.errors import CrmAuthError, CrmRetryableError
from crm_adapters.hubspot import records
from crm_adapters.hubspot.calls import HubSpotFatalError

if TYPE_CHECKING:
    from crm_adapters.hubspot.adapter import HubSpotAdapter

ENROLL_PATH = "/automation/v4/sequences/enrollments"


def enroll_all(adapter: HubSpotAdapter, enrollments: Sequence[EnrollmentSpec]) -> list[Outcome]:
    contacts = pick_contacts(adapter, [e.record_id for e in enrollments if not e.contact_id])
    outcomes: list[Outcome] = []
    outage: CrmRetryableError | None = None
    for spec in enrollments:
        if outage is not None:
            outcomes.append(Outcome(spec.key, False, retryable=True, reason=str(outage)))
            continue
        try:
            outcomes.append(enroll_one(adapter, spec, spec.contact_id or contacts.get(spec.record_id)))
        except CrmRetryableError as exc:
            outage = exc  # out of retries: the rest wait for the next run instead of hammering HubSpot
            outcomes.append(Outcome(spec.key, False, retryable=True, reason=str(exc)))
    return outcomes


def enroll_one(adapter: HubSpotAdapter, spec: EnrollmentSpec, contact_id: str | None) -> Outcome:
    def refused(reason: str) -> Outcome:
        return Outcome(spec.key, False, reason=reason)

    if not spec.user_id:
        return refused(f"sequence {spec.sequence_id} has no user_id: set the sending user's userId in crm.sequences")
    if not spec.sender_email:
        return refused(
            f"sequence {spec.sequence_id} has no sender_email: set user {spec.user_id}'s inbox in crm.sequences"
        )
    if not contact_id:
        return refused(_no_contact_reason(adapter, spec.record_id))
    body = {"contactId": contact_id, "sequenceId": spec.sequence_id, "senderEmail": spec.sender_email}
    try:
        response = adapter.calls.request(
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


def pick_contacts(adapter: HubSpotAdapter, record_ids: Sequence[str]) -> dict[str, str]:
    """record id -> the contact to enroll, by the adapter's `enroll_contact` rule."""
    if not record_ids:
        return {}
    contacts_of = adapter.associated("companies", "contacts", record_ids)
    if adapter.options.enroll_contact == "first":
        return {rid: ids[0] for rid, ids in contacts_of.items() if ids}
    companies = adapter.read_objects("companies", list(contacts_of), ["domain"])
    emails = adapter.read_objects("contacts", [c for ids in contacts_of.values() for c in ids], ["email"])
    picked: dict[str, str] = {}
    for rid, ids in contacts_of.items():
        domain = records.normalize_domain(((companies.get(rid) or {}).get("properties") or {}).get("domain"))
        for contact_id in ids:
            email = ((emails.get(contact_id) or {}).get("properties") or {}).get("email")
            if domain and records.email_domain(email) == domain:
                picked[rid] = contact_id
                break
    return picked


def _no_contact_reason(adapter: HubSpotAdapter, record_id: str) -> str:
    if adapter.options.enroll_contact == "owner_email_domain":
        return f"no contact to enroll on company {record_id} (none has an email at the company's domain)"
    return f"no contact to enroll on company {record_id}"
