"""The errors the sandbox's Salesforce side raises: Salesforce's REST error array, a SaveResult's error,
the 300 of an ambiguous upsert, and the token endpoint's `{error, error_description}`.
"""

from __future__ import annotations

from typing import Any


class SalesforceApiError(Exception):
    """A Salesforce-shaped error: `[{message, errorCode, fields}]` for a request, `statusCode` inside a SaveResult."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []

    def body(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            error["fields"] = self.fields
        return [error]

    def record_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


class MultipleMatches(Exception):
    """An upsert's external id value matched several records (HTTP 300)."""

    def __init__(self, sobject: str, ids: list[str]) -> None:
        super().__init__(f"{len(ids)} {sobject} records match")
        self.sobject = sobject
        self.ids = ids


class OAuthError(Exception):
    """The token endpoint's `{error, error_description}` body (not the REST error array)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
