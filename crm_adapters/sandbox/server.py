"""`SandboxServer`: the sandbox app on a loopback port in a background thread, for tests, the demo and the
benchmarks, with HTTPS on a second port for Salesforce and helpers to seed, inspect and misconfigure both CRMs.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from crm_adapters.sandbox.app import DEFAULT_TOKEN, Guards, create_sandbox_app
from crm_adapters.sandbox.control import reset_sandbox
from crm_adapters.sandbox.faults import RateLimitConfig
from crm_adapters.sandbox.hubspot.seeding import seed
from crm_adapters.sandbox.hubspot.state import SandboxState
from crm_adapters.sandbox.hubspot.tokens import OAuthApp
from crm_adapters.sandbox.request_log import RequestLog
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.seeding import seed as seed_org
from crm_adapters.sandbox.salesforce.settings import SalesforceCredentials
from crm_adapters.sandbox.tls import SandboxCertificate, create_certificate


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log from a background test server."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SandboxServer:
    """The sandbox on 127.0.0.1 in a background thread: `with SandboxServer() as server: server.url`.

    With `tls=True` the same app is also served over HTTPS on a second port (`salesforce_url`), with a
    throwaway CA whose certificate is `ca_file`: simple-salesforce only speaks https to its instance.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: RateLimitConfig | None = None,
        oauth: OAuthApp | None = None,
        fault_seed: int = 0,
        seed: bool = True,
        tls: bool = False,
        tls_port: int = 0,
        salesforce_credentials: SalesforceCredentials | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.salesforce = SalesforceOrg(salesforce_credentials, seed_defaults=seed)
        self.app = create_sandbox_app(
            token, rate_limit=rate_limit, oauth=oauth, fault_seed=fault_seed, seed=seed, salesforce=self.salesforce
        )
        self.state: SandboxState = self.app.extensions["sandbox.state"]
        self.requests: RequestLog = self.app.extensions["sandbox.requests"]
        self.guards: Guards = self.app.extensions["sandbox.guards"]
        self.certificate: SandboxCertificate | None = create_certificate() if tls else None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tls_server: BaseWSGIServer | None = None
        self._tls_thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() or use it as a context manager")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> SandboxServer:
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler)
            # A short poll interval keeps stop() fast (serve_forever checks for shutdown between polls).
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="hubspot-sandbox", daemon=True
            )
            self._thread.start()
        if self.certificate is not None and self._tls_server is None:
            self._tls_server = make_server(
                self.host,
                self.tls_port,
                self.app,
                threaded=True,
                request_handler=_QuietHandler,
                ssl_context=self.certificate.server_context(),
            )
            self.app.extensions["salesforce.instance_url"] = f"https://{self.host}:{self._tls_server.server_port}"
            self._tls_thread = threading.Thread(
                target=self._tls_server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="salesforce-sandbox",
                daemon=True,
            )
            self._tls_thread.start()
        return self

    def stop(self) -> None:
        if self._tls_server is not None:
            self._tls_server.shutdown()
            self._tls_server.server_close()
            if self._tls_thread is not None:
                self._tls_thread.join(timeout=5)
            self._tls_server = self._tls_thread = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """error_rate (0..1), latency_ms, burst, fail_after_commit, seed; returns the resulting settings."""
        return self.guards.faults.configure(**changes)

    def set_rate_limit(self, **changes: Any) -> dict[str, Any]:
        """max_requests, interval_ms, search_per_second, daily (None or 0 disables); returns the settings."""
        return self.guards.limiter.configure(**changes)

    def set_token_ttl(self, seconds: int) -> None:
        """Lifetime of access tokens issued from now on by POST /oauth/v1/token."""
        self.state.oauth.ttl_seconds = seconds

    def expire_tokens(self) -> None:
        """Make every OAuth-issued access token expired (the configured token keeps working)."""
        self.state.tokens.expire_all()

    def request_counts(self) -> dict[str, Any]:
        return self.requests.snapshot()

    def reset(self) -> None:
        """Empty portal and org (re-seeded with their defaults), no faults, fresh counters."""
        reset_sandbox(self.app)
        self.salesforce.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Bulk-create owners, records and sequences (the POST /_sandbox/seed payload); returns their ids."""
        return seed(self.state, payload)

    # ---- Salesforce ---------------------------------------------------------------------------

    @property
    def salesforce_url(self) -> str:
        """`https://127.0.0.1:<port>`: the instance URL (and login URL) of the Salesforce org."""
        if self._tls_server is None:
            raise RuntimeError("Salesforce needs HTTPS: create the server with tls=True and start it")
        return f"https://{self.host}:{self._tls_server.server_port}"

    @property
    def ca_file(self) -> str:
        """PEM file of the CA that signed the HTTPS certificate (`requests.Session().verify = ca_file`)."""
        if self.certificate is None:
            raise RuntimeError("no TLS: create the server with tls=True")
        return self.certificate.ca_file

    def seed_salesforce(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Bulk-create users, accounts, contacts, opportunities, tasks, cadences, custom_fields; returns ids."""
        return seed_org(self.salesforce, payload)

    def salesforce_state(self, sobject: str | None = None) -> dict[str, Any]:
        return self.salesforce.dump(sobject)

    def configure_salesforce(self, **changes: Any) -> dict[str, Any]:
        """page_size, daily_limit, session_ttl_seconds, sales_engagement, or a credential (jwt_public_key, ...)."""
        return self.salesforce.configure(**changes)

    def expire_sessions(self) -> None:
        """Make every issued Salesforce session expired (the next REST call answers 401 INVALID_SESSION_ID)."""
        self.salesforce.access.expire_sessions()

    def issue_salesforce_session(self) -> str:
        """A valid session id without the token endpoint (the tests of the OAuth flow use the endpoint)."""
        return self.salesforce.access.issue_session()
