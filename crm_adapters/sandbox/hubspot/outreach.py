"""The portal's users and outreach: owners (with their user ids), sequences and enrollments, as HubSpot
shapes them, and the refusals of an enrollment (unknown user or sequence, wrong inbox, already enrolled).

Pure functions over plain dicts; `state.SandboxState` keeps the owners, sequences and enrollments.
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.errors import SandboxError


def new_owner(owner_id: str, user_id: int, email: str, first_name: str, last_name: str, stamp: str) -> dict[str, Any]:
    return {
        "id": owner_id,
        "email": email,
        "firstName": first_name,
        "lastName": last_name,
        "userId": user_id,
        "userIdIncludingInactive": user_id,
        "type": "PERSON",
        "teams": [],
        "archived": False,
        "createdAt": stamp,
        "updatedAt": stamp,
    }


def new_sequence(sequence_id: str, name: str, user_id: str, stamp: str) -> dict[str, Any]:
    return {
        "id": sequence_id,
        "name": name,
        "userId": user_id,
        "folderId": None,
        "createdAt": stamp,
        "updatedAt": stamp,
        "steps": [],
    }


def new_enrollment(
    enrollment_id: str, contact_id: str, email: str, sequence: dict[str, Any], user_id: str, stamp: str
) -> dict[str, Any]:
    return {
        "id": enrollment_id,
        "toEmail": email,
        "enrolledAt": stamp,
        "updatedAt": stamp,
        "sequenceId": sequence["id"],
        "sequenceName": sequence["name"],
        "enrolledBy": str(user_id),
        "contactId": contact_id,
        "state": "ACTIVE",
    }


def check_user(owner: dict[str, Any] | None, user_id: int | str) -> dict[str, Any]:
    """The owner of `user_id`, or the 400 HubSpot gives for a user the portal does not have."""
    if owner is None:
        raise SandboxError(400, "VALIDATION_ERROR", f"userId {user_id} is not a user of this portal")
    return owner


def check_sequence(sequence: dict[str, Any] | None, sequence_id: str) -> dict[str, Any]:
    if sequence is None:
        raise SandboxError(404, "OBJECT_NOT_FOUND", f"Sequence {sequence_id} does not exist")
    return sequence


def check_sender(owner: dict[str, Any], user_id: str, sender_email: str) -> None:
    """Enrollments send from the enrolling user's own connected inbox."""
    if sender_email.lower() != owner["email"].lower():
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"senderEmail {sender_email} is not a connected inbox of user {user_id}; "
            f"use that user's inbox ({owner['email']}).",
            context={"senderEmail": [sender_email]},
        )


def check_not_enrolled(contact_id: str, active: dict[str, Any] | None) -> None:
    """A contact can be in one sequence at a time."""
    if active is not None and active["state"] == "ACTIVE":
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"Contact {contact_id} is already enrolled in sequence {active['sequenceId']}; "
            "a contact can be in one sequence at a time.",
            sub_category="SequenceError.CONTACT_ALREADY_ENROLLED",
        )
