"""Build `hubspot.HubSpot` from typed credentials: private-app token or OAuth refreshed before expiry.

Quirks of hubspot-api-client 12 handled here: every `client.crm.x.y_api` access builds a new
ApiClient and urllib3 pool (so API objects are cached); `host=` reaches only the generated APIs
while `api_request()` builds its URL from `base_url` (so both are set); and `api_request()`
sends with bare `requests.<method>()` and no timeout (so `send()` reuses its URL and auth
building but sends on our own session with a timeout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from hubspot import HubSpot
from hubspot.utils.requests.http_request_builder import Request
from pydantic import SecretStr

from crm_adapters.errors import CrmAuthError, CrmConfigError, CrmRetryableError

DEFAULT_BASE_URL = "https://api.hubapi.com"
REFRESH_MARGIN_SECONDS = 60.0
"""Refresh an OAuth access token when less than this remains (HubSpot advises refreshing on expiry, not on 401)."""
SCOPES = (
    "crm.objects.companies.read crm.objects.companies.write crm.schemas.companies.read crm.schemas.companies.write "
    "crm.objects.contacts.read crm.objects.deals.read crm.objects.owners.read "
    "automation.sequences.read automation.sequences.enrollments.write"
)
"""What a private app or OAuth app needs for everything this adapter does (tasks and notes ride on these)."""


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


@dataclass(frozen=True)
class HubSpotCredentials:
    """A private-app token (HUBSPOT_ACCESS_TOKEN) or the OAuth trio; secrets never print."""

    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    base_url: str | None = None
    """Another host than api.hubapi.com, e.g. the local sandbox."""

    def __post_init__(self) -> None:
        for name in ("access_token", "client_secret", "refresh_token"):
            object.__setattr__(self, name, _secret(getattr(self, name)))
        if self.base_url:
            object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.access_token is None and not (self.client_id and self.client_secret and self.refresh_token):
            raise CrmConfigError(
                "HubSpot needs HUBSPOT_ACCESS_TOKEN (a private-app token), or HUBSPOT_CLIENT_ID + "
                "HUBSPOT_CLIENT_SECRET + HUBSPOT_REFRESH_TOKEN (OAuth)"
            )

    @property
    def uses_oauth(self) -> bool:
        return self.access_token is None

    @property
    def token_variable(self) -> str:
        """The environment variable to blame when HubSpot refuses us."""
        return "HUBSPOT_REFRESH_TOKEN" if self.uses_oauth else "HUBSPOT_ACCESS_TOKEN"


@dataclass(frozen=True)
class RawResponse:
    """Status, headers and parsed JSON body of one HTTP exchange, whichever transport made it."""

    status: int
    headers: Mapping[str, str]
    body: Any

    @classmethod
    def parse(cls, status: int, headers: Mapping[str, str], data: bytes | str | None) -> RawResponse:
        if not data:
            return cls(status, headers, None)
        try:
            return cls(status, headers, json.loads(data))
        except ValueError:
            return cls(status, headers, {"message": data if isinstance(data, str) else data.decode(errors="replace")})


class HubSpotClient:
    """One `hubspot.HubSpot` per adapter, its API objects cached, its OAuth token kept fresh."""

    def __init__(
        self,
        credentials: HubSpotCredentials,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.base_url = credentials.base_url or DEFAULT_BASE_URL
        self.session = session or requests.Session()
        self.timeout = timeout
        self._clock = clock
        self._apis: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._refresh_token = credentials.refresh_token
        self._expires_at: float | None = None
        token = credentials.access_token.get_secret_value() if credentials.access_token else None
        self.hubspot = HubSpot(
            access_token=token,
            host=self.base_url,
            base_url=self.base_url,
            # Our retry loop (calls.py) owns retries; urllib3's own would hide 429s and 5xx from it.
            retry=urllib3.Retry(total=0, raise_on_status=False),
        )

    def api(self, path: str) -> Any:
        """A cached generated API object, e.g. `api("crm.companies.batch_api")`."""
        if path not in self._apis:
            target: Any = self.hubspot
            for part in path.split("."):
                target = getattr(target, part)
            self._apis[path] = target
        return self._apis[path]

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        qs: Mapping[str, Any] | None = None,
    ) -> RawResponse:
        """What `HubSpot.api_request` does (same URL and auth building), on our session, with a timeout."""
        options: dict[str, Any] = {"method": method, "path": path}
        if body is not None:
            options["body"] = body
        if qs:
            options["qs"] = dict(qs)
        request = Request(self.hubspot.config, options)
        response = self.session.request(
            request.get_method(), request.get_url(), timeout=self.timeout, **request.get_options_for_sending()
        )
        return RawResponse.parse(response.status_code, response.headers, response.content)

    # --- OAuth ---------------------------------------------------------------------------

    def needs_refresh(self) -> bool:
        if not self.credentials.uses_oauth:
            return False
        return self._expires_at is None or self._expires_at - self._clock() < REFRESH_MARGIN_SECONDS

    def ensure_token(self) -> bool:
        """Refresh the OAuth access token when it is missing or about to expire. True if it refreshed."""
        if not self.needs_refresh():
            return False
        with self._lock:
            if not self.needs_refresh():
                return False
            self.refresh()
            return True

    def refresh(self) -> None:
        """`POST /oauth/v1/token` with the refresh token; install the new access token everywhere."""
        credentials = self.credentials
        assert credentials.client_id and credentials.client_secret and self._refresh_token
        tokens_api = self.api("oauth.tokens_api")
        try:
            response = tokens_api.create_with_http_info(
                grant_type="refresh_token",
                client_id=credentials.client_id,
                client_secret=credentials.client_secret.get_secret_value(),
                refresh_token=self._refresh_token.get_secret_value(),
                _preload_content=False,
                _request_timeout=self.timeout,
            )
            raw = RawResponse.parse(response.status, response.headers, response.data)
        except urllib3.exceptions.HTTPError as exc:
            raise CrmRetryableError(f"HubSpot OAuth token endpoint unreachable ({type(exc).__name__})") from None
        except Exception as exc:  # the generated ApiException family (one class per sub-package)
            status = getattr(exc, "status", None)
            if not isinstance(status, int):
                raise
            if status >= 500 or status == 429:
                raise CrmRetryableError(f"HubSpot OAuth token endpoint answered {status}", status=status) from None
            raise CrmAuthError(
                f"HUBSPOT_REFRESH_TOKEN was refused by HubSpot ({status}): reconnect the app to get a new "
                "refresh token, and check HUBSPOT_CLIENT_ID / HUBSPOT_CLIENT_SECRET belong to the same app",
                status=status,
            ) from None
        body = raw.body or {}
        token = body.get("access_token")
        if not token:
            raise CrmAuthError("HubSpot's OAuth token endpoint answered without an access_token", status=raw.status)
        if body.get("refresh_token"):
            self._refresh_token = SecretStr(body["refresh_token"])
        self._expires_at = self._clock() + float(body.get("expires_in", 1800))
        self.set_access_token(token)

    def set_access_token(self, token: str) -> None:
        """Install a token in `api_request`'s config and in every cached API's configuration."""
        self.hubspot.access_token = token
        for api in self._apis.values():
            api.api_client.configuration.access_token = token

    def close(self) -> None:
        for api in self._apis.values():
            api.api_client.close()
        self._apis.clear()
        self.session.close()
