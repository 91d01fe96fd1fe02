"""One log line when a dependency goes away and one when it is back, however many calls fail between.

A process that rides out an outage (the worker waiting for Redis, jobs failing on a database that
went away) reports it through an `Outage`: the first failure logs a WARNING naming the dependency
and what happens meanwhile, later failures are silent, and the first success logs how long it lasted.
"""

from __future__ import annotations

import logging
import threading
import time

from connector.telemetry.metrics import metrics

log = logging.getLogger(__name__)


class Outage:
    """The state of one dependency (`database`, `redis`) as this process sees it."""

    def __init__(self, dependency: str, meanwhile: str) -> None:
        self.dependency = dependency
        self.meanwhile = meanwhile
        self._since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException | str) -> bool:
        """Note a failure; True (and one WARNING) only for the first failure of an outage."""
        reason = error if isinstance(error, str) else type(error).__name__
        with self._lock:
            if self._since is not None:
                return False
            self._since = time.monotonic()
        metrics().outages.labels(self.dependency).inc()
        metrics().dependency_up.labels(self.dependency).set(0)
        log.warning("%s unreachable (%s); %s", self.dependency, reason, self.meanwhile)
        return True

    def recovered(self) -> bool:
        """Note a success; True (and one INFO line) only when it ends an outage."""
        with self._lock:
            since, self._since = self._since, None
        if since is None:
            return False
        metrics().dependency_up.labels(self.dependency).set(1)
        log.info("%s reachable again after %.0f s; resuming", self.dependency, time.monotonic() - since)
        return True
