"""The one place that makes HubSpot HTTP calls: pacing, counting, retrying, and translating errors.

Every call takes a slot from the shared rate limiter, is counted in `ApiUsage`, has its
`X-HubSpot-RateLimit-*` headers read, and is retried on 429 (honouring Retry-After and telling
every other worker to pause), on 5xx and on connection failures (exponential backoff with
jitter). What survives the retries becomes a `crm_adapters.errors` exception.

hubspot-api-client quirks: 401/403/404/5xx arrive as `UnauthorizedException`/`ForbiddenException`/
`NotFoundException`/`ServiceException`, but 429 and other 4xx as a plain `ApiException`, and each
generated sub-package has its *own* ApiException class, so they are recognised by attributes
rather than by one `except`. 207 is not an exception. Connection failures surface as urllib3
(generated APIs) or requests (`api_request`) exceptions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests
import urllib3
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from crm_adapters.base import ApiUsage
from crm_adapters.errors import (
    CONNECTION_FAILED,
    CrmAuthError,
    CrmError,
    CrmFatalError,
    CrmRetryableError,
    rule_for,
)
from crm_adapters.hubspot.client import SCOPES, HubSpotClient, RawResponse
from crm_adapters.ratelimit import RateLimiter

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 60.0
"""A Retry-After longer than this (HubSpot's daily limit) is not waited out inside a call: the job retries later."""


class HubSpotCalls:
    """Sends requests through the limiter with retries; returns `RawResponse` or raises a `CrmError`."""

    def __init__(
        self,
        client: HubSpotClient,
        usage: ApiUsage,
        *,
        limiter: RateLimiter | None = None,
        search_limiter: RateLimiter | None = None,
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.usage = usage
        self.limiter = limiter
        self.search_limiter = search_limiter
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self._sleep = sleep

    # --- entry points ----------------------------------------------------------------------

    def api(self, kind: str, api_path: str, method: str, *args: Any, write: bool = False, **kwargs: Any) -> RawResponse:
        """Call a generated API method, e.g. `api("companies.update", "crm.objects.batch_api", "update", ...)`."""

        # Built (and cached) before a rate-limit slot is taken: the first use of an API object costs
        # tens of milliseconds, which would otherwise land the window's first request late.
        fn = getattr(self.client.api(api_path), f"{method}_with_http_info")

        def send() -> RawResponse:
            # _preload_content=False: we parse the JSON ourselves, so a 207's errors (or any field the
            # generated models would reject) reach us as sent.
            response = fn(*args, _preload_content=False, _request_timeout=self.client.timeout, **kwargs)
            try:
                return RawResponse.parse(response.status, response.headers, response.data)
            finally:
                response.release_conn()

        return self._call(kind, send, write=write, search=kind.endswith(".search"))

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        qs: Mapping[str, Any] | None = None,
        write: bool = False,
    ) -> RawResponse:
        """An endpoint the generated client lacks (sequences v4), the way `HubSpot.api_request` builds it."""

        def send() -> RawResponse:
            response = self.client.send(method, path, body=body, qs=qs)
            if not 200 <= response.status <= 299:
                raise _HttpFailure(response)
            return response

        return self._call(kind, send, write=write)

    # --- the retry loop --------------------------------------------------------------------

    def _call(self, kind: str, send: Callable[[], RawResponse], *, write: bool, search: bool = False) -> RawResponse:
        refreshed_on_401 = False
        retrying = Retrying(
            retry=retry_if_exception_type(CrmRetryableError) & retry_if_not_exception_type(DailyLimitReached),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
            **({"sleep": self._sleep} if self._sleep else {}),
        )
        for attempt in retrying:
            with attempt:
                try:
                    return self._once(kind, send, write=write, search=search)
                except CrmAuthError as exc:
                    # An OAuth token can die before its expiry (revoked, rotated): refresh once.
                    if exc.status != 401 or not self.client.credentials.uses_oauth or refreshed_on_401:
                        raise
                    refreshed_on_401 = True
                    self._refresh(force=True)
                    return self._once(kind, send, write=write, search=search)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _once(self, kind: str, send: Callable[[], RawResponse], *, write: bool, search: bool) -> RawResponse:
        try:
            response = self._attempt(kind, send, write=write, search=search)
        except CrmError as exc:
            self.usage.record(kind, str(exc.status or "connection"))
            raise
        self.usage.record(kind, "ok")
        return response

    def _attempt(self, kind: str, send: Callable[[], RawResponse], *, write: bool, search: bool) -> RawResponse:
        if self.client.needs_refresh():
            self._refresh(force=False)
        limiter = self.search_limiter if search and self.search_limiter else self.limiter
        if limiter is not None:
            limiter.acquire()
        self.usage.calls += 1
        self.usage.by_kind[kind] = self.usage.by_kind.get(kind, 0) + 1
        if write:
            self.usage.write_calls += 1
        try:
            response = send()
        except _HttpFailure as failure:
            self._read_headers(failure.response.headers)
            raise self._translate(kind, failure.response) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException) as exc:
            rule = rule_for(CONNECTION_FAILED)
            raise CrmRetryableError(f"HubSpot {kind}: {rule.why} ({type(exc).__name__})") from None
        except Exception as exc:
            if not _is_api_exception(exc):
                raise
            response = RawResponse.parse(exc.status or 0, exc.headers or {}, exc.body)  # type: ignore[attr-defined]
            self._read_headers(response.headers)
            raise self._translate(kind, response) from None
        self._read_headers(response.headers)
        return response

    def _refresh(self, *, force: bool) -> None:
        """Refresh the OAuth token (counted as a call; the token endpoint is outside the API budget)."""
        if force:
            self.client.refresh()
        elif not self.client.ensure_token():
            return
        self.usage.calls += 1
        self.usage.by_kind["oauth.token"] = self.usage.by_kind.get("oauth.token", 0) + 1

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, CrmRetryableError) and exc.retry_after is not None:
            return exc.retry_after
        backoff = wait_random_exponential(multiplier=self.backoff_seconds, max=self.backoff_max_seconds)
        return backoff(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.usage.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.info("HubSpot call retrying after %s (attempt %d)", exc, state.attempt_number)

    def _read_headers(self, headers: Mapping[str, str]) -> None:
        usage = self.usage
        for header, attribute in (
            ("X-HubSpot-RateLimit-Remaining", "remaining"),
            ("X-HubSpot-RateLimit-Max", "interval_max"),
            ("X-HubSpot-RateLimit-Daily-Remaining", "daily_remaining"),
            ("X-HubSpot-RateLimit-Daily", "daily_max"),
        ):
            value = _header(headers, header)
            if value is not None and value.strip().lstrip("-").isdigit():
                setattr(usage, attribute, int(value))

    def _translate(self, kind: str, response: RawResponse) -> CrmError:
        status = response.status
        body = response.body if isinstance(response.body, dict) else {}
        message = str(body.get("message") or rule_for(status).why)
        category = body.get("category") or body.get("errorType")
        details = {"status": status, "category": category, "correlation_id": body.get("correlationId")}
        variable = self.client.credentials.token_variable
        if status == 401:
            return CrmAuthError(
                f"{variable} was refused by HubSpot (401): create a private-app token (or reconnect the OAuth app) "
                f"with scopes {SCOPES}",
                **details,
            )
        if status == 403:
            return CrmAuthError(
                f"{variable} may not do {kind} (403: {message}): add the missing scope to the app ({SCOPES})",
                **details,
            )
        if status == 429:
            retry_after = _retry_after(response.headers)
            policy = str(body.get("policyName") or "")
            if policy.upper() == "DAILY" or (retry_after or 0) > MAX_RETRY_AFTER_SECONDS:
                # Waiting out a daily limit inside a call would hold a worker for hours.
                return DailyLimitReached(
                    f"HubSpot daily API limit reached during {kind}: {message}", retry_after=retry_after, **details
                )
            if retry_after is not None:
                limiter = self.search_limiter if kind.endswith(".search") and self.search_limiter else self.limiter
                if limiter is not None:
                    limiter.pause(retry_after)
            return CrmRetryableError(f"HubSpot rate limit during {kind}: {message}", retry_after=retry_after, **details)
        rule = rule_for(status)
        if rule.retryable:
            return CrmRetryableError(f"HubSpot {kind} failed ({status}): {message}", **details)
        return HubSpotFatalError(f"HubSpot {kind} failed ({status}): {message}", body=body, **details)


class HubSpotFatalError(CrmFatalError):
    """A refused request with HubSpot's parsed error body, which the adapter reads to pick a reaction."""

    def __init__(self, message: str, *, body: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.body = dict(body)

    def text(self) -> str:
        """Message plus nested error details, for matching vendor phrases like 'already has that value'."""
        details = json.dumps([self.body.get("errors") or [], self.body.get("context") or {}])
        return f"{self.message} {details}"


class DailyLimitReached(CrmRetryableError):
    """HubSpot's daily budget is spent: retryable, but by the job tomorrow, not by waiting inside this call."""


class _HttpFailure(Exception):
    """A non-2xx answer from `client.send` (requests does not raise on status)."""

    def __init__(self, response: RawResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _is_api_exception(exc: Exception) -> bool:
    return any(cls.__name__ == "ApiException" for cls in type(exc).__mro__) and hasattr(exc, "status")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = _header(headers, "Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: rare for HubSpot; fall back on our backoff
