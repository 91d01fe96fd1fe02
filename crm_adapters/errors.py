"""The CRM error taxonomy: what stops a whole CRM call, classified so jobs know whether to retry.

Adapters translate vendor exceptions into these at their boundary; one bad item of a batch is
never an exception (it is an `Outcome`). `crm_adapters` stays independent of `connector`, so
`CrmError` derives from `Exception` and the connector maps it into its own taxonomy. Messages
name what to fix and never carry a token, a secret or a URL that holds one.
"""

from __future__ import annotations

from typing import NamedTuple


class CrmError(Exception):
    """Base of every CRM failure we raise on purpose. `retryable`: may a later attempt succeed?"""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.category = category
        """The CRM's own error class, e.g. HubSpot's VALIDATION_ERROR or OBJECT_NOT_FOUND."""
        self.correlation_id = correlation_id
        """What the CRM's support asks for; safe to log."""


class CrmAuthError(CrmError):
    """Credentials missing, refused, expired beyond refresh, or lacking a scope: fix the deployment."""


class CrmConfigError(CrmError):
    """The mapping, a sequence, a sender or an option is wrong: fix the config, not the data."""


class CrmRetryableError(CrmError):
    """Rate limit, 5xx or timeout that outlasted our own retries; try again after `retry_after` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class CrmFatalError(CrmError):
    """The CRM refused the request for good (bad value, unknown object, conflict)."""


class StatusRule(NamedTuple):
    retryable: bool
    why: str


CONNECTION_FAILED = 0
"""Pseudo status for 'no HTTP response at all' (refused connection, reset, timeout)."""

STATUS_RULES: dict[int, StatusRule] = {
    CONNECTION_FAILED: StatusRule(True, "no response (connection refused, reset or timed out)"),
    400: StatusRule(False, "the CRM rejected the request (invalid value, option or property)"),
    401: StatusRule(False, "the credentials are missing, wrong or expired"),
    403: StatusRule(False, "the credentials lack a scope, or the account lacks the feature"),
    404: StatusRule(False, "the object, property or sequence does not exist"),
    405: StatusRule(False, "the endpoint does not accept this method"),
    409: StatusRule(False, "conflict: a unique value already exists"),
    413: StatusRule(False, "the request is too large (batch limit)"),
    414: StatusRule(False, "the URL is too long"),
    415: StatusRule(False, "wrong content type"),
    # HubSpot answers 423 when another process holds the record (e.g. a merge in progress).
    423: StatusRule(True, "the record is locked by another change"),
    429: StatusRule(True, "rate limit reached"),
    500: StatusRule(True, "the CRM had an internal error"),
    502: StatusRule(True, "bad gateway in front of the CRM"),
    503: StatusRule(True, "the CRM is unavailable"),
    504: StatusRule(True, "the CRM timed out"),
}
"""HTTP status -> (may a retry succeed?, why). The one place that decides retry versus give up."""


def rule_for(status: int) -> StatusRule:
    """The rule for a status, falling back on its class: other 5xx are retryable, other 4xx are not."""
    if status in STATUS_RULES:
        return STATUS_RULES[status]
    if status >= 500:
        return StatusRule(True, f"the CRM answered {status}")
    return StatusRule(False, f"the CRM refused the request ({status})")
