"""CRM sync benchmark: 10,000 accounts into the local HubSpot sandbox at 100 requests / 10 s, or into its Salesforce
org over HTTPS; event-to-CRM freshness.

    .venv/bin/python bench/crm_sync.py [--crm hubspot|salesforce|both] [--database sqlite|postgresql]
                                       [--accounts 10000] [--naive-sample N] [--events 40] [--quick]

`--crm` defaults to hubspot (what follows first); `both` runs HubSpot, then Salesforce, each on a fresh database
and a fresh sandbox. `--quick`: 1,000 accounts, a 200-record naive sample, 20 freshness events.

Untimed set-up: a fresh database with `--accounts` accounts, `--days` of daily rollups and two weeks of score
history (bench/score.py's generator), every account scored as of today by `score_accounts` (alerts open,
interventions decided); then every intervention is marked `crm_status='stale'` so the syncs below write health
fields only (tasks are not what this measures). The sandbox (rate limit 100 requests per rolling 10 s, HubSpot's
private-app default) is provisioned with the mapped properties and seeded with one company per account, carrying
`healthloop_account_id`. Every timed phase starts with an empty rate-limit window on both sides (as after 10 s
of quiet). One adapter (the production `build_adapter`, hubspot-api-client) serves all in-process phases.

Measured in one run:
1. cold sync of every account (`CrmSync.sync(None)`): ids are resolved first (batch reads of 100 by
   `healthloop_account_id`; reported apart from the writes), then the changed fields written with
   `batch/update`. Field write calls vs the floor ceil(changed / 100); wall time vs the rate-limit floor
   max(0, ceil(C / 100) - 1) x 10 s, where C = ceil(accounts / 100) resolve + ceil(changed / 100) write calls:
   the first 100 calls go at once, every further 100 must wait one more window. The cold sync is timed whole
   (resolve included, nothing pre-resolved): at 10,000 accounts that is 200 calls, a 10 s floor. (With
   `--quick`, 20 calls fit in one window: the floor is 0 s and the ratio is reported as n/a.)
2. the naive way with the same client: one `PATCH /crm/v3/objects/companies/{id}` per changed record
   (`crm.companies.basic_api.update`), under the same limit, on `--naive-sample` records; its calls and wall
   time for every changed record (plus the same resolve calls) are EXTRAPOLATED: the sample's first burst, then
   the mean window period it measured for each further 100 calls, since 10,000 calls at 100 / 10 s take ~17 min.
3. a second sync with nothing changed (target: zero write calls);
4. 1% of the latest scores changed (by one point, within their tier, so no tier-change note), then a sync of
   every account: write calls vs ceil(changed / 100);
5. 5% injected 5xx (seeded) while the other 99% of scores change (~100 write calls, so several faults land):
   failed records (failures + left for later +
   companies whose sandbox value differs from the database), retries;
6. freshness with the real pieces: the web app on a local port, Redis, and one `healthloop worker` process (RQ
   worker + scheduler + sweeper) with `crm.sync_delay_seconds` from `--sync-delay`. For `--events` events, one
   every `--event-interval` s, alternately on a brand-new account (its company exists, it has no score yet) and on
   a quiet account (no activity for 25+ days, so one event moves its score), the time from sending the POST to
   `/v1/track` until the company's `healthloop_score` in the sandbox holds a new value: p50 / p95 / max.
   One unmeasured warm-up event first (reported apart: the worker's first jobs import and connect). Here the
   worker does everything production does (interventions, tasks, notes), sharing the budget through Redis.

Targets (marked ✓/✗ in the summary; nothing is asserted): field write calls equal the floor; zero write calls
when nothing changed; cold-sync wall time within 1.2x the rate-limit floor; zero failed records under 5% 5xx;
event-to-CRM freshness p95 under 5 s. Redis: HEALTHLOOP_BENCH_CRM_REDIS_URL (default db 12, flushed).

Salesforce (`--crm salesforce`): the same untimed database set-up; the sandbox serves its Salesforce org over
HTTPS (`SandboxServer(tls=True)`, a throwaway CA passed as SALESFORCE_CA_BUNDLE) with the org's daily API
allocation raised far above what the run needs and the SOQL page size at Salesforce's default 2,000. The adapter
is the production one (`build_adapter` with the OAuth password flow and the sandbox's default credentials,
simple-salesforce underneath); `provision` creates the `Healthloop_*__c` fields, the match field
`Healthloop_Account_Id__c` and the Task key field, then one Account per account is seeded with its
`Healthloop_Account_Id__c`. Salesforce has no short rate window (only the rolling 24-hour allocation), so there is
no rate-limit floor for wall time. Measured in one run:
1. cold sync of every account: ids resolved by SOQL `IN` chunks of 200 on `Healthloop_Account_Id__c` (per
   600-account sync batch, so 3 queries a batch; reported apart, no target), then the changed
   fields written with sObject Collections (`PATCH composite/sobjects`, 200 records a call): field write calls vs
   the floor ceil(changed / 200) (50 at 10,000), calls in all, wall time, Accounts not holding their score.
2. the naive way with the same simple-salesforce client: one `sf.Account.update(id, {...})` (`PATCH
   sobjects/Account/{id}`, through the adapter's call wrapper: counting, re-login, retries) per changed record on
   `--naive-sample` records (default 500), EXTRAPOLATED linearly (mean time a call x changed records); its calls
   are the changed records plus the same resolve calls, its time the writes alone (resolve time left out, which
   favours the naive way). Ours vs naive calls and wall time ratios are printed, with no target.
3. a second sync with nothing changed (target: zero write calls);
4. 1% of the latest scores changed, then a sync of every account: write calls vs ceil(changed / 200) (1 at 10,000);
5. 5% injected 5xx (seeded, the same fault injector) while the other 99% of scores change: failed records
   (failures + left for later + Accounts whose `Healthloop_Score__c` in `salesforce_state("Account")` differs
   from the database), 5xx answered, retries;
6. freshness as for HubSpot, the worker process started with HEALTHLOOP_CRM=salesforce, SALESFORCE_* and
   SALESFORCE_CA_BUNDLE, watching each Account's `Healthloop_Score__c`.
Salesforce targets (prefixed `Salesforce:` in the summary): cold-sync write calls = ceil(changed / 200); zero write
calls when nothing changed; 1% write calls = ceil(changed / 200); zero failed records under 5% 5xx; freshness p95
under 5 s. The wall-time (and call) ratio vs the naive loop is printed in the summary with `-` (no target).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr
from redis import Redis
from rq import Worker
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import FreshDatabase  # noqa: E402
from bench.score import generate  # noqa: E402
from connector.config.settings import Settings  # noqa: E402
from connector.config.yaml_config import Config  # noqa: E402
from connector.crm.sync import CrmSync  # noqa: E402
from connector.crm.sync_report import SyncReport  # noqa: E402
from connector.crm.wiring import build_adapter  # noqa: E402
from connector.health.scores import latest_scores, score_accounts  # noqa: E402
from connector.jobs.runtime import build_runtime, install  # noqa: E402
from connector.store.db import make_engine, make_sessionmaker, reader  # noqa: E402
from connector.store.models import AccountScore, Alert, CrmRecord, DailyRollup, Intervention  # noqa: E402
from connector.store.sql import chunks  # noqa: E402
from crm_adapters.base import CrmAdapter  # noqa: E402
from crm_adapters.hubspot import HubSpotAdapter  # noqa: E402
from crm_adapters.salesforce import SalesforceAdapter  # noqa: E402
from crm_adapters.salesforce.fields import encode_value  # noqa: E402
from crm_adapters.sandbox import RateLimitConfig, SandboxServer  # noqa: E402
from scoring.score import tier_for  # noqa: E402
from webhooks.app import create_app  # noqa: E402

TOKEN = "bench-crm-sync-token"
WRITE_KEY = "bench-write-key"
LIMIT, INTERVAL = 100, 10.0
"""The sandbox's (and the adapter's) budget: HubSpot private apps get 100 requests per rolling 10 s."""
BATCH = 100
"""Records per HubSpot batch call."""
REDIS_URL = os.environ.get("HEALTHLOOP_BENCH_CRM_REDIS_URL", "redis://127.0.0.1:6379/12")  # flushed before and after
FIELD_WRITE = "companies.update"
RESOLVE = "companies.read"

SF_BATCH = 200
"""Records per Salesforce sObject Collections call (and values per SOQL `IN` chunk)."""
SF_DAILY_LIMIT = 5_000_000
"""The sandbox org's rolling 24-hour API allocation for the run: far above what it needs (the stock 15,000 is not,
at 10,000 accounts, and the adapter stops at 80% of it)."""
SF_PAGE_SIZE = 2000
"""SOQL records per page: Salesforce's default."""
SF_LOGIN = {
    "salesforce_username": "sandbox@example.com",
    "salesforce_password": SecretStr("sandbox-password"),
    "salesforce_security_token": SecretStr("sandbox-security-token"),
    "salesforce_consumer_key": "sandbox-consumer-key",
    "salesforce_consumer_secret": SecretStr("sandbox-consumer-secret"),
}
"""The sandbox org's default credentials (they open only that local org)."""


