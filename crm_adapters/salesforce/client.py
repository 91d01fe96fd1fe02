"""Log in to Salesforce ourselves and build `simple_salesforce.Salesforce` on the session we got.

Four modes: the OAuth 2.0 username-password flow (a connected app), the partner SOAP `login` call
(username + password + security token, no connected app), the OAuth 2.0 JWT bearer flow, or a
session id someone else obtained. Tokens come from `{login_url}/services/oauth2/token` or
`{login_url}/services/Soap/u/<version>` through `requests`, never through simple-salesforce's login
helper, which only knows *.salesforce.com hosts; so the same code path runs against a sandbox org, a
My Domain login URL or the local sandbox.
The Salesforce object is then built in its "direct" mode (instance URL + session id), which never
refreshes by itself: `relogin()` does that, and `calls.py` decides when.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import jwt
import requests
from pydantic import SecretStr
from simple_salesforce import Salesforce

from crm_adapters.errors import CrmAuthError, CrmConfigError, CrmRetryableError

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "59.0"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_PARTNER = "urn:partner.soap.sforce.com"
JWT_LIFETIME_SECONDS = 180
"""Salesforce accepts a JWT assertion whose `exp` is at most 3 minutes away."""
LoginMode = Literal["password", "soap", "jwt", "session"]

_CREDENTIAL_HELP = (
    "Salesforce needs SALESFORCE_USERNAME + SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN (+ "
    "SALESFORCE_CONSUMER_KEY + SALESFORCE_CONSUMER_SECRET for the OAuth password flow), or SALESFORCE_USERNAME + "
    "SALESFORCE_CONSUMER_KEY + SALESFORCE_PRIVATE_KEY (JWT bearer), or SALESFORCE_SESSION_ID + "
    "SALESFORCE_INSTANCE_URL"
)


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


@dataclass(frozen=True)
class SalesforceCredentials:
    """One of the three logins (see the module docstring); secrets are `SecretStr` and never print."""

    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    """Appended to the password (orgs that restrict login IPs need it; may be empty)."""
    consumer_key: str | None = None
    """The connected app's client id (password and JWT flows)."""
    consumer_secret: SecretStr | None = None
    private_key: SecretStr | None = None
    """JWT flow: the connected app's private key as PEM text, or the path of a PEM file."""
    private_key_path: str | None = None
    session_id: SecretStr | None = None
    instance_url: str | None = None
    """With `session_id`: the org's URL (the login flows return it themselves)."""
    login_url: str = DEFAULT_LOGIN_URL
    """Where tokens come from: login.salesforce.com, test.salesforce.com, a My Domain, or the sandbox."""

    def __post_init__(self) -> None:
        for name in ("password", "security_token", "consumer_secret", "private_key", "session_id"):
            object.__setattr__(self, name, _secret(getattr(self, name)))
        object.__setattr__(self, "login_url", self.login_url.rstrip("/"))
        if self.instance_url:
            object.__setattr__(self, "instance_url", self.instance_url.rstrip("/"))
        if self.mode is None:
            raise CrmConfigError(_CREDENTIAL_HELP)

    @property
    def mode(self) -> LoginMode | None:
        """Which login these credentials allow (JWT first: it needs no stored password)."""
        if self.username and self.consumer_key and (self.private_key is not None or self.private_key_path):
            return "jwt"
        if self.username and self.consumer_key and self.password is not None and self.consumer_secret is not None:
            return "password"
        if self.username and self.password is not None and not self.consumer_key:
            return "soap"
        if self.session_id is not None and self.instance_url:
            return "session"
        return None

    @property
    def secret_variables(self) -> str:
        """The environment variables to check when Salesforce refuses these credentials."""
        return {
            "jwt": "SALESFORCE_USERNAME / SALESFORCE_CONSUMER_KEY / SALESFORCE_PRIVATE_KEY",
            "password": "SALESFORCE_USERNAME / SALESFORCE_PASSWORD / SALESFORCE_SECURITY_TOKEN / "
            "SALESFORCE_CONSUMER_KEY / SALESFORCE_CONSUMER_SECRET",
            "soap": "SALESFORCE_USERNAME / SALESFORCE_PASSWORD / SALESFORCE_SECURITY_TOKEN",
            "session": "SALESFORCE_SESSION_ID",
        }[self.mode or "session"]

    def private_key_pem(self) -> str:
        """The PEM text, read from `private_key_path` or from `private_key` when that names a file."""
        if self.private_key_path:
            return Path(self.private_key_path).read_text()
        assert self.private_key is not None
        value = self.private_key.get_secret_value()
        if "-----BEGIN" not in value and Path(value).is_file():
            return Path(value).read_text()
        return value


