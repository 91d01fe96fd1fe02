"""Rate limits and injected faults: what makes the sandbox behave like a busy, imperfect HubSpot portal.

The limiter mirrors HubSpot's private-app policy: a rolling window (100 requests per 10 s) plus a daily
quota, metered per token; CRM search has its own per-second bucket and sends no rate-limit headers.
Faults are drawn from a seeded RNG so a benchmark or a flaky-network test replays the same failures.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_adapters.sandbox.errors import SandboxError

SERVER_ERROR_STATUSES = (500, 502, 503, 504)
_SERVER_ERROR_TEXT = {
    500: ("INTERNAL_ERROR", "internal error"),
    502: ("BAD_GATEWAY", "Bad Gateway: the upstream service did not answer"),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable: try again shortly"),
    504: ("GATEWAY_TIMEOUT", "Gateway Timeout: the upstream service took too long"),
}


@dataclass
class RateLimitConfig:
    """None or 0 disables a limit. Defaults are HubSpot's Free/Starter private-app limits."""

    max_requests: int | None = 100
    interval_ms: int = 10_000
    search_per_second: int | None = 5
    daily: int | None = 250_000


@dataclass
class FaultConfig:
    """`error_rate` is the share of requests answered 5xx; `burst` makes the next N requests fail with 503."""

    error_rate: float = 0.0
    latency_ms: int = 0
    burst: int = 0
    fail_after_commit: bool = False


@dataclass
class Verdict:
    """The limiter's answer for one request: allowed or not, and the headers to send either way."""

    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after_s: int = 0
    policy: str = ""


class RateLimiter:
    """Rolling-window and daily counters per token; thread-safe."""

    def __init__(self, config: RateLimitConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or RateLimitConfig()
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._daily: dict[tuple[str, str], int] = {}

    def configure(self, **changes: Any) -> dict[str, Any]:
        with self._lock:
            for key, value in changes.items():
                if key not in RateLimitConfig.__dataclass_fields__:
                    raise SandboxError(400, "VALIDATION_ERROR", f"unknown rate limit setting {key!r}")
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                    raise SandboxError(400, "VALIDATION_ERROR", f"{key} must be a non-negative integer or null")
                if key == "interval_ms" and not value:
                    raise SandboxError(400, "VALIDATION_ERROR", "interval_ms must be a positive integer")
                setattr(self.config, key, value)
            self._windows.clear()
            return asdict(self.config)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
            self._daily.clear()

    def check(self, key: str, *, search: bool) -> Verdict:
        with self._lock:
            if search:
                return self._window(key, "search", self.config.search_per_second, 1000, "SECONDLY", headers=False)
            daily = self._check_daily(key)
            if daily is not None:
                return daily
            verdict = self._window(
                key, "rolling", self.config.max_requests, self.config.interval_ms, "TEN_SECONDLY_ROLLING", headers=True
            )
            if verdict.allowed and self.config.daily:
                day_key = (key, datetime.now(UTC).date().isoformat())
                self._daily[day_key] = self._daily.get(day_key, 0) + 1
                verdict.headers["X-HubSpot-RateLimit-Daily"] = str(self.config.daily)
                verdict.headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(self.config.daily - self._daily[day_key])
            return verdict

    def _check_daily(self, key: str) -> Verdict | None:
        if not self.config.daily:
            return None
        moment = datetime.now(UTC)
        if self._daily.get((key, moment.date().isoformat()), 0) < self.config.daily:
            return None
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
        headers = {"X-HubSpot-RateLimit-Daily": str(self.config.daily), "X-HubSpot-RateLimit-Daily-Remaining": "0"}
        return Verdict(False, headers, math.ceil((midnight - moment).total_seconds()), "DAILY")

    def _window(
        self, key: str, bucket: str, limit: int | None, interval_ms: int, policy: str, *, headers: bool
    ) -> Verdict:
        if not limit:
            return Verdict(True)
        moment = time.monotonic()
        window = self._windows.setdefault((key, bucket), deque())
        while window and window[0] <= moment - interval_ms / 1000:
            window.popleft()
        sent: dict[str, str] = {}
        if len(window) >= limit:
            wait = window[0] + interval_ms / 1000 - moment
            if headers:
                sent = self._headers(limit, 0, interval_ms)
            return Verdict(False, sent, max(1, math.ceil(wait)), policy)
        window.append(moment)
        if headers:
            sent = self._headers(limit, limit - len(window), interval_ms)
        return Verdict(True, sent)

    @staticmethod
    def _headers(limit: int, remaining: int, interval_ms: int) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(limit),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
        }


def rate_limit_error(verdict: Verdict) -> SandboxError:
    """HubSpot's 429 body (it carries errorType and policyName instead of a category)."""
    wording = {"TEN_SECONDLY_ROLLING": "ten_secondly_rolling", "SECONDLY": "secondly", "DAILY": "daily"}
    return SandboxError(
        429,
        "RATE_LIMITS",
        f"You have reached your {wording[verdict.policy]} limit.",
        extra={"errorType": "RATE_LIMIT", "policyName": verdict.policy, "groupName": "api-calls-sandbox"},
    )


class FaultInjector:
    """Decides, per request, whether to answer with an injected 5xx; thread-safe and reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self.config = FaultConfig()

    def configure(self, **changes: Any) -> dict[str, Any]:
        with self._lock:
            for key, value in changes.items():
                if key == "seed":
                    self._rng = random.Random(int(value))
                    continue
                if key not in FaultConfig.__dataclass_fields__:
                    raise SandboxError(400, "VALIDATION_ERROR", f"unknown fault setting {key!r}")
                setattr(self.config, key, _checked_fault(key, value))
            return asdict(self.config)

    def reset(self) -> None:
        with self._lock:
            self.config = FaultConfig()
            self._rng = random.Random(self._seed)

    @property
    def latency_s(self) -> float:
        return self.config.latency_ms / 1000

    def draw(self) -> int | None:
        """The injected status for this request, or None to serve it normally."""
        with self._lock:
            if self.config.burst > 0:
                self.config.burst -= 1
                return 503
            if self.config.error_rate > 0 and self._rng.random() < self.config.error_rate:
                return self._rng.choice(SERVER_ERROR_STATUSES)
            return None


def _checked_fault(key: str, value: Any) -> Any:
    if key == "fail_after_commit":
        if not isinstance(value, bool):
            raise SandboxError(400, "VALIDATION_ERROR", "fail_after_commit must be true or false")
        return value
    if key == "error_rate":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise SandboxError(400, "VALIDATION_ERROR", "error_rate must be a number between 0 and 1")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SandboxError(400, "VALIDATION_ERROR", f"{key} must be a non-negative integer")
    return value


def server_error(status: int) -> SandboxError:
    category, message = _SERVER_ERROR_TEXT[status]
    return SandboxError(status, category, f"{message} (injected by the healthloop sandbox)")