@dataclass(frozen=True)
class Kinds:
    """One CRM's records per write call and the `ApiUsage` kinds of its field writes and id resolves."""

    crm: str
    batch: int
    field_write: str
    resolve: tuple[str, ...]


HUBSPOT = Kinds("hubspot", BATCH, FIELD_WRITE, (RESOLVE,))
SALESFORCE = Kinds("salesforce", SF_BATCH, "account.update", ("accounts.resolve", "accounts.resolve.more"))


def rate_floor(calls: int) -> float:
    """Least wall time for `calls` requests under LIMIT per rolling INTERVAL: each 100 after the first wait a window."""
    return max(0, math.ceil(calls / LIMIT) - 1) * INTERVAL


def write_floor(records: int, batch: int = BATCH) -> int:
    return math.ceil(records / batch)


# --- set-up (untimed) -----------------------------------------------------------------------------


def prepare_database(url: str, accounts: int, days: int) -> tuple[int, int]:
    """Generated accounts scored as of today; interventions set aside. Returns (open alerts, interventions)."""
    today = datetime.now(UTC).date()
    generate(url, accounts, days, today)
    engine = make_engine(url)
    sessions, readers = make_sessionmaker(engine), make_sessionmaker(reader(engine))
    rules = Config().scoring
    now = datetime.now(UTC)
    ids = [f"acct_{n:06d}" for n in range(accounts)]
    for batch in chunks(ids, 500):
        with readers() as reading, sessions.begin() as session:
            score_accounts(session, list(batch), today, rules, now, read_session=reading)
    with sessions.begin() as session:
        # The field-write measurement leaves tasks out: as if every intervention were too old for a task.
        interventions = session.execute(update(Intervention).values(crm_status="stale")).rowcount
    with sessions() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert).where(Alert.cleared_on.is_(None))) or 0
    engine.dispose()
    return alerts, interventions


def seed_companies(sandbox: SandboxServer, account_ids: list[str]) -> dict[str, str]:
    """One company per account (in chunks through the sandbox's seed call); account id -> company id."""
    found: dict[str, str] = {}
    for batch in chunks(account_ids, 2000):
        companies = [
            {"name": f"Company {a}", "domain": f"{a.replace('_', '-')}.example.com", "healthloop_account_id": a}
            for a in batch
        ]
        found |= dict(zip(batch, sandbox.seed({"companies": companies})["companies"], strict=True))
    return found


