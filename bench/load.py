"""Load driver: a fixed mix of tracking batches, single calls and signed webhooks from 4 concurrent
clients against `healthloop serve` (gunicorn) with a worker running, on PostgreSQL (or SQLite) and a
private Redis. Prints p50/p95/p99 latency per kind and overall, and the count of 5xx answers.

    .venv/bin/python bench/load.py                       # PostgreSQL at 127.0.0.1:5432, 2,000 requests
    .venv/bin/python bench/load.py --sqlite --requests 4000 --clients 8

Bounded: it stops after --requests requests or --seconds seconds, whichever comes first, and stops
every process it started. Target (the operations issue): 0 5xx, p99 < 250 ms at 4 clients.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webhooks.registry import SOURCES  # noqa: E402
from webhooks.sources import load_fixture  # noqa: E402

HEALTHLOOP = str(Path(sys.executable).with_name("healthloop"))
WRITE_KEY = "load-write-key"
MIX = ["batch"] * 6 + ["track"] * 3 + ["webhook"]
"""Per 10 requests: 6 batches of 50 events, 3 single track calls, 1 signed ticket webhook."""
BATCH_SIZE = 50
ACCOUNTS = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up in {seconds} s")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Client:
    """One SDK-like client: its own session, its own share of the mix, its timings."""

    def __init__(self, number: int, base: str, secrets: dict[str, str]) -> None:
        self.number, self.base, self.secrets = number, base, secrets
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.fixtures = [(name, load_fixture(path)) for name, source in sorted(SOURCES.items())
                         for path in sorted(source.fixtures.glob("*.json"))]  # fmt: skip

    def _message(self, sequence: int) -> dict[str, Any]:
        account = f"acct_load_{(self.number * 7919 + sequence) % ACCOUNTS:04d}"
        return {
            "type": "track",
            "userId": f"{account}-u{sequence % 5}",
            "event": ("Signed In", "Report Created", "Dashboard Viewed")[sequence % 3],
            "messageId": uuid.uuid4().hex,
            "context": {"groupId": account},
            "properties": {"format": "csv", "rows": sequence},
        }

    def one(self, sequence: int) -> None:
        kind = MIX[sequence % len(MIX)]
        started = time.perf_counter()
        if kind == "batch":
            body = {"batch": [self._message(sequence * BATCH_SIZE + i) for i in range(BATCH_SIZE)]}
            response = self.session.post(f"{self.base}/v1/batch", json=body, timeout=30)
        elif kind == "track":
            response = self.session.post(f"{self.base}/v1/track", json=self._message(sequence), timeout=30)
        else:
            name, body = self.fixtures[(self.number + sequence) % len(self.fixtures)]
            source = SOURCES[name]
            url = f"{self.base}/webhooks/{name}"
            headers = source.sign(body, self.secrets[source.secret_variable], url, datetime.now(UTC))
            response = requests.post(
                url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=30
            )
        self.timings[kind].append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="healthloop-load-"))
    database = f"hl_load_{uuid.uuid4().hex[:8]}"
    admin = None
    if args.sqlite:
        database_url = f"sqlite:///{scratch / 'load.db'}"
    else:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        database_url = admin.url.set(database=database).render_as_string(hide_password=False)
    redis_port, port = free_port(), free_port()
    secrets = {source.secret_variable: f"load-{name}-secret" for name, source in SOURCES.items()}
    env = {
        **os.environ,
        "HEALTHLOOP_DATABASE_URL": database_url,
        "HEALTHLOOP_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "HEALTHLOOP_WRITE_KEYS": WRITE_KEY,
        "HEALTHLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HEALTHLOOP_METRICS_DIR": str(scratch / "metrics"),
        "HEALTHLOOP_WORKER_HEARTBEAT_FILE": str(scratch / "heartbeat"),
        "HEALTHLOOP_LOG_LEVEL": "WARNING",
        **secrets,
    }
    redis = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([HEALTHLOOP, "db", "upgrade"], env=env, check=True, capture_output=True)
        serve_args = ["serve", "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads)]
        processes.append(start([HEALTHLOOP, *serve_args], env, scratch / "serve.log"))
        processes.append(start([HEALTHLOOP, "worker"], env, scratch / "worker.log"))
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz")

        clients = [Client(number, base, secrets) for number in range(args.clients)]
        counter = iter(range(args.requests))
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def drive(client: Client) -> None:
            while time.monotonic() < deadline:
                with lock:
                    sequence = next(counter, None)
                if sequence is None:
                    return
                client.one(sequence)

        for client in clients[:1]:  # warm-up: connections, worker imports, first rows
            for sequence in range(20):
                client.one(sequence)
            client.timings.clear()
            client.statuses.clear()
        began = time.monotonic()
        threads = [threading.Thread(target=drive, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        for process in processes:
            stop(process)
        redis.send_signal(signal.SIGTERM)
        redis.wait(timeout=10)
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(scratch, ignore_errors=True)

    timings: dict[str, list[float]] = defaultdict(list)
    statuses: dict[int, int] = defaultdict(int)
    for client in clients:
        for kind, values in client.timings.items():
            timings[kind] += values
        for status, count in client.statuses.items():
            statuses[status] += count
    every = [value for values in timings.values() for value in values]
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"{len(every)} requests from {args.clients} clients in {elapsed:.1f} s ({len(every) / elapsed:.0f}/s), "
          f"{backend}, gunicorn {args.workers}x{args.threads}, worker on; {BATCH_SIZE} events a batch")  # fmt: skip
    print(f"{'kind':<10}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in ("batch", "track", "webhook"):
        values = timings.get(kind, [])
        if values:
            print(f"{kind:<10}{len(values):>7}{percentile(values, 0.5):>10.1f}{percentile(values, 0.95):>10.1f}"
                  f"{percentile(values, 0.99):>10.1f}{max(values) * 1000:>10.1f}")  # fmt: skip
    print(f"{'all':<10}{len(every):>7}{percentile(every, 0.5):>10.1f}{percentile(every, 0.95):>10.1f}"
          f"{percentile(every, 0.99):>10.1f}{max(every) * 1000:>10.1f}")  # fmt: skip
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    print(
        f"statuses: {dict(sorted(statuses.items()))}; 5xx: {server_errors}; mean {statistics.mean(every) * 1000:.1f} ms"
    )
    p99 = percentile(every, 0.99)
    verdict = "met" if server_errors == 0 and p99 < 250 else "NOT met"
    print(f"target (0 5xx, p99 < 250 ms): {verdict}")


if __name__ == "__main__":
    main()
