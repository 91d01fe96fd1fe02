"""Counts of the requests the sandbox answered, per `METHOD route` and per status, for tests and benchmarks.

Shared by both CRMs' routes (the app records every guarded request); imports nothing from the sandbox.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestLog:
    """Counts of requests per `METHOD route` and per status, for tests and benchmarks to assert on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self.by_route[route] += 1
            self.by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self.by_route.values()),
                "rate_limited": self.by_status[429],
                "server_errors": sum(count for status, count in self.by_status.items() if status >= 500),
                "by_route": dict(sorted(self.by_route.items())),
                "by_status": {str(status): count for status, count in sorted(self.by_status.items())},
            }

    def clear(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.by_status.clear()