def seed_accounts(sandbox: SandboxServer, account_ids: list[str]) -> dict[str, str]:
    """One Salesforce Account per account (in chunks through the sandbox's seed call); account id -> Account id."""
    found: dict[str, str] = {}
    for batch in chunks(account_ids, 2000):
        accounts = [
            {"Name": f"Company {a}", "Website": f"{a.replace('_', '-')}.example.com", "Healthloop_Account_Id__c": a}
            for a in batch
        ]
        found |= dict(zip(batch, sandbox.seed_salesforce({"accounts": accounts})["accounts"], strict=True))
    return found


def fresh_window(sandbox: SandboxServer, adapter: CrmAdapter) -> None:
    """Both sides forget the rolling window, as after 10 s without a request (HubSpot only: Salesforce has none)."""
    if isinstance(adapter, HubSpotAdapter):
        sandbox.set_rate_limit()
        adapter.limiter.reset()


def latest(sessions: sessionmaker[Session], account_ids: list[str]) -> dict[str, tuple[Any, int, str]]:
    """account id -> (day, score, tier) of its latest score row."""
    scores = AccountScore.__table__.c
    found: dict[str, tuple[Any, int, str]] = {}
    with sessions() as session:
        for batch in chunks(account_ids, 500):
            query = latest_scores(session, list(batch), None, scores.account_id, scores.day, scores.score, scores.tier)
            found |= {row.account_id: (row.day, row.score, row.tier) for row in session.execute(query)}
    return found


def change_scores(sessions: sessionmaker[Session], account_ids: list[str]) -> dict[str, int]:
    """Move each account's latest score by one point, staying within its tier (no tier-change note)."""
    bands = Config().scoring.tiers
    now = datetime.now(UTC)
    changed: dict[str, int] = {}
    rows = latest(sessions, account_ids)
    with sessions.begin() as session:
        for account_id, (day, score, _tier) in rows.items():
            new = score + 1 if score < 100 and tier_for(score + 1, bands) == tier_for(score, bands) else score - 1
            session.execute(
                update(AccountScore)
                .where(AccountScore.account_id == account_id, AccountScore.day == day)
                .values(score=new, scored_at=now)
            )
            changed[account_id] = new
    return changed


def mismatches(sandbox: SandboxServer, record_ids: dict[str, str], expected: dict[str, int]) -> list[str]:
    """Accounts whose company does not hold the expected `healthloop_score`."""
    wrong = []
    for account_id, score in expected.items():
        record = sandbox.state.find("companies", record_ids[account_id])
        if record is None or record.properties.get("healthloop_score") != str(score):
            wrong.append(account_id)
    return wrong


def sf_mismatches(
    sandbox: SandboxServer, record_ids: dict[str, str], expected: dict[str, int], score_field: str
) -> list[str]:
    """Accounts whose Salesforce Account (read from the org's state) does not hold the expected score."""
    held = {row["Id"]: row.get(score_field) for row in sandbox.salesforce_state("Account")["Account"]}
    wrong = []
    for account_id, score in expected.items():
        value = held.get(record_ids[account_id])
        if value is None or float(value) != float(score):
            wrong.append(account_id)
    return wrong


# --- timed syncs ----------------------------------------------------------------------------------


@dataclass
class Measured:
    report: SyncReport
    wall: float
    requests: dict[str, Any]
    """What the sandbox received during the run: total, rate_limited (429), server_errors, by_route."""
    kinds: Kinds = HUBSPOT

    @property
    def field_writes(self) -> int:
        return self.report.usage.by_kind.get(self.kinds.field_write, 0)

    @property
    def resolves(self) -> int:
        return sum(self.report.usage.by_kind.get(kind, 0) for kind in self.kinds.resolve)


