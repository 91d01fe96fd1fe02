"""One error taxonomy: configuration, bad input, signatures, and (later) CRM failures.

Only the HTTP edge maps these to status codes, and only jobs decide retry versus give up.
Messages name the field and the fix, and never carry a secret.
"""

from __future__ import annotations


class HealthloopError(Exception):
    """Base of every error we raise on purpose."""


class ConfigurationError(HealthloopError):
    """Settings or YAML config are wrong; fix the deployment, not the data."""


class InputError(HealthloopError):
    """An inbound payload is unacceptable. `code` is machine-readable, `detail` says what to fix."""

    status = 400

    def __init__(self, code: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        if status is not None:
            self.status = status


class AuthenticationError(InputError):
    """Missing or wrong credentials or signature (401)."""

    status = 401


class StorageUnavailable(HealthloopError):
    """The database cannot be reached; the sender should retry (503)."""