@dataclass(frozen=True)
class Token:
    access_token: SecretStr
    instance_url: str


class SalesforceClient:
    """Owns the login and the current `Salesforce` object; thread-safe re-login on an expired session."""

    def __init__(
        self,
        credentials: SalesforceCredentials,
        *,
        session: requests.Session | None = None,
        version: str = DEFAULT_API_VERSION,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.session = session or requests.Session()
        self.version = version
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._sf: Salesforce | None = None
        self.logins = 0
        """Token requests made (the first login and every re-login)."""
        self.last_limit_info: str | None = None
        """The last `Sforce-Limit-Info` header seen on any response, errors included."""
        self.session.hooks.setdefault("response", []).append(self._remember_limit_info)

    def request_options(self) -> dict[str, Any]:
        """Keyword arguments for every request: our timeout, and the session's own `verify`.

        requests lets REQUESTS_CA_BUNDLE override `session.verify` unless `verify` is passed per
        request, and simple-salesforce passes none: without this, an injected session that trusts a
        private CA (a proxy, the local sandbox) would be ignored wherever that variable is set.
        """
        return {"timeout": self.timeout, "verify": self.session.verify}

    def _remember_limit_info(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        value = response.headers.get("Sforce-Limit-Info")
        if value:
            self.last_limit_info = value

    @property
    def sf(self) -> Salesforce:
        """The current Salesforce object, logging in first when there is none yet."""
        if self._sf is None:
            with self._lock:
                if self._sf is None:
                    self._sf = self._build(self._token())
        return self._sf

    def relogin(self, expired: Salesforce | None) -> None:
        """Get a new session unless another thread already replaced `expired`; session-id mode cannot."""
        if self.credentials.mode == "session":
            raise CrmAuthError(
                "SALESFORCE_SESSION_ID was refused (expired or invalid) and healthloop cannot renew it: set a fresh "
                "session id, or configure password or JWT bearer credentials so healthloop can log in again",
                status=401,
                category="INVALID_SESSION_ID",
            )
        with self._lock:
            if self._sf is not None and self._sf is not expired:
                return
            self._sf = self._build(self._token())

    def _build(self, token: Token) -> Salesforce:
        return Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token.get_secret_value(),
            session=self.session,
            version=self.version,
        )

    def _token(self) -> Token:
        credentials = self.credentials
        if credentials.mode == "session":
            assert credentials.session_id is not None and credentials.instance_url
            return Token(credentials.session_id, credentials.instance_url)
        if credentials.mode == "soap":
            return self._soap_login()
        if credentials.mode == "jwt":
            form = {"grant_type": JWT_GRANT, "assertion": self._assertion()}
        else:
            assert credentials.password is not None and credentials.consumer_secret is not None
            token = credentials.security_token.get_secret_value() if credentials.security_token else ""
            form = {
                "grant_type": "password",
                "client_id": credentials.consumer_key or "",
                "client_secret": credentials.consumer_secret.get_secret_value(),
                "username": credentials.username or "",
                "password": credentials.password.get_secret_value() + token,
            }
        return self._request_token(form)

    def _assertion(self) -> str:
        credentials = self.credentials
        claims = {
            "iss": credentials.consumer_key,
            "sub": credentials.username,
            "aud": credentials.login_url,
            "exp": int(self._clock()) + JWT_LIFETIME_SECONDS,
        }
        try:
            return jwt.encode(claims, credentials.private_key_pem(), algorithm="RS256")
        except (ValueError, TypeError, OSError, jwt.PyJWTError) as exc:
            raise CrmConfigError(
                f"SALESFORCE_PRIVATE_KEY is not a usable RSA private key ({type(exc).__name__}): set it to the PEM "
                "text (or the path of the PEM file) of the key whose certificate the connected app holds"
            ) from None

    def _request_token(self, form: dict[str, str]) -> Token:
        url = f"{self.credentials.login_url}/services/oauth2/token"
        self.logins += 1
        try:
            response = self.session.post(
                url, data=form, headers={"Accept": "application/json"}, **self.request_options()
            )
        except requests.RequestException as exc:
            raise CrmRetryableError(
                f"Salesforce login at {self.credentials.login_url} unreachable ({type(exc).__name__}): "
                "check SALESFORCE_LOGIN_URL and the network"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code >= 500 or response.status_code == 429:
            raise CrmRetryableError(
                f"Salesforce login answered {response.status_code}; try again later", status=response.status_code
            )
        if response.status_code != 200 or not body.get("access_token") or not body.get("instance_url"):
            error = str(body.get("error") or response.status_code)
            description = str(body.get("error_description") or "no access token in the answer")
            raise CrmAuthError(
                f"Salesforce refused the {self.credentials.mode} login ({error}: {description}): check the credentials "
                f"in {self.credentials.secret_variables}, that the connected app allows this flow and the user is "
                f"pre-authorized, and that SALESFORCE_LOGIN_URL ({self.credentials.login_url}) is the org's login host",
                status=response.status_code,
                category=error,
            )
        return Token(SecretStr(str(body["access_token"])), str(body["instance_url"]).rstrip("/"))

    def _soap_login(self) -> Token:
        """The partner API `login` call; its serverUrl's host is the instance URL."""
        credentials = self.credentials
        assert credentials.password is not None
        token = credentials.security_token.get_secret_value() if credentials.security_token else ""
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:urn="{_PARTNER}"><env:Body><urn:login><urn:username>{escape(credentials.username or "")}'
            f"</urn:username><urn:password>{escape(credentials.password.get_secret_value() + token)}</urn:password>"
            "</urn:login></env:Body></env:Envelope>"
        )
        url = f"{credentials.login_url}/services/Soap/u/{self.version}"
        self.logins += 1
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"}
        try:
            response = self.session.post(url, data=envelope.encode(), headers=headers, **self.request_options())
        except requests.RequestException as exc:
            raise CrmRetryableError(
                f"Salesforce login at {credentials.login_url} unreachable ({type(exc).__name__}): "
                "check SALESFORCE_LOGIN_URL and the network"
            ) from None
        if response.status_code >= 502 or response.status_code == 429:
            raise CrmRetryableError(
                f"Salesforce login answered {response.status_code}; try again later", status=response.status_code
            )
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            root = None
        session_id = root.findtext(f".//{{{_PARTNER}}}sessionId") if root is not None else None
        server_url = root.findtext(f".//{{{_PARTNER}}}serverUrl") if root is not None else None
        if response.status_code != 200 or not session_id or not server_url:
            fault = (root.findtext(".//faultstring") if root is not None else None) or str(response.status_code)
            raise CrmAuthError(
                f"Salesforce refused the soap login ({fault}): check {credentials.secret_variables} (the security "
                f"token is the one emailed to the user) and that SALESFORCE_LOGIN_URL ({credentials.login_url}) is "
                "the org's login host",
                status=response.status_code,
                category="INVALID_LOGIN",
            )
        parts = urlsplit(server_url)
        return Token(SecretStr(session_id), f"{parts.scheme}://{parts.netloc}")

    def close(self) -> None:
        self.session.close()
