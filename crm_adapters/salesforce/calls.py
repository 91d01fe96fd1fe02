"""The one place that makes Salesforce calls: pacing, counting, quota, re-login, retries, translation.

Every call optionally takes a slot from the shared `RateLimiter` (Salesforce has no short window,
but a deployment may still pace its workers), is counted in `ApiUsage`, and has the
`Sforce-Limit-Info: api-usage=used/max` header read (on errors too, through a response hook on
the session). Before a call, when `max_daily_share` of the org's rolling 24-hour allocation is
spent, the call is refused with a retryable error instead of spending what the org's other
integrations need; after `quota_pause_seconds` one probe call may go out to learn whether usage
has dropped. A 401 INVALID_SESSION_ID logs in again and repeats the same call once, so a write in
flight is not lost. 403 REQUEST_LIMIT_EXCEEDED (the org's daily allocation) is never retried in
the call: it pauses this adapter for `request_limit_pause_seconds`. 5xx and connection failures
are retried with exponential backoff and jitter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)
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
from crm_adapters.ratelimit import RateLimiter
from crm_adapters.salesforce.client import SalesforceClient

log = logging.getLogger(__name__)
T = TypeVar("T")

REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
INVALID_SESSION_ID = "INVALID_SESSION_ID"


class SalesforceFatalError(CrmFatalError):
    """A refused request with Salesforce's error list (`[{message, errorCode, fields}]`) for the adapter to read."""

    def __init__(self, message: str, *, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors

    @property
    def error_code(self) -> str:
        return self.category or ""


class SalesforcePermissionError(CrmAuthError):
    """403: the integration user lacks a permission or the org lacks a feature."""

    def __init__(self, message: str, *, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors


class DailyLimitReached(CrmRetryableError):
    """The org's API allocation is spent (or our share of it): retry later, by the job, not inside this call."""


class _SessionExpired(Exception):
    def __init__(self, sf: Salesforce, error: CrmAuthError) -> None:
        super().__init__(error.message)
        self.sf = sf
        self.error = error


class SalesforceCalls:
    """Runs `fn(sf)` through the quota check, limiter, re-login and retry loop; raises only `CrmError`s."""

    def __init__(
        self,
        client: SalesforceClient,
        usage: ApiUsage,
        *,
        limiter: RateLimiter | None = None,
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        max_daily_share: float = 0.8,
        quota_pause_seconds: float = 900.0,
        request_limit_pause_seconds: float = 3600.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.usage = usage
        self.limiter = limiter
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.max_daily_share = max_daily_share
        self.quota_pause_seconds = quota_pause_seconds
        self.request_limit_pause_seconds = request_limit_pause_seconds
        self._sleep = sleep
        self._clock = clock
        self._daily_used: int | None = None
        self._limits_seen_at = float("-inf")
        self._pause_started_at = float("-inf")
        self._paused_until = 0.0

    # --- entry points ----------------------------------------------------------------------

    def query(self, kind: str, soql: str) -> list[dict[str, Any]]:
        """Every record of a SOQL query; each page (`nextRecordsUrl`) is its own counted, retried call."""
        extra = self.client.request_options()
        page = self.call(kind, lambda sf: sf.query(soql, **extra))
        records = list(page.get("records") or [])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            next_url = page["nextRecordsUrl"]
            page = self.call(
                f"{kind}.more", lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True, **extra)
            )
            records += page.get("records") or []
        return records

    def restful(
        self,
        kind: str,
        path: str,
        *,
        method: str = "GET",
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
    ) -> Any:
        """A REST path under /services/data/vXX.X/ (sObject Collections, describe, invocable actions)."""
        extra = self.client.request_options()
        if json is not None:
            extra["json"] = json
        return self.call(
            kind, lambda sf: sf.restful(path, params=dict(params or {}), method=method, **extra), write=write
        )

    def tooling(self, kind: str, path: str, *, method: str = "GET", data: Any = None, write: bool = False) -> Any:
        """A Tooling REST path (custom field metadata)."""
        extra = self.client.request_options()
        return self.call(kind, lambda sf: sf.toolingexecute(path, method=method, data=data, **extra), write=write)

    def tooling_query(self, kind: str, soql: str) -> list[dict[str, Any]]:
        result = self.tooling(kind, "query/?" + urlencode({"q": soql}))
        return list((result or {}).get("records") or []) if isinstance(result, dict) else []

    def call(self, kind: str, fn: Callable[[Salesforce], T], *, write: bool = False) -> T:
        """`fn(sf)` with the retry loop: on an expired session, log in again and repeat the same call once."""
        relogged = False
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
                    return self._once(kind, fn, write=write)
                except _SessionExpired as expired:
                    if relogged:
                        raise expired.error from None
                    relogged = True
                    self._relogin(expired.sf)
                    try:
                        return self._once(kind, fn, write=write)
                    except _SessionExpired as again:
                        raise again.error from None
        raise AssertionError("unreachable: tenacity reraises the last error")

    # --- one attempt -----------------------------------------------------------------------

    def _once(self, kind: str, fn: Callable[[Salesforce], T], *, write: bool) -> T:
        try:
            result = self._attempt(kind, fn, write=write)
        except CrmError as exc:
            self.usage.record(kind, str(exc.status or "connection"))
            raise
        except _SessionExpired:
            self.usage.record(kind, "401")
            raise
        self.usage.record(kind, "ok")
        return result

    def _attempt(self, kind: str, fn: Callable[[Salesforce], T], *, write: bool) -> T:
        self._check_quota(kind)
        logins = self.client.logins
        sf = self.client.sf
        self._count_logins(logins)
        if self.limiter is not None:
            self.limiter.acquire()
        self.usage.calls += 1
        self.usage.by_kind[kind] = self.usage.by_kind.get(kind, 0) + 1
        if write:
            self.usage.write_calls += 1
        try:
            return fn(sf)
        except SalesforceExpiredSession as exc:
            raise _SessionExpired(sf, self._auth_error(kind, exc)) from None
        except SalesforceError as exc:
            raise self._translate(kind, exc) from None
        except requests.RequestException as exc:
            rule = rule_for(CONNECTION_FAILED)
            raise CrmRetryableError(f"Salesforce {kind}: {rule.why} ({type(exc).__name__})") from None
        finally:
            self._read_limits()

    def _relogin(self, expired: Salesforce) -> None:
        logins = self.client.logins
        self.client.relogin(expired)
        self.usage.by_kind["relogin"] = self.usage.by_kind.get("relogin", 0) + 1
        self._count_logins(logins)
        log.info("Salesforce session expired; logged in again and repeating the call")

    def _count_logins(self, before: int) -> None:
        made = self.client.logins - before
        if made > 0:
            self.usage.calls += made
            self.usage.by_kind["oauth.token"] = self.usage.by_kind.get("oauth.token", 0) + made

    # --- quota -----------------------------------------------------------------------------

    def _check_quota(self, kind: str) -> None:
        now = self._clock()
        if self._paused_until > now:
            raise DailyLimitReached(
                f"Salesforce rate limit during {kind}: the org's daily API allocation is (nearly) spent; "
                f"healthloop resumes in {self._paused_until - now:.0f} s",
                retry_after=self._paused_until - now,
                category=REQUEST_LIMIT_EXCEEDED,
            )
        used, total = self._daily_used, self.usage.daily_max
        if used is None or not total or used < self.max_daily_share * total:
            return
        if self._limits_seen_at <= self._pause_started_at:
            return  # the pause is over: this call is the probe that tells whether usage dropped
        self._pause_started_at = now
        self._paused_until = now + self.quota_pause_seconds
        raise DailyLimitReached(
            f"Salesforce rate limit during {kind}: daily API usage is {used}/{total}, over healthloop's share "
            f"({self.max_daily_share:.0%}); pausing for {self.quota_pause_seconds:.0f} s so the org's other "
            "integrations keep their share (raise max_daily_share or the org's API allocation to go faster)",
            retry_after=self.quota_pause_seconds,
            category=REQUEST_LIMIT_EXCEEDED,
        )

    def _read_limits(self) -> None:
        info = self.client.last_limit_info
        if not info:
            return
        self.client.last_limit_info = None
        usage = Salesforce.parse_api_usage(info).get("api-usage")
        if usage is None:
            return
        self._daily_used = usage.used
        self.usage.daily_max = usage.total
        self.usage.daily_remaining = max(usage.total - usage.used, 0)
        self._limits_seen_at = self._clock()

    def pause(self, seconds: float) -> None:
        """Stop calling for `seconds` (REQUEST_LIMIT_EXCEEDED); only ever lengthens a pause."""
        now = self._clock()
        self._pause_started_at = now
        self._paused_until = max(self._paused_until, now + seconds)

    # --- retry policy and translation ------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, CrmRetryableError) and exc.retry_after is not None:
            return exc.retry_after
        return wait_random_exponential(multiplier=self.backoff_seconds, max=self.backoff_max_seconds)(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.usage.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.info("Salesforce call retrying after %s (attempt %d)", exc, state.attempt_number)

    def _auth_error(self, kind: str, exc: SalesforceError) -> CrmAuthError:
        code, message = first_error(exc.content)
        if self.client.credentials.mode == "session":
            fix = "set a fresh SALESFORCE_SESSION_ID, or configure the password or JWT bearer login"
        else:
            fix = f"check {self.client.credentials.secret_variables} and the connected app's session policies"
        return CrmAuthError(
            f"Salesforce refused the session during {kind} (401 {code or INVALID_SESSION_ID}: {message}): {fix}",
            status=401,
            category=code or INVALID_SESSION_ID,
        )

    def _translate(self, kind: str, exc: SalesforceError) -> CrmError:
        status = int(exc.status or 0)
        code, message = first_error(exc.content)
        errors = error_list(exc.content)
        details: dict[str, Any] = {"status": status, "category": code or None}
        if isinstance(exc, SalesforceRefusedRequest) and code == REQUEST_LIMIT_EXCEEDED:
            if "concurrent" in message.lower():
                # Too many long-running requests at once: clears in seconds, unlike the daily allocation.
                return CrmRetryableError(f"Salesforce rate limit during {kind}: {message}", **details)
            self.pause(self.request_limit_pause_seconds)
            return DailyLimitReached(
                f"Salesforce rate limit during {kind}: the org's API request limit is exceeded ({message}); "
                f"healthloop pauses {self.request_limit_pause_seconds:.0f} s (raise the org's API allocation, or "
                "lower other integrations' usage)",
                retry_after=self.request_limit_pause_seconds,
                **details,
            )
        if status == 403:
            return SalesforcePermissionError(
                f"Salesforce refused {kind} (403 {code}: {message}): give the integration user (SALESFORCE_USERNAME) "
                "the 'API Enabled' permission and access to the objects and fields healthloop uses",
                errors=errors,
                **details,
            )
        rule = rule_for(status)
        if rule.retryable:
            return CrmRetryableError(f"Salesforce {kind} failed ({status} {code}): {message or rule.why}", **details)
        return SalesforceFatalError(
            f"Salesforce {kind} failed ({status} {code}): {message or rule.why}", errors=errors, **details
        )


def error_list(content: Any) -> list[dict[str, Any]]:
    """Salesforce's error body, `[{message, errorCode, fields}]`, whatever shape arrived."""
    if isinstance(content, list):
        return [item for item in content if isinstance(item, dict)]
    if isinstance(content, dict):
        return [content]
    if isinstance(content, bytes | str) and content:
        text = content.decode(errors="replace") if isinstance(content, bytes) else content
        return [{"message": text[:300]}]
    return []


def first_error(content: Any) -> tuple[str, str]:
    """(errorCode, message) of the first error in a body (OAuth bodies use error / error_description)."""
    for error in error_list(content):
        code = str(error.get("errorCode") or error.get("statusCode") or error.get("error") or "")
        message = str(error.get("message") or error.get("error_description") or "")
        return code, message
    return "", ""
