"""The one error type of the sandbox, rendered as HubSpot's `Error` JSON body by the HTTP layer."""

from __future__ import annotations

import uuid
from typing import Any


class SandboxError(Exception):
    """A HubSpot-shaped error: raised anywhere in the sandbox, rendered as the `Error` JSON body."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        sub_category: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.sub_category = sub_category
        self.errors = errors
        self.context = context
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "error", "message": self.message, "correlationId": str(uuid.uuid4())}
        body["category"] = self.category
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors is not None:
            body["errors"] = self.errors
        if self.context is not None:
            body["context"] = self.context
        return body | self.extra


def not_found(object_type: str, object_id: str) -> SandboxError:
    return SandboxError(
        404,
        "OBJECT_NOT_FOUND",
        f"Object not found. No {object_type} record with id {object_id!r} (archived records count as missing).",
        context={"id": [object_id]},
    )