def received_since(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    routes = {k: n - before["by_route"].get(k, 0) for k, n in after["by_route"].items()}
    return {
        "total": after["total"] - before["total"],
        "rate_limited": after["rate_limited"] - before["rate_limited"],
        "server_errors": after["server_errors"] - before["server_errors"],
        "by_route": {k: n for k, n in routes.items() if n},
    }


def timed_sync(
    sessions: sessionmaker[Session], adapter: CrmAdapter, sandbox: SandboxServer, kinds: Kinds = HUBSPOT
) -> Measured:
    fresh_window(sandbox, adapter)
    before = sandbox.request_counts()
    sync = CrmSync(sessions, adapter, Config().crm)
    started = time.perf_counter()
    report = sync.sync(None)
    wall = time.perf_counter() - started
    return Measured(report, wall, received_since(before, sandbox.request_counts()), kinds)


@dataclass
class Naive:
    sample: int
    wall: float
    done_at: list[float] = field(default_factory=list)
    retries: int = 0

    def window_starts(self) -> list[int]:
        """Indexes of the calls that first waited for the rolling window to free (a gap of over half a window)."""
        at = self.done_at
        return [i for i in range(1, len(at)) if at[i] - at[i - 1] > INTERVAL / 2]

    def period(self) -> float | None:
        starts = self.window_starts()
        return self.done_at[starts[-1]] / len(starts) if starts else None

    def extrapolate(self, calls: int) -> float:
        """Seconds for `calls` requests at the pace measured: the sample's first burst, then one window period
        (the mean time from one throttled window start to the next, 429 penalties included) per further 100."""
        n, starts = len(self.done_at), self.window_starts()
        if calls <= n:
            return self.done_at[calls - 1]
        if not starts:
            return self.done_at[-1] / n * calls  # never throttled in the sample: no window period to go by
        period = self.period() or 0.0
        burst = self.done_at[starts[0] - 1]
        return burst + (math.ceil(calls / LIMIT) - 1) * period


def naive_loop(adapter: HubSpotAdapter, sandbox: SandboxServer, changes: list[tuple[str, str, dict]]) -> Naive:
    """One PATCH per record through the adapter's own client, limiter and retries."""
    fresh_window(sandbox, adapter)
    retries_before = adapter.usage.retries
    done_at = []
    started = time.perf_counter()
    for _account_id, record_id, fields in changes:
        properties = {name: "" if new is None else new for name, (_old, new) in fields.items()}
        adapter.calls.api(
            "companies.patch", "crm.companies.basic_api", "update", record_id, {"properties": properties}, write=True
        )
        done_at.append(time.perf_counter() - started)
    wall = time.perf_counter() - started
    return Naive(len(changes), wall, done_at, adapter.usage.retries - retries_before)


def sf_naive_loop(adapter: SalesforceAdapter, changes: list[tuple[str, str, dict]]) -> Naive:
    """One `sf.Account.update(id, {...})` (PATCH sobjects/Account/{id}) per record: the adapter's own
    simple-salesforce client, through its call wrapper (counting, re-login, retries), values encoded as it does."""
    kinds = {spec.name: spec.kind for spec in Config().crm.mapping("salesforce").fields}
    retries_before = adapter.usage.retries
    done_at = []
    started = time.perf_counter()
    for _account_id, record_id, fields in changes:
        values = {name: encode_value(kinds.get(name), new) for name, (_old, new) in fields.items()}
        adapter.calls.call(
            "account.patch", lambda sf, rid=record_id, body=values: sf.Account.update(rid, body), write=True
        )
        done_at.append(time.perf_counter() - started)
    wall = time.perf_counter() - started
    return Naive(len(changes), wall, done_at, adapter.usage.retries - retries_before)


# --- freshness ------------------------------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Freshness:
    seconds: list[float]
    missed: list[str]
    warmup: float | None
    worker_log: str


def _post_track(port: int, account_id: str, user: str) -> int:
    body = {
        "type": "track",
        "userId": user,
        "event": "Report Created",
        "properties": {"source": "bench"},
        "context": {"groupId": account_id},
        "messageId": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
    }
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode(),
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/v1/track", body=orjson.dumps(body), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class Target:
    """Where the freshness events land: one CRM of the sandbox, as the web app and the worker reach it."""

    crm: str
    settings: dict[str, Any]
    """Settings fields naming the CRM and its credentials (for the in-process web app)."""
    env: dict[str, str]
    """The same for the worker process."""
    seed: Callable[[list[str]], dict[str, str]]
    """Create one record per account id; account id -> record id."""
    score: Callable[[str], str | None]
    """The score a record holds now (read in-process, cheap)."""
    quiet: Callable[[], None]
    """Forget the earlier phases' rate-limit window (nothing for Salesforce)."""


def hubspot_target(sandbox: SandboxServer) -> Target:
    def score(record_id: str) -> str | None:
        record = sandbox.state.find("companies", record_id)
        return None if record is None else record.properties.get("healthloop_score") or None

    return Target(
        "hubspot",
        {"crm": "hubspot", "hubspot_access_token": SecretStr(TOKEN), "hubspot_base_url": sandbox.url},
        {"HEALTHLOOP_CRM": "hubspot", "HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": sandbox.url},
        lambda ids: seed_companies(sandbox, ids),
        score,
        lambda: sandbox.set_rate_limit(),
    )


def salesforce_target(sandbox: SandboxServer, score_field: str) -> Target:
    def score(record_id: str) -> str | None:
        record = sandbox.salesforce.find(record_id)
        value = None if record is None else record.values.get(score_field)
        return None if value is None else str(round(float(value)))

    env = {"HEALTHLOOP_CRM": "salesforce", "SALESFORCE_LOGIN_URL": sandbox.salesforce_url}
    env |= {"SALESFORCE_CA_BUNDLE": sandbox.ca_file}
    env |= {
        name.upper(): value.get_secret_value() if isinstance(value, SecretStr) else value
        for name, value in SF_LOGIN.items()
    }
    return Target(
        "salesforce",
        {"crm": "salesforce", **SF_LOGIN, "salesforce_login_url": sandbox.salesforce_url}
        | {"salesforce_ca_bundle": sandbox.ca_file},
        env,
        lambda ids: seed_accounts(sandbox, ids),
        score,
        lambda: None,
    )


class Watcher:
    """Polls the sandbox's records (in-process, cheap) and notes when each watched one gets a new score."""

    def __init__(self, score: Callable[[str], str | None]) -> None:
        self._score = score
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[str, str | None, float]] = {}
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="freshness-watcher", daemon=True)
        self._thread.start()

    def score(self, record_id: str) -> str | None:
        return self._score(record_id)

    def watch(self, account_id: str, record_id: str, old: str | None, sent_at: float) -> None:
        with self._lock:
            self._waiting[account_id] = (record_id, old, sent_at)

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                waiting = list(self._waiting.items())
            for account_id, (record_id, old, sent_at) in waiting:
                value = self.score(record_id)
                if value is not None and value != old:
                    moment = time.perf_counter()
                    with self._lock:
                        self._waiting.pop(account_id, None)
                        self.seen[account_id] = moment - sent_at
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _quiet_accounts(sessions: sessionmaker[Session], count: int, rng: random.Random) -> list[str]:
    """Accounts with no activity in the last 25 days (one event today moves their recency and score)."""
    cutoff = datetime.now(UTC).date() - timedelta(days=25)
    with sessions() as session:
        quiet = sorted(
            session.scalars(
                select(DailyRollup.account_id)
                .group_by(DailyRollup.account_id)
                .having(func.max(DailyRollup.day) < cutoff)
            )
        )
    return rng.sample(quiet, min(count, len(quiet)))


def _wait_for_worker(redis: Redis, worker: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"healthloop worker exited ({worker.returncode}):\n{_tail(log_path)}")
        if Worker.count(connection=redis) >= 1:
            return
        time.sleep(0.2)
    raise SystemExit(f"healthloop worker did not register with Redis:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no worker log)"


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()  # RQ's warm shutdown: finish the job in hand, stop the scheduler and the sweeper
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)  # its own session, started above: only its processes
        worker.wait(timeout=10)


