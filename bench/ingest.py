"""Ingest benchmark: `/v1/batch` through gunicorn vs a bare bulk insert into the same database.

    .venv/bin/python bench/ingest.py [--database sqlite|postgresql|both] [--events 200000]

For each backend it (1) starts gunicorn on a fresh database and drives `/v1/batch` with 100
events a request from several keep-alive client processes, (2) writes the very same events
into another fresh database of the same kind with one bulk INSERT + COMMIT per 100 events,
and prints both rates and their ratio, measured in this one run. Redis is used when reachable
(the rescore jobs are enqueued as in production; no worker drains them during the run).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector.store.db import make_engine, upgrade  # noqa: E402
from connector.store.models import Event  # noqa: E402

WRITE_KEY = "bench-write-key"
BATCH = 100
EVENTS = ("Logged In", "Report Created", "Dashboard Viewed", "Export Completed", "Invite Sent")
POSTGRES_ADMIN = os.environ.get("HEALTHLOOP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HEALTHLOOP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")  # flushed before and after


def make_batches(total: int, accounts: int = 2000, seed: int = 1) -> list[list[dict]]:
    """Live SDK traffic: many accounts, a few users each, happening in the last ten minutes.

    (Backfilling history goes through `healthloop import`, not the tracking API.)
    """
    rng = random.Random(seed)
    now = datetime.now(UTC)
    batches = []
    for _ in range(total // BATCH):
        batch = []
        for _ in range(BATCH):
            account = rng.randrange(accounts)
            batch.append(
                {
                    "type": "track",
                    "userId": f"u{account}_{rng.randrange(8)}",
                    "anonymousId": None,
                    "event": rng.choice(EVENTS),
                    "properties": {"plan": "pro", "value": rng.random()},
                    "context": {
                        "groupId": f"acct_{account}",
                        "library": {"name": "analytics-python", "version": "2.4.0"},
                    },
                    "integrations": {},
                    "messageId": str(uuid.UUID(int=rng.getrandbits(128))),
                    "timestamp": (now - timedelta(seconds=rng.randrange(600))).isoformat(),
                }
            )
        batches.append(batch)
    return batches


def _client(port: int, bodies: list[bytes], results: multiprocessing.Queue) -> None:
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode(),
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    stored = 0
    for body in bodies:
        connection.request("POST", "/v1/batch", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {payload[:300]!r}")
        stored += orjson.loads(payload)["stored"]
    results.put(stored)


def _wait_ready(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gunicorn did not become ready")


def through_gunicorn(database_url: str, batches: list[list[dict]], workers: int, clients: int, threads: int) -> float:
    """Events per second stored through HTTP, gunicorn, validation, storage and enqueueing."""
    port = 18000 + random.randrange(1000)
    env = {
        **os.environ,
        "HEALTHLOOP_DATABASE_URL": database_url,
        "HEALTHLOOP_WRITE_KEYS": WRITE_KEY,
        "HEALTHLOOP_REDIS_URL": REDIS_URL,
        "HEALTHLOOP_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "webhooks.app:create_app()",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_ready(port, server)
        bodies = [orjson.dumps({"batch": batch, "sentAt": datetime.now(UTC).isoformat()}) for batch in batches]
        slices = [bodies[index::clients] for index in range(clients)]
        results: multiprocessing.Queue = multiprocessing.Queue()
        processes = [multiprocessing.Process(target=_client, args=(port, part, results)) for part in slices]
        started = time.perf_counter()
        for process in processes:
            process.start()
        stored = sum(results.get(timeout=600) for _ in processes)
        elapsed = time.perf_counter() - started
        for process in processes:
            process.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    expected = sum(len(batch) for batch in batches)
    if stored != expected:
        raise SystemExit(f"stored {stored} of {expected} events")
    return stored / elapsed


def bare_bulk_insert(database_url: str, batches: list[list[dict]]) -> float:
    """Events per second for one INSERT of 100 prepared rows + COMMIT, nothing else."""
    engine = make_engine(database_url)
    received = datetime.now(UTC)
    prepared = [
        [
            {
                "message_id": m["messageId"],
                "type": "track",
                "event": m["event"],
                "user_id": m["userId"],
                "anonymous_id": None,
                "account_id": m["context"]["groupId"],
                "timestamp": datetime.fromisoformat(m["timestamp"]),
                "received_at": received,
                "payload": m,
            }
            for m in batch
        ]
        for batch in batches
    ]
    started = time.perf_counter()
    for rows in prepared:
        with engine.begin() as connection:
            connection.execute(insert(Event), rows)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return sum(len(rows) for rows in prepared) / elapsed


class FreshDatabase:
    """A new, migrated, empty database of the given kind; removed afterwards."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind, self.workdir = kind, workdir

    def __enter__(self) -> str:
        name = f"hl_bench_{uuid.uuid4().hex[:8]}"
        if self.kind == "sqlite":
            self.url = f"sqlite:///{self.workdir / name}.db"
        else:
            self.admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.url = self.admin.url.set(database=name).render_as_string(hide_password=False)
        self.name = name
        engine = make_engine(self.url)
        upgrade(engine)
        engine.dispose()
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.kind == "postgresql":
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _flush_scratch_redis() -> None:
    # Without Redis the web app logs that enqueueing failed; the outbox keeps the work.
    with contextlib.suppress(RedisError):
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--clients", type=int, default=3, help="concurrent keep-alive client processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (1 = sync worker)")
    args = parser.parse_args()
    batches = make_batches(args.events)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"{len(batches) * BATCH:,} events, {BATCH} per request, gunicorn {args.workers} workers x "
        f"{args.threads} threads, {args.clients} clients, {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            _flush_scratch_redis()
            with FreshDatabase(kind, Path(workdir)) as url:
                ours = through_gunicorn(url, batches, args.workers, args.clients, args.threads)
            with FreshDatabase(kind, Path(workdir)) as url:
                bare = bare_bulk_insert(url, batches)
            _flush_scratch_redis()
            print(
                f"{kind:<10} /v1/batch via gunicorn: {ours:>9,.0f} events/s | bare bulk insert: "
                f"{bare:>9,.0f} events/s | ratio {ours / bare:.2f}"
            )


if __name__ == "__main__":
    main()
