"""Put "rescore this account" work on a queue, coalesced: one pending job per account at most.

Two implementations behind one small interface: RQ on Redis (production), and an in-process
thread for the demo when no Redis is reachable. Enqueueing is best effort by design: the
work is already durable in the `dirty_account_days` outbox, and the sweeper re-enqueues
anything stored but never processed, so losing Redis loses no event.
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job

from connector.telemetry.logs import current_request_id

log = logging.getLogger(__name__)

QUEUE_NAME = "healthloop"
PENDING_KEY = "healthloop:{queue}:pending-rescore:{account_id}"
PENDING_TTL_SECONDS = 24 * 3600
SYNC_SET_KEY = "healthloop:{queue}:sync-pending"
SYNC_SCHEDULED_KEY = "healthloop:{queue}:sync-scheduled"
SYNC_JOB = "connector.jobs.tasks.sync_pending"
RESCORE_JOB = "connector.jobs.tasks.rescore_accounts"
RESCORE_ONE_JOB = "connector.jobs.tasks.rescore_account"
"""Jobs are named by dotted path, as RQ names them, so the queue never imports the jobs it runs."""
RESCORE_RETRY = Retry(max=3, interval=[10, 60, 300])
CALL_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])

JOB_ACCOUNTS = 100
"""At most this many accounts per rescore job (a sweep after an outage is split into several)."""

# Set each free pending marker to this job id; return the 1-based positions of those it got.
_CLAIM_SCRIPT = """
local won = {}
for index, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'EX', ARGV[2]) then won[#won + 1] = index end
end
return won
"""

# Delete the pending marker only if it still names this job (compare-and-delete).
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class WorkQueue(Protocol):
    """Where the web edge and the sweeper send accounts that have new stored work."""

    name: str

    def request_rescore(self, account_ids: Iterable[str]) -> int:
        """Enqueue a rescore for each account not already pending; never raises. Returns jobs added."""
        ...

    def started(self, account_ids: Iterable[str], job_id: str | None) -> None:
        """Called by a starting rescore job: new work for these accounts now needs a new job."""
        ...

    def is_pending(self, account_id: str) -> bool: ...

    def enqueue_call(self, function: str, *args: Any) -> bool:
        """Run `function` (a dotted path) with `args` in the background; False if it could not be queued."""
        ...

    def depth(self) -> int | None: ...

    def request_sync(self, account_ids: Iterable[str], delay: float = 0) -> bool:
        """Ask for these accounts to be synced to the CRM within `delay` seconds, batched with
        whatever else is asked meanwhile (one job drains them all); never raises."""
        ...

    def take_sync_requests(self) -> list[str]:
        """The sync job's side: every account asked for so far (and forget them)."""
        ...


class RedisWorkQueue:
    """RQ queue with a per-account pending marker (SET NX) so bursts coalesce into one job."""

    name = "redis"

    def __init__(self, redis: Redis, queue_name: str = QUEUE_NAME) -> None:
        self.redis = redis
        self.queue = Queue(queue_name, connection=redis)
        self._key = PENDING_KEY.replace("{queue}", queue_name)
        self._release = redis.register_script(_RELEASE_SCRIPT)
        self._claim = redis.register_script(_CLAIM_SCRIPT)
        self._sync_set = SYNC_SET_KEY.replace("{queue}", queue_name)
        self._sync_scheduled = SYNC_SCHEDULED_KEY.replace("{queue}", queue_name)

    def request_rescore(self, account_ids: Iterable[str]) -> int:
        accounts = sorted(set(account_ids))
        if not accounts:
            return 0
        enqueued = 0
        try:
            for start in range(0, len(accounts), JOB_ACCOUNTS):
                chunk = accounts[start : start + JOB_ACCOUNTS]
                job_id = f"rescore-{uuid.uuid4().hex}"
                # One round trip claims every marker still free; only those accounts go in the job.
                won = self._claim(
                    keys=[self._key.format(account_id=a) for a in chunk], args=[job_id, PENDING_TTL_SECONDS]
                )
                if won:
                    claimed = [chunk[int(index) - 1] for index in won]
                    self.queue.enqueue(
                        RESCORE_JOB,
                        args=(claimed,),
                        job_id=job_id,
                        retry=RESCORE_RETRY,
                        result_ttl=3600,
                        failure_ttl=7 * 24 * 3600,
                        description=f"rescore {len(claimed)} account(s): {', '.join(claimed[:3])}"
                        + ("..." if len(claimed) > 3 else ""),
                        meta=_meta(),
                    )
                    enqueued += len(claimed)
        except RedisError as exc:
            log.warning(
                "could not enqueue rescore for %d account(s) (%s); the stored work stays in the outbox "
                "and the sweeper will enqueue it",
                len(accounts),
                type(exc).__name__,
            )
        return enqueued

    def started(self, account_ids: Iterable[str], job_id: str | None) -> None:
        if job_id:
            pipe = self.redis.pipeline(transaction=False)
            for account_id in account_ids:
                self._release(keys=[self._key.format(account_id=account_id)], args=[job_id], client=pipe)
            pipe.execute()

    def enqueue_call(self, function: str, *args: Any) -> bool:
        try:
            self.queue.enqueue(
                function, args=args, retry=CALL_RETRY, result_ttl=3600, failure_ttl=7 * 24 * 3600, meta=_meta()
            )
        except RedisError as exc:
            log.warning("could not enqueue %s (%s)", function, type(exc).__name__)
            return False
        return True

    def request_sync(self, account_ids: Iterable[str], delay: float = 0) -> bool:
        accounts = sorted(set(account_ids))
        if not accounts:
            return True
        try:
            self.redis.sadd(self._sync_set, *accounts)
            # One scheduled drain at a time; it expires so a lost job never blocks syncing for long.
            if self.redis.set(self._sync_scheduled, "1", nx=True, ex=max(30, int(delay) + 30)):
                options: dict[str, Any] = {
                    "retry": CALL_RETRY,
                    "result_ttl": 3600,
                    "failure_ttl": 7 * 24 * 3600,
                    "meta": _meta(),
                }
                if delay > 0:
                    self.queue.enqueue_in(timedelta(seconds=delay), SYNC_JOB, **options)
                else:
                    self.queue.enqueue(SYNC_JOB, **options)
        except RedisError as exc:
            log.warning(
                "could not request a CRM sync for %d account(s) (%s); the sweeper will find them",
                len(accounts),
                type(exc).__name__,
            )
            return False
        return True

    def take_sync_requests(self) -> list[str]:
        # Free the schedule first: a request arriving from now on schedules the next drain.
        self.redis.delete(self._sync_scheduled)
        taken: list[str] = []
        while True:
            batch = self.redis.spop(self._sync_set, 1000)
            if not batch:
                return sorted(taken)
            taken += [item.decode() if isinstance(item, bytes) else item for item in batch]

    def pending_job_id(self, account_id: str) -> str | None:
        value = self.redis.get(self._key.format(account_id=account_id))
        return value.decode() if isinstance(value, bytes) else value

    def is_pending(self, account_id: str) -> bool:
        return self.pending_job_id(account_id) is not None

    def drop_stale_markers(self, account_ids: list[str]) -> int:
        """Remove pending markers whose job no longer exists (Redis lost it); returns how many."""
        if not account_ids:
            return 0
        keys = [self._key.format(account_id=account) for account in account_ids]
        job_ids = [value.decode() if isinstance(value, bytes) else value for value in self.redis.mget(keys)]
        marked = [(key, job_id) for key, job_id in zip(keys, job_ids, strict=True) if job_id]
        if not marked:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for _, job_id in marked:
            pipe.exists(Job.key_for(job_id))
        stale = [(key, job_id) for (key, job_id), exists in zip(marked, pipe.execute(), strict=True) if not exists]
        for key, job_id in stale:
            self._release(keys=[key], args=[job_id], client=pipe)
        pipe.execute()
        return len(stale)

    def depth(self) -> int | None:
        try:
            return self.queue.count
        except RedisError:
            return None


class InProcessWorkQueue:
    """A daemon thread that runs rescores in this process (demo mode, no Redis needed)."""

    name = "in-process"

    def __init__(self, rescore: str = RESCORE_ONE_JOB) -> None:
        self._rescore = rescore
        self._queue: stdlib_queue.Queue[Callable[[], object]] = stdlib_queue.Queue()
        self._pending: set[str] = set()
        self._sync: set[str] = set()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._thread = threading.Thread(target=self._loop, name="healthloop-inprocess-queue", daemon=True)
        self._thread.start()

    def request_rescore(self, account_ids: Iterable[str]) -> int:
        added = 0
        with self._lock:
            for account in sorted(set(account_ids)):
                if account not in self._pending:
                    self._pending.add(account)
                    self._queue.put(partial(_resolve(self._rescore), account))
                    added += 1
        return added

    def request_sync(self, account_ids: Iterable[str], delay: float = 0) -> bool:
        with self._lock:
            fresh = not self._sync
            self._sync.update(account_ids)
        if fresh:
            self.enqueue_call(SYNC_JOB)
        return True

    def take_sync_requests(self) -> list[str]:
        with self._lock:
            taken, self._sync = sorted(self._sync), set()
        return taken

    def enqueue_call(self, function: str, *args: Any) -> bool:
        self._queue.put(partial(_resolve(function), *args))
        return True

    def started(self, account_ids: Iterable[str], job_id: str | None) -> None:
        with self._lock:
            self._pending.difference_update(account_ids)

    def is_pending(self, account_id: str) -> bool:
        with self._lock:
            return account_id in self._pending

    def depth(self) -> int | None:
        return self._queue.qsize()

    def join(self) -> None:
        """Block until every queued rescore has run (the demo and tests use this)."""
        self._running.set()
        self._queue.join()

    def hold(self) -> None:
        """Queue jobs without running them until `join` (the demo streams a history first, as a worker started
        after the upload would see it: scoring a half-sent history as of today would make work for gaps that
        are only the part not sent yet)."""
        self._running.clear()

    def _loop(self) -> None:
        while True:
            self._running.wait()
            work = self._queue.get()
            try:
                work()
            except Exception:
                log.exception("in-process job %r failed; the sweeper will retry what it left", work)
            finally:
                self._queue.task_done()


def _meta() -> dict[str, Any]:
    """What a job carries from the request that asked for it: its request id, so logs join up."""
    request_id = current_request_id()
    return {"request_id": request_id} if request_id else {}


def _resolve(function: str) -> Callable[..., object]:
    """The job function a dotted path names (what RQ does with a job's `func_name`)."""
    module, _, name = function.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
