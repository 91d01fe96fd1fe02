"""The shared CRM rate limiter: one budget per key across workers, sleeping (never spinning), pausable."""

from __future__ import annotations

import time
import uuid

import pytest

from crm_adapters.errors import STATUS_RULES, rule_for
from crm_adapters.ratelimit import RateLimiter


class CountingSleep:
    """Real sleep that counts how often it was asked to sleep (a busy loop would ask thousands of times)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(seconds)


def limiter(redis_url: str | None, key: str, *, requests: int = 3, sleep=time.sleep) -> RateLimiter:
    return RateLimiter(requests, 1, redis_url=redis_url, key=key, sleep=sleep)


def test_requests_within_the_budget_do_not_wait():
    rl = limiter(None, "k")
    assert [rl.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rl.stats().remaining == 0


def test_a_request_over_the_budget_sleeps_until_the_window_frees_without_spinning():
    sleep = CountingSleep()
    rl = limiter(None, "k", sleep=sleep)
    started = time.monotonic()
    for _ in range(4):
        rl.acquire()
    assert 0.8 <= time.monotonic() - started < 2.0
    assert 1 <= len(sleep.calls) <= 3
    assert rl.stats().acquired == 4


def test_a_fractional_interval_rounds_up_to_whole_seconds():
    assert RateLimiter(5, 0.2, redis_url=None, key="k").interval_seconds == 1
    with pytest.raises(ValueError):
        RateLimiter(0, 1, redis_url=None, key="k")


def test_a_local_pause_holds_back_the_next_request():
    rl = limiter(None, "k")
    rl.pause(0.3)
    started = time.monotonic()
    rl.acquire()
    assert time.monotonic() - started >= 0.29


@pytest.mark.integration
def test_workers_sharing_redis_share_one_budget(redis_client, redis_url):
    key = f"portal-{uuid.uuid4().hex[:6]}"
    first, second = limiter(redis_url, key), limiter(redis_url, key)
    first.acquire()
    first.acquire()
    second.acquire()
    assert second.stats().remaining == 0
    started = time.monotonic()
    second.acquire()
    assert time.monotonic() - started >= 0.5
    first.close()
    second.close()


@pytest.mark.integration
def test_a_pause_reported_by_one_worker_holds_back_every_worker(redis_client, redis_url):
    key = f"portal-{uuid.uuid4().hex[:6]}"
    seen_429, other = limiter(redis_url, key), limiter(redis_url, key)
    until = seen_429.pause(0.4)
    seen_429.pause(0.1)  # a shorter Retry-After never shortens the pause
    assert other.paused_until() == pytest.approx(until, abs=0.01)
    started = time.monotonic()
    other.acquire()
    assert time.monotonic() - started >= 0.39
    assert other.paused_until() is None
    seen_429.close()
    other.close()


def test_the_status_table_retries_rate_limits_and_outages_only():
    assert {status for status, rule in STATUS_RULES.items() if rule.retryable} == {0, 423, 429, 500, 502, 503, 504}
    assert rule_for(599).retryable and not rule_for(418).retryable
