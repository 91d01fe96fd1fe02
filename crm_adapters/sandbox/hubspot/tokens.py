"""OAuth for the portal: the one app the sandbox accepts refresh-token grants for, and the access tokens
its token endpoint has issued (they outlive `SandboxState.reset`, as a real app's installs do).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_adapters.sandbox.hubspot.timestamps import now


@dataclass
class OAuthApp:
    """The one OAuth app the sandbox accepts refresh-token grants for."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    ttl_seconds: int = 1800


class AccessTokens:
    """Access tokens issued for an `OAuthApp`, each with its expiry."""

    def __init__(self, app: OAuthApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._expiry: dict[str, datetime] = {}

    def issue(self) -> dict[str, Any]:
        """A new access token, as the token endpoint's JSON answer."""
        with self._lock:
            token = "sandbox-at-" + secrets.token_urlsafe(24)
            self._expiry[token] = now() + timedelta(seconds=self.app.ttl_seconds)
            return {
                "access_token": token,
                "refresh_token": self.app.refresh_token,
                "expires_in": self.app.ttl_seconds,
                "token_type": "bearer",
            }

    def status(self, token: str) -> str:
        """`valid`, `expired` (issued by the OAuth endpoint, past its lifetime) or `unknown`."""
        with self._lock:
            expires = self._expiry.get(token)
            if expires is None:
                return "unknown"
            return "valid" if expires > now() else "expired"

    def expire_all(self) -> None:
        with self._lock:
            expired = now() - timedelta(seconds=1)
            self._expiry = dict.fromkeys(self._expiry, expired)
