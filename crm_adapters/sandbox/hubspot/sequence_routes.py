"""Sequences v4 routes: the sequences a user owns, enrolling a contact, and where a contact is enrolled.

Every call names the HubSpot user it acts for (`userId`, not the owner id). Guarded like every HubSpot route.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.http_json import json_object, respond
from crm_adapters.sandbox.hubspot.http import cursor_arg, int_arg, sandbox_state

bp = Blueprint("hubspot_sequences", __name__)


def _user_id() -> str:
    user_id = request.args.get("userId")
    if not user_id:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            "userId is required as a query parameter (the HubSpot user id, not the owner id)",
            errors=[{"message": "userId is required", "in": "userId", "code": "REQUIRED_FIELD"}],
        )
    if sandbox_state().owner_by_user(user_id) is None:
        raise SandboxError(400, "VALIDATION_ERROR", f"userId {user_id} is not a user of this portal")
    return user_id


@bp.get("/automation/v4/sequences")
@bp.get("/automation/v4/sequences/")
def list_sequences() -> Response:
    _user_id()
    limit = int_arg("limit", 100, 100)
    after = cursor_arg()
    sequences = [s for s in sandbox_state().sequences.values() if int(s["id"]) > after]
    body: dict[str, Any] = {"total": len(sandbox_state().sequences), "results": sequences[:limit]}
    if len(sequences) > limit:
        body["paging"] = {"next": {"after": sequences[limit - 1]["id"]}}
    return respond(body)


@bp.get("/automation/v4/sequences/<sequence_id>")
def get_sequence(sequence_id: str) -> Response:
    _user_id()
    sequence = sandbox_state().sequences.get(sequence_id)
    if sequence is None:
        raise SandboxError(404, "OBJECT_NOT_FOUND", f"Sequence {sequence_id} does not exist")
    return respond(sequence)


@bp.post("/automation/v4/sequences/enrollments")
def enroll() -> Response:
    user_id = _user_id()
    body = json_object()
    missing = [name for name in ("contactId", "sequenceId", "senderEmail") if not body.get(name)]
    if missing:
        raise SandboxError(
            400,
            "VALIDATION_ERROR",
            f"Missing required field(s): {', '.join(missing)}",
            errors=[{"message": f"{name} is required", "in": name, "code": "REQUIRED_FIELD"} for name in missing],
        )
    enrollment = sandbox_state().enroll(
        user_id, str(body["contactId"]), str(body["sequenceId"]), str(body["senderEmail"])
    )
    return respond({key: enrollment[key] for key in ("id", "toEmail", "enrolledAt", "updatedAt")})


@bp.get("/automation/v4/sequences/enrollments/contact/<contact_id>")
def contact_enrollment(contact_id: str) -> Response:
    state = sandbox_state()
    with state.lock:
        state.get("contacts", contact_id)
        enrollment = state.enrollments.get(contact_id)
    if enrollment is None:
        raise SandboxError(404, "OBJECT_NOT_FOUND", f"Contact {contact_id} is not enrolled in a sequence")
    keys = ("id", "sequenceId", "sequenceName", "enrolledBy", "toEmail", "enrolledAt", "updatedAt")
    return respond({key: enrollment[key] for key in keys})
