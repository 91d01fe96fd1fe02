"""A request budget shared by every worker through Redis (HubSpot: 100 requests per 10 s per portal).

Built on `limits`' moving window, so N workers on N machines together stay under the CRM's
own rolling window. When the CRM still answers 429, `pause()` stores a "paused until" time
next to the window that every worker's `acquire()` honours, so the whole fleet backs off, not
only the worker that saw it. Without a Redis URL the budget is per process (memory storage).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis

# Only ever raise the pause: a worker that saw a short Retry-After must not shorten a longer one.
_PAUSE_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return redis.call('GET', KEYS[1])
"""


@dataclass(frozen=True)
class RateLimitStats:
    max_requests: int
    interval_seconds: int
    remaining: int
    """Requests left in the current window, across all workers sharing the key."""
    window_resets_at: float
    paused_until: float | None
    acquired: int
    """Requests this limiter let through."""
    waited_seconds: float
    """Total time `acquire()` slept in this limiter."""


class RateLimiter:
    """At most `max_requests` per `interval_seconds` for everyone using the same `key`.

    `limits` counts whole seconds, so a fractional interval rounds up: slower, never faster.
    The window runs on wall-clock time (as `limits` does), so machines sharing Redis need NTP.
    """

    def __init__(
        self,
        max_requests: int,
        interval_seconds: float,
        *,
        redis_url: str | None,
        key: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1 or interval_seconds <= 0:
            raise ValueError("a rate limit needs at least 1 request per a positive interval")
        self.max_requests = max_requests
        self.interval_seconds = max(1, math.ceil(interval_seconds))
        self.key = key
        self._item = RateLimitItemPerSecond(max_requests, self.interval_seconds)
        self._storage: Storage = RedisStorage(redis_url) if redis_url else MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._redis = Redis.from_url(redis_url) if redis_url else None
        self._pause_script = self._redis.register_script(_PAUSE_SCRIPT) if self._redis else None
        self._local_pause = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep
        self._acquired = 0
        self._waited = 0.0

    @property
    def _pause_key(self) -> str:
        return f"healthloop:ratelimit:{self.key}:paused_until"

    def acquire(self) -> float:
        """Take one request from the budget, sleeping until the window (and any pause) allows it.

        Returns the seconds spent waiting. Sleeps until the oldest request leaves the window,
        with a little jitter so waiting workers do not all wake on the same millisecond.
        """
        waited = 0.0
        while True:
            now = time.time()
            paused_until = self.paused_until()
            if paused_until is not None and paused_until > now:
                delay = paused_until - now + random.uniform(0, 0.05)
            elif self._limiter.hit(self._item, self.key):
                break
            else:
                resets_at = self._limiter.get_window_stats(self._item, self.key).reset_time
                delay = max(resets_at - now, 0.01) + random.uniform(0, 0.05)
            self._sleep(delay)
            waited += delay
        with self._lock:
            self._acquired += 1
            self._waited += waited
        return waited

    def pause(self, seconds: float) -> float:
        """The CRM said 429 with Retry-After: nobody sharing this key sends before then. Returns the pause end."""
        until = time.time() + max(seconds, 0.0)
        if self._redis is not None and self._pause_script is not None:
            ttl_ms = max(int(seconds * 1000) + 1000, 1000)
            stored = self._pause_script(keys=[self._pause_key], args=[repr(until), ttl_ms])
            return float(stored)
        with self._lock:
            self._local_pause = max(self._local_pause, until)
            return self._local_pause

    def paused_until(self) -> float | None:
        """When the current pause ends (epoch seconds), or None when there is none."""
        if self._redis is not None:
            raw = self._redis.get(self._pause_key)
            value = float(raw) if raw else 0.0
        else:
            value = self._local_pause
        return value if value > time.time() else None

    def stats(self) -> RateLimitStats:
        window = self._limiter.get_window_stats(self._item, self.key)
        return RateLimitStats(
            max_requests=self.max_requests,
            interval_seconds=self.interval_seconds,
            remaining=window.remaining,
            window_resets_at=window.reset_time,
            paused_until=self.paused_until(),
            acquired=self._acquired,
            waited_seconds=self._waited,
        )

    def reset(self) -> None:
        """Forget the window and any pause for this key (tests, and an admin's `crm reset-limits`)."""
        self._limiter.clear(self._item, self.key)
        if self._redis is not None:
            self._redis.delete(self._pause_key)
        self._local_pause = 0.0

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
