"""Run `healthloop` as a user would: subprocesses of the installed CLI, one SQLite file per database.

Redis points at a closed port, so `import` rescores in its own process; no CRM. Ticket webhooks go
to `healthloop serve` (gunicorn) over HTTP, signed with HMAC-SHA256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import orjson
import requests

from bench.outcome_truth.story import Simulation, Ticket

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
WEBHOOK_SECRET = "outcome-truth-secret"


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Healthloop:
    """The CLI of one checkout (its `.venv/bin/healthloop`), against one database at a time."""

    def __init__(self, root: Path) -> None:
        self.executable = root / ".venv" / "bin" / "healthloop"
        if not self.executable.exists():
            raise SystemExit(f"{self.executable} is missing: run `make .venv/.installed` first")

    def env(self, db: Path, config: Path | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("HEALTHLOOP_")}
        env |= {
            "HEALTHLOOP_DATABASE_URL": f"sqlite:///{db}",
            "HEALTHLOOP_CRM": "none",
            "HEALTHLOOP_REDIS_URL": UNREACHABLE_REDIS,
            "HEALTHLOOP_LOG_LEVEL": "WARNING",
        }
        if config is not None:
            env["HEALTHLOOP_CONFIG"] = str(config)
        return env

    def run(self, db: Path, *args: str, config: Path | None = None, quiet: bool = False) -> Run:
        """Run one command; `quiet` discards stdout (the history fill prints a line per account)."""
        started = time.perf_counter()
        result = subprocess.run(
            [str(self.executable), *args],
            env=self.env(db, config),
            stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        return Run(list(args), result.returncode, result.stdout or "", result.stderr, time.perf_counter() - started)

    def has_command(self, *words: str) -> bool:
        """Whether `healthloop WORDS --help` works (a command that a later version may add)."""
        return self.run(Path(os.devnull), *words, "--help").ok

    def help_text(self, *words: str) -> str:
        return self.run(Path(os.devnull), *words, "--help").stdout

    def post_tickets(self, db: Path, sim: Simulation, threads: int = 4) -> dict[str, float | int]:
        """Serve the app with `healthloop serve` and post every simulated ticket to /webhooks/tickets."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = self.env(db) | {"HEALTHLOOP_WEBHOOK_SECRET": WEBHOOK_SECRET}
        started = time.perf_counter()
        server = subprocess.Popen(
            [str(self.executable), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, server)
            local = threading.local()

            def post(ticket: Ticket) -> bool:
                if not hasattr(local, "session"):
                    local.session = requests.Session()
                body = orjson.dumps(_delivery(sim, ticket))
                signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {"Content-Type": "application/json", "X-Healthloop-Signature": f"sha256={signature}"}
                response = local.session.post(f"{base}/webhooks/tickets", data=body, headers=headers, timeout=30)
                return response.status_code == 200

            with ThreadPoolExecutor(threads) as pool:
                results = list(pool.map(post, sim.tickets))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        return {"posted": sum(results), "failed": len(results) - sum(results), "seconds": time.perf_counter() - started}


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"`healthloop serve` exited with status {server.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit("`healthloop serve` did not answer /healthz within 60 s")


def _delivery(sim: Simulation, ticket: Ticket) -> dict[str, object]:
    stamp = f"{sim.day(ticket.day).isoformat()}T{ticket.second // 3600:02d}:{ticket.second // 60 % 60:02d}:00Z"
    return {
        "id": f"{ticket.ticket_id}-created",
        "type": "ticket.created",
        "tool": "simdesk",
        "occurred_at": stamp,
        "ticket": {
            "id": ticket.ticket_id,
            "account_id": ticket.account_id,
            "requester": {"user_id": ticket.user_id},
            "subject": f"Problem with {ticket.category}",
            "category": ticket.category,
            "tags": [ticket.category],
            "priority": "normal",
            "status": "open",
            "created_at": stamp,
        },
    }


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included) through SQLite's backup API."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def query(db: Path, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return connection.execute(sql, parameters).fetchall()
