"""What the org accepts and how it behaves: the credentials the token endpoint checks, the settings the
control API may change (page size, daily limit, session lifetime, Sales Engagement on or off).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from crm_adapters.sandbox.salesforce.errors import SalesforceApiError


@dataclass
class SalesforceCredentials:
    """What the token endpoint accepts. Sandbox defaults, not secrets: they only open this local org."""

    username: str = "sandbox@example.com"
    password: str = "sandbox-password"
    security_token: str = "sandbox-security-token"
    consumer_key: str = "sandbox-consumer-key"
    consumer_secret: str = "sandbox-consumer-secret"
    refresh_token: str = "sandbox-refresh-token"
    jwt_public_key: str | None = None  # PEM; JWT bearer grants are refused until one is registered


@dataclass
class SalesforceSettings:
    """Org behaviour the control API can change; defaults are a stock Enterprise org's."""

    page_size: int = 2000
    daily_limit: int = 15_000
    session_ttl_seconds: int = 7200
    sales_engagement: bool = True


def apply_change(settings: SalesforceSettings, credentials: SalesforceCredentials, key: str, value: Any) -> None:
    """Set one setting or credential, refusing unknown keys and values of the wrong type."""
    if key in SalesforceSettings.__dataclass_fields__:
        wanted = bool if key == "sales_engagement" else int
        if not isinstance(value, wanted) or (wanted is int and (isinstance(value, bool) or value < 1)):
            raise SalesforceApiError(400, "INVALID_INPUT", f"{key} must be a positive integer or boolean")
        setattr(settings, key, value)
    elif key in SalesforceCredentials.__dataclass_fields__:
        if value is not None and not isinstance(value, str):
            raise SalesforceApiError(400, "INVALID_INPUT", f"{key} must be a string")
        setattr(credentials, key, value)
    else:
        raise SalesforceApiError(400, "INVALID_INPUT", f"unknown Salesforce sandbox setting {key!r}")


def snapshot(settings: SalesforceSettings, credentials: SalesforceCredentials, used: int, limit: int) -> dict[str, Any]:
    """Settings, API usage and credentials as JSON (the JWT key only as whether one is registered)."""
    public = asdict(credentials)
    public["jwt_public_key"] = bool(public["jwt_public_key"])
    return asdict(settings) | {"api_usage": {"used": used, "max": limit}, "credentials": public}
