"""Who may call the org and how much: the sessions the token endpoint issued, and the rolling 24-hour
API allocation every REST call is metered against (`Sforce-Limit-Info`, REQUEST_LIMIT_EXCEEDED).

Sessions outlive `SalesforceOrg.reset`; the metered calls do not.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from crm_adapters.sandbox.salesforce.ids import ORG_ID
from crm_adapters.sandbox.salesforce.settings import SalesforceSettings


class OrgAccess:
    """Issued sessions with their expiry, and the timestamps of the calls made in the last 24 hours."""

    def __init__(self, settings: SalesforceSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._sessions: dict[str, datetime] = {}
        self._calls: deque[float] = deque()

    def issue_session(self) -> str:
        with self._lock:
            token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(40)}"
            self._sessions[token] = datetime.now(UTC) + timedelta(seconds=self._settings.session_ttl_seconds)
            return token

    def session_status(self, token: str) -> str:
        """`valid`, `expired` or `unknown`."""
        with self._lock:
            expires = self._sessions.get(token)
            if expires is None:
                return "unknown"
            return "valid" if expires > datetime.now(UTC) else "expired"

    def expire_sessions(self) -> None:
        with self._lock:
            self._sessions = dict.fromkeys(self._sessions, datetime.now(UTC) - timedelta(seconds=1))

    def count_call(self) -> tuple[bool, int, int]:
        """Meter one REST call against the rolling 24-hour allocation: (allowed, used, limit)."""
        with self._lock:
            moment = time.time()
            while self._calls and self._calls[0] <= moment - 86_400:
                self._calls.popleft()
            limit = self._settings.daily_limit
            if len(self._calls) >= limit:
                return False, len(self._calls), limit
            self._calls.append(moment)
            return True, len(self._calls), limit

    def usage(self) -> tuple[int, int]:
        """(calls in the window, daily limit)."""
        with self._lock:
            return len(self._calls), self._settings.daily_limit

    def forget_calls(self) -> None:
        with self._lock:
            self._calls.clear()