def freshness(
    url: str,
    target: Target,
    workdir: Path,
    events: int,
    interval: float,
    sync_delay: float,
    rng: random.Random,
) -> Freshness:
    """Events over HTTP -> rescore job -> coalesced sync job (one worker process) -> readable in the sandbox."""
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    config_path = workdir / "crm-bench.yaml"
    config_path.write_text(f"crm:\n  sync_delay_seconds: {sync_delay}\n", encoding="utf-8")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    new_accounts = [f"fresh_{n:04d}" for n in range(events // 2 + 1)]
    record_ids = target.seed(new_accounts)
    quiet = _quiet_accounts(sessions, events - events // 2, rng)
    with sessions() as session:
        query = select(CrmRecord.account_id, CrmRecord.record_id).where(
            CrmRecord.crm == target.crm, CrmRecord.account_id.in_(quiet)
        )
        record_ids |= {account_id: record_id for account_id, record_id in session.execute(query)}
    engine.dispose()
    warmup_account, new_accounts = new_accounts[0], new_accounts[1:]
    plan = [a for pair in zip(new_accounts, quiet, strict=False) for a in pair]
    plan += new_accounts[len(quiet) :] + quiet[len(new_accounts) :]
    plan = plan[:events]

    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        write_keys=WRITE_KEY,
        **target.settings,
        config_path=config_path,
        log_level="WARNING",
    )
    rt = install(build_runtime(settings))
    server = make_server("127.0.0.1", 0, create_app(rt), threaded=True, request_handler=_Quiet)
    serving = threading.Thread(target=server.serve_forever, name="healthloop-web", daemon=True)
    serving.start()
    port = server.server_port
    env = {
        **os.environ,
        "HEALTHLOOP_DATABASE_URL": url,
        "HEALTHLOOP_REDIS_URL": REDIS_URL,
        **target.env,
        "HEALTHLOOP_CONFIG": str(config_path),
        "HEALTHLOOP_LOG_LEVEL": "WARNING",
    }
    log_path = workdir / "worker.log"
    command = [str(Path(sys.executable).with_name("healthloop")), "worker"]
    watcher = Watcher(target.score)
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_for_worker(redis, worker, log_path)
            target.quiet()  # the earlier phases' window is over
            warmup = _one_event(port, watcher, warmup_account, record_ids[warmup_account], timeout=60)
            for n, account_id in enumerate(plan):
                old = watcher.score(record_ids[account_id])
                sent_at = time.perf_counter()
                status = _post_track(port, account_id, f"{account_id}-u{n % 3}")
                if status != 200:
                    raise SystemExit(f"/v1/track answered {status}")
                watcher.watch(account_id, record_ids[account_id], old, sent_at)
                time.sleep(max(0.0, interval - (time.perf_counter() - sent_at)))
            deadline = time.monotonic() + 30
            while watcher.pending() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            watcher.stop()
            _stop_worker(worker)
            server.shutdown()
            serving.join(timeout=5)
            rt.close()
            install(None)
            redis.flushdb()
            redis.close()
    seen = [watcher.seen[a] for a in plan if a in watcher.seen]
    return Freshness(seen, [a for a in plan if a not in watcher.seen], warmup, _tail(log_path, 15))


def _one_event(port: int, watcher: Watcher, account_id: str, record_id: str, timeout: float) -> float | None:
    sent_at = time.perf_counter()
    if _post_track(port, account_id, f"{account_id}-u0") != 200:
        raise SystemExit("/v1/track refused the warm-up event")
    watcher.watch(account_id, record_id, watcher.score(record_id), sent_at)
    deadline = time.monotonic() + timeout
    while account_id not in watcher.seen and time.monotonic() < deadline:
        time.sleep(0.02)
    return watcher.seen.get(account_id)


# --- reporting ------------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _routes(requests: dict[str, Any]) -> str:
    shown = [
        f"{route.split(' ', 1)[1].removeprefix('/crm/v3/objects/')} {n}" for route, n in requests["by_route"].items()
    ]
    return ", ".join(sorted(shown)) or "none"


def _say(line: str) -> None:
    print(line, flush=True)


def run(kind: str, crm: str, args: argparse.Namespace, workdir: Path) -> list[tuple[str, bool | None]]:
    rng = random.Random(args.seed)
    targets: list[tuple[str, bool | None]] = []
    with FreshDatabase(kind, workdir) as url:
        started = time.perf_counter()
        alerts, interventions = prepare_database(url, args.accounts, args.days)
        _say(
            f"{kind}: {args.accounts:,} accounts x {args.days} days generated and scored in "
            f"{time.perf_counter() - started:,.0f} s ({alerts:,} open alerts; {interventions:,} interventions set "
            "aside as crm_status='stale': these syncs write fields, not tasks)"
        )
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        ids = [f"acct_{n:06d}" for n in range(args.accounts)]
        if crm == "salesforce":
            return run_salesforce(url, sessions, engine, ids, rng, args, workdir)
        limit = RateLimitConfig(max_requests=LIMIT, interval_ms=int(INTERVAL * 1000))
        with SandboxServer(TOKEN, rate_limit=limit) as sandbox:
            settings = Settings(
                database_url=url,
                crm="hubspot",
                hubspot_access_token=SecretStr(TOKEN),
                hubspot_base_url=sandbox.url,
            )
            config = Config()
            adapter = build_adapter(settings, config, redis_url=None)
            assert isinstance(adapter, HubSpotAdapter)
            try:
                adapter.provision(config.crm.mapping(adapter.name))
                record_ids = seed_companies(sandbox, ids)
                targets += phases(sessions, adapter, sandbox, ids, record_ids, rng, args)
            finally:
                adapter.close()
            engine.dispose()
            if args.events:
                target = hubspot_target(sandbox)
                result = freshness(url, target, workdir, args.events, args.event_interval, args.sync_delay, rng)
                targets += report_freshness(result, args)
    return targets


def run_salesforce(
    url: str,
    sessions: sessionmaker[Session],
    engine: Any,
    ids: list[str],
    rng: random.Random,
    args: argparse.Namespace,
    workdir: Path,
) -> list[tuple[str, bool | None]]:
    """The Salesforce part on the prepared database: the org served over HTTPS, the production adapter."""
    targets: list[tuple[str, bool | None]] = []
    config = Config()
    mapping = config.crm.mapping("salesforce")
    score_field = config.crm.field_names("salesforce")["score"] or "Healthloop_Score__c"
    with SandboxServer(tls=True) as sandbox:
        org = sandbox.configure_salesforce(daily_limit=SF_DAILY_LIMIT, page_size=SF_PAGE_SIZE)
        settings = Settings(
            database_url=url,
            crm="salesforce",
            **SF_LOGIN,
            salesforce_login_url=sandbox.salesforce_url,
            salesforce_ca_bundle=sandbox.ca_file,
        )
        adapter = build_adapter(settings, config, redis_url=None)
        assert isinstance(adapter, SalesforceAdapter)
        try:
            started = time.perf_counter()
            provisioned = adapter.provision(mapping)
            record_ids = seed_accounts(sandbox, ids)
            _say(
                f"salesforce sandbox org over HTTPS at {sandbox.salesforce_url} (daily API limit raised to "
                f"{org['daily_limit']:,}, SOQL page size {org['page_size']:,}): {len(provisioned.created)} custom "
                f"fields provisioned ({len(provisioned.existing)} existed), {len(record_ids):,} Accounts seeded with "
                f"{mapping.match_field}, in {time.perf_counter() - started:,.1f} s (untimed)"
            )
            targets += sf_phases(sessions, adapter, sandbox, ids, record_ids, score_field, rng, args)
        finally:
            adapter.close()
        engine.dispose()
        if args.events:
            target = salesforce_target(sandbox, score_field)
            result = freshness(url, target, workdir, args.events, args.event_interval, args.sync_delay, rng)
            targets += report_freshness(result, args, label="Salesforce: ")
    return targets


def _sf_routes(requests: dict[str, Any]) -> str:
    shown = [
        f"{route.split(' ', 1)[0]} {route.split(' ', 1)[1].removeprefix('/services/data/{v}/')} {n}"
        for route, n in requests["by_route"].items()
    ]
    return ", ".join(sorted(shown)) or "none"


def sf_phases(
    sessions: sessionmaker[Session],
    adapter: SalesforceAdapter,
    sandbox: SandboxServer,
    ids: list[str],
    record_ids: dict[str, str],
    score_field: str,
    rng: random.Random,
    args: argparse.Namespace,
) -> list[tuple[str, bool | None]]:
    targets: list[tuple[str, bool | None]] = []
    n = len(ids)

    def sync() -> Measured:
        return timed_sync(sessions, adapter, sandbox, SALESFORCE)

    def wrong_scores(expected: dict[str, int]) -> list[str]:
        return sf_mismatches(sandbox, record_ids, expected, score_field)

    # 1. Cold sync: resolve every account (SOQL IN chunks), write every field (Collections of 200).
    cold = sync()
    changed = len(cold.report.changes)
    resolve_floor, field_floor = write_floor(n, SF_BATCH), write_floor(changed, SF_BATCH)
    usage = cold.report.usage
    expected = {a: score for a, (_day, score, _tier) in latest(sessions, ids).items()}
    wrong = wrong_scores(expected)
    _say(
        f"salesforce cold sync of {n:,}: {cold.resolves} SOQL resolve calls (ceil({n:,}/{SF_BATCH}) = "
        f"{resolve_floor}; the sync resolves per 600-account batch, in IN chunks of {SF_BATCH}) + "
        f"{cold.field_writes} field write calls for {changed:,} changed records (floor ceil({changed:,}/{SF_BATCH}) = "
        f"{field_floor}); {usage.calls} calls in all ({usage.write_calls} writes, {usage.retries} retries); sandbox "
        f"received {cold.requests['total']} ({cold.requests['server_errors']} x 5xx): {_sf_routes(cold.requests)}"
    )
    _say(
        f"    wall {cold.wall:,.2f} s (no rate-limit floor: Salesforce has no short window, only the daily "
        f"allocation); {len(cold.report.failures)} failed, {len(cold.report.retry_later)} left for later, "
        f"{len(wrong)} Accounts not holding their score"
    )
    targets.append(
        (
            f"Salesforce: cold sync write calls = floor ceil(changed/{SF_BATCH}) "
            f"({cold.field_writes} vs {field_floor})",
            cold.field_writes == field_floor and not wrong,
        )
    )

    # 2. Naive: one sf.Account.update per changed record, same client, on a sample; extrapolated linearly.
    sample = cold.report.changes[: min(args.naive_sample, changed)]
    naive = sf_naive_loop(adapter, sample)
    per_call = naive.wall / max(1, naive.sample)
    naive_calls = cold.resolves + changed
    naive_wall = per_call * changed
    calls_ratio = naive_calls / max(1, usage.calls)
    time_ratio = naive_wall / cold.wall if cold.wall else float("inf")
    _say(
        f"naive one sf.Account.update (PATCH sobjects/Account/{{id}}) per record, measured on {naive.sample} "
        f"records: {naive.wall:,.2f} s ({per_call * 1000:,.1f} ms a call, {naive.retries} retries); EXTRAPOLATED "
        f"linearly to {changed:,} records: {naive_calls:,} calls ({changed:,} writes + the same {cold.resolves} "
        f"resolve calls), {naive_wall:,.1f} s (the writes alone: its resolve time is left out, so this favours "
        f"the naive way) | ours: {usage.calls} calls, {cold.wall:,.2f} s | ratio calls {calls_ratio:,.0f}x, "
        f"time {time_ratio:,.1f}x"
    )
    targets.append(
        (
            f"Salesforce: cold sync vs the naive per-record loop (EXTRAPOLATED from {naive.sample}): "
            f"{naive_calls:,} vs {usage.calls} calls ({calls_ratio:,.0f}x), {naive_wall:,.1f} s vs "
            f"{cold.wall:,.2f} s wall ({time_ratio:,.1f}x)",
            None,
        )
    )

    # 3. Nothing changed.
    idle = sync()
    writes = idle.report.usage.write_calls
    _say(
        f"salesforce second sync, nothing changed: {writes} write calls, {idle.report.usage.calls} calls in all, "
        f"{idle.report.unchanged:,} unchanged, {idle.wall:,.2f} s"
    )
    targets.append((f"Salesforce: no-change sync makes zero write calls ({writes})", writes == 0))

    # 4. 1% of the scores change.
    pool = list(ids)
    rng.shuffle(pool)
    one_percent = pool[: max(1, n // 100)]
    new_scores = change_scores(sessions, one_percent)
    small = sync()
    small_floor = write_floor(len(small.report.changes), SF_BATCH)
    wrong = wrong_scores(new_scores)
    _say(
        f"salesforce 1% changed ({len(new_scores)} scores), sync of all {n:,}: {small.field_writes} field write "
        f"calls for {len(small.report.changes)} changed records (floor ceil({len(small.report.changes)}/{SF_BATCH}) "
        f"= {small_floor}); {small.report.usage.calls} calls in all, {small.wall:,.2f} s; {len(wrong)} Accounts not "
        "holding their new score"
    )
    targets.append(
        (
            f"Salesforce: 1% sync write calls = floor ({small.field_writes} vs {small_floor})",
            small.field_writes == small_floor and not wrong,
        )
    )

    # 5. 5% injected 5xx while every other score changes.
    the_rest = pool[len(one_percent) :]
    new_scores = change_scores(sessions, the_rest)
    sandbox.set_faults(error_rate=0.05, seed=args.seed)
    try:
        faulty = sync()
    finally:
        sandbox.set_faults(error_rate=0.0)
    wrong = wrong_scores(new_scores)
    failed = len(faulty.report.failures) + len(faulty.report.retry_later) + len(wrong)
    faulty_floor = write_floor(len(faulty.report.changes), SF_BATCH)
    _say(
        f"salesforce 5% injected 5xx, the other 99% changed ({len(new_scores):,} scores): "
        f"{len(faulty.report.failures)} failed, {len(faulty.report.retry_later)} left for later, {len(wrong)} "
        f"Accounts not holding their new score; {faulty.requests['server_errors']} 5xx answered, "
        f"{faulty.report.usage.retries} retries; {faulty.field_writes} field write calls incl. retries (floor "
        f"{faulty_floor}); {faulty.wall:,.2f} s"
    )
    targets.append((f"Salesforce: zero failed records under 5% injected 5xx ({failed})", failed == 0))
    return targets


def phases(
    sessions: sessionmaker[Session],
    adapter: HubSpotAdapter,
    sandbox: SandboxServer,
    ids: list[str],
    record_ids: dict[str, str],
    rng: random.Random,
    args: argparse.Namespace,
) -> list[tuple[str, bool | None]]:
    targets: list[tuple[str, bool | None]] = []
    n = len(ids)

    # 1. Cold sync: resolve every account, write every field.
    cold = timed_sync(sessions, adapter, sandbox)
    changed = len(cold.report.changes)
    resolve_floor, field_floor = write_floor(n), write_floor(changed)
    floor = rate_floor(resolve_floor + field_floor)
    usage = cold.report.usage
    expected = {a: score for a, (_day, score, _tier) in latest(sessions, ids).items()}
    wrong = mismatches(sandbox, record_ids, expected)
    ratio = cold.wall / floor if floor else None
    _say(
        f"cold sync of {n:,}: {cold.resolves} resolve calls (floor {resolve_floor}) + {cold.field_writes} field write "
        f"calls for {changed:,} changed records (floor ceil({changed:,}/100) = {field_floor}); {usage.calls} calls "
        f"in all ({usage.write_calls} writes, {usage.retries} retries); sandbox received {cold.requests['total']} "
        f"({cold.requests['rate_limited']} x 429): {_routes(cold.requests)}"
    )
    _say(
        f"    wall {cold.wall:,.1f} s vs rate-limit floor {floor:,.0f} s for {resolve_floor + field_floor} calls "
        f"(max(0, ceil(calls/100) - 1) x 10 s): "
        + (f"{ratio:.2f}x" if ratio else "n/a (fits in one window)")
        + f"; {len(cold.report.failures)} failed, {len(cold.report.retry_later)} left for later, "
        f"{len(wrong)} companies not holding their score"
    )
    targets.append(
        (
            f"cold sync field write calls = floor ({cold.field_writes} vs {field_floor})",
            cold.field_writes == field_floor,
        )
    )
    shown = f"{ratio:.2f}x" if ratio else "n/a: the floor is 0 s (all calls fit in one window)"
    targets.append(
        (
            f"cold sync wall within 1.2x the rate-limit floor ({cold.wall:.1f} s vs {floor:.0f} s: {shown})",
            None if ratio is None else ratio <= 1.2,
        )
    )

    # 2. Naive: one PATCH per changed record, same client and limit, on a sample; extrapolated to all.
    sample = cold.report.changes[: min(args.naive_sample, changed)]
    naive = naive_loop(adapter, sandbox, sample)
    naive_calls = cold.resolves + changed
    naive_wall = naive.extrapolate(naive_calls)
    _say(
        f"naive one PATCH per record, measured on {naive.sample} records: {naive.wall:,.1f} s ({naive.retries} "
        f"retries, window period {naive.period() or 0:.1f} s); EXTRAPOLATED to {changed:,} records: "
        f"{naive_calls:,} calls ({changed:,} writes + the same "
        f"{cold.resolves} resolve calls, at the pace measured), {naive_wall:,.0f} s "
        f"(its floor {rate_floor(naive_calls):,.0f} s) | "
        f"ours: {usage.calls} calls, {cold.wall:,.1f} s | ratio calls {naive_calls / max(1, usage.calls):,.0f}x, "
        f"time {naive_wall / cold.wall:,.0f}x"
    )

    # 3. Nothing changed.
    idle = timed_sync(sessions, adapter, sandbox)
    _say(
        f"second sync, nothing changed: {idle.report.usage.write_calls} write calls, {idle.report.usage.calls} calls "
        f"in all, {idle.report.unchanged:,} unchanged, {idle.wall:,.1f} s"
    )
    writes = idle.report.usage.write_calls
    targets.append((f"no-change sync makes zero write calls ({writes})", writes == 0))

    # 4. 1% of the scores change.
    pool = list(ids)
    rng.shuffle(pool)
    one_percent = pool[: max(1, n // 100)]
    new_scores = change_scores(sessions, one_percent)
    small = timed_sync(sessions, adapter, sandbox)
    small_floor = write_floor(len(small.report.changes))
    wrong = mismatches(sandbox, record_ids, new_scores)
    _say(
        f"1% changed ({len(new_scores)} scores), sync of all {n:,}: {small.field_writes} field write calls for "
        f"{len(small.report.changes)} changed records (floor {small_floor}); {small.report.usage.calls} calls in "
        f"all, {small.wall:,.1f} s; {len(wrong)} companies not holding their new score"
    )
    text = f"1% sync field write calls = floor ({small.field_writes} vs {small_floor})"
    targets.append((text, small.field_writes == small_floor and not wrong))

    # 5. 5% injected 5xx while every other score changes (about 100 write calls: enough for faults to land).
    the_rest = pool[len(one_percent) :]
    new_scores = change_scores(sessions, the_rest)
    sandbox.set_faults(error_rate=0.05, seed=args.seed)
    try:
        faulty = timed_sync(sessions, adapter, sandbox)
    finally:
        sandbox.set_faults(error_rate=0.0)
    wrong = mismatches(sandbox, record_ids, new_scores)
    failed = len(faulty.report.failures) + len(faulty.report.retry_later) + len(wrong)
    faulty_floor = write_floor(len(faulty.report.changes))
    _say(
        f"5% injected 5xx, the other 99% changed ({len(new_scores):,} scores): {len(faulty.report.failures)} failed, "
        f"{len(faulty.report.retry_later)} left for later, {len(wrong)} companies not holding their new score; "
        f"{faulty.requests['server_errors']} 5xx answered, {faulty.report.usage.retries} retries; "
        f"{faulty.field_writes} field write calls incl. retries (floor {faulty_floor}); {faulty.wall:,.1f} s"
    )
    targets.append((f"zero failed records under 5% injected 5xx ({failed})", failed == 0))
    return targets


def report_freshness(result: Freshness, args: argparse.Namespace, label: str = "") -> list[tuple[str, bool | None]]:
    warm = "not seen" if result.warmup is None else f"{result.warmup:.2f} s"
    if not result.seconds:
        _say(f"{label}freshness: no event reached the sandbox (warm-up {warm}); worker log:\n{result.worker_log}")
        return [(f"{label}event-to-CRM freshness p95 < 5 s (nothing arrived)", False)]
    p50, p95 = statistics.median(result.seconds), _percentile(result.seconds, 0.95)
    _say(
        f"{label}freshness, {len(result.seconds)} of {len(result.seconds) + len(result.missed)} events (one every "
        f"{args.event_interval} s, sync_delay_seconds {args.sync_delay}, one worker): p50 {p50:.2f} s, "
        f"p95 {p95:.2f} s, max {max(result.seconds):.2f} s; not seen within 30 s: {len(result.missed)}; "
        f"warm-up event {warm}"
    )
    if result.missed:
        _say(f"    missed: {', '.join(result.missed[:10])}; worker log tail:\n{result.worker_log}")
    return [(f"{label}event-to-CRM freshness p95 < 5 s ({p95:.2f} s)", p95 < 5 and not result.missed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--crm", choices=["hubspot", "salesforce", "both"], default="hubspot", help="both: HubSpot, then Salesforce"
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30, help="days of generated rollups per account")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=None,
        help="records the naive PATCH loop writes (default: HubSpot 300, Salesforce 500; 200 with --quick)",
    )
    parser.add_argument("--events", type=int, default=40, help="freshness events (0 skips the freshness part)")
    parser.add_argument("--event-interval", type=float, default=0.75, help="seconds between freshness events")
    parser.add_argument("--sync-delay", type=float, default=2.0, help="crm.sync_delay_seconds for the worker")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="1,000 accounts, 200-record naive sample, 20 events")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.events = 1000, 20
    crms = ["hubspot", "salesforce"] if args.crm == "both" else [args.crm]
    targets: list[tuple[str, bool | None]] = []
    for crm in crms:
        sample = {"hubspot": 300, "salesforce": 500}[crm] if not args.quick else 200
        crm_args = argparse.Namespace(**vars(args) | {"naive_sample": args.naive_sample or sample})
        if crm == "hubspot":
            _say(
                f"{args.accounts:,} accounts, sandbox limit {LIMIT} requests / {INTERVAL:.0f} s, {os.cpu_count()} "
                f"cores, redis {REDIS_URL}"
            )
        else:
            _say(
                f"{args.accounts:,} accounts, Salesforce sandbox org over HTTPS (no short rate window; Collections "
                f"of {SF_BATCH}), {os.cpu_count()} cores, redis {REDIS_URL}"
            )
        with tempfile.TemporaryDirectory() as workdir:
            found = run(args.database, crm, crm_args, Path(workdir))
        if args.crm == "both" and crm == "hubspot":
            found = [(f"HubSpot: {text}", ok) for text, ok in found]
        targets += found
    _say("summary:")
    for text, ok in targets:
        _say(f"  {'-' if ok is None else _mark(ok)} {text}")


if __name__ == "__main__":
    main()
