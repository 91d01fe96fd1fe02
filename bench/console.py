"""Console benchmark: server time of the accounts page over 10,000 and 100,000 accounts and of an account page
with 365 days of history, beside the JSON rendering of the same data.

    .venv/bin/python bench/console.py [--database sqlite|postgresql|both] [--accounts 10000,100000] [--requests 50]

For each backend and size it generates (untimed) accounts with 14 days of score history (so every list row has
a sparkline), open alerts and plays for the weaker half, and one account with 365 days of scores, roll-ups,
alerts, plays and tickets, into a fresh database. Then, in one run, it times each request through the real app
(WSGI, in process: routing, session, SQL, templates), `--requests` times, and prints p50 and p95:
- the accounts page (default sort, revenue at risk, filtered by tier and trigger, a search, a deep page) vs
  `/console/accounts.json` with the same query;
- the account page with `?days=365` vs `GET /api/accounts/<id>` (the JSON API).
Targets: accounts page p95 < 300 ms, account page p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.ingest import FreshDatabase  # noqa: E402
from connector.config.settings import Settings  # noqa: E402
from connector.config.yaml_config import Config  # noqa: E402
from connector.jobs.runtime import Runtime  # noqa: E402
from connector.jobs.work_queue import InProcessWorkQueue  # noqa: E402
from connector.store.db import make_engine, make_sessionmaker  # noqa: E402
from connector.store.models import (  # noqa: E402
    Account,
    AccountScore,
    Alert,
    DailyRollup,
    Intervention,
    Ticket,
)

TOKEN = "bench-admin-token"
STORY = "acct_story"
HISTORY_DAYS = 14
TIERS = ((80, "healthy"), (60, "monitor"), (40, "at_risk"), (20, "critical"), (0, "churning"))
LIST_QUERIES = {
    "default (score, lowest first)": "",
    "revenue at risk, highest first": "sort=revenue_at_risk&dir=desc",
    "At Risk with an open inactivity trigger": "tier=at_risk&trigger=inactive",
    "search 'company 0042'": "q=company+0042",
    "page 100 of 50 rows": "page=100",
}
SIGNALS = {n: {"value": 50.0, "explanation": f"{n}: 42 meaningful actions in 14 days"} for n in
           ("activity", "engagement", "milestones", "recency")}  # fmt: skip


def _tier(score: int) -> str:
    return next(tier for low, tier in TIERS if score >= low)


def _score(account_id: str, day: date, score: int, now: datetime) -> dict[str, Any]:
    return {"account_id": account_id, "day": day, "score": score, "tier": _tier(score), "trend_delta": -3,
            "trend_direction": "stable", "signals": SIGNALS, "weights": {}, "reason": "Activity 50/100: fading",
            "config_version": "bench", "scored_at": now}  # fmt: skip


def _play(account_id: str, key: str, tier: str, created: datetime) -> dict[str, Any]:
    return {"account_id": account_id, "key": key, "trigger_id": None, "trigger_ids": [], "tier": tier,
            "action": "personalized re-engagement", "channels": ["email"], "owner": "csm", "priority": "high",
            "due_at": created + timedelta(days=1), "subject": f"{account_id} needs a call", "body": "story",
            "slack_alert": False, "status": "pending", "created_at": created, "control": False}  # fmt: skip


def generate(url: str, accounts: int, today: date, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for start in range(0, accounts, 5000):
            rows, scores, alerts, plays = [], [], [], []
            for n in range(start, min(start + 5000, accounts)):
                account_id = f"acct_{n:06d}"
                latest = rng.randint(0, 100)
                mrr = rng.choice((None, 99.0, 490.0, 2500.0))
                rows.append({"account_id": account_id, "name": f"Company {n:06d}", "plan": rng.choice(("pro", "team")),
                             "licensed_seats": rng.choice((None, 5, 25)), "mrr": mrr,
                             "renewal_date": today + timedelta(days=rng.randint(1, 365)), "domain": f"c{n}.example",
                             "traits": {}, "first_seen_at": now, "updated_at": now})  # fmt: skip
                for back in range(HISTORY_DAYS - 1, -1, -1):
                    score = max(0, min(100, latest + back * rng.randint(-1, 2)))
                    scores.append(_score(account_id, today - timedelta(days=back), score, now))
                if latest < 60:
                    alerts.append({"account_id": account_id, "trigger_id": "low_score", "fired_on": today,
                                   "fired_at": now, "evidence": {"score": latest}, "explanation": "low",
                                   "config_version": "bench"})  # fmt: skip
                    plays.append(_play(account_id, f"tier:{_tier(latest)}", _tier(latest), now))
                if n % 7 == 0:
                    alerts.append({"account_id": account_id, "trigger_id": "inactive", "fired_on": today,
                                   "fired_at": now, "evidence": {"days": 15}, "explanation": "quiet",
                                   "config_version": "bench"})  # fmt: skip
            connection.execute(insert(Account), rows)
            connection.execute(insert(AccountScore), scores)
            connection.execute(insert(Alert), alerts)
            connection.execute(insert(Intervention), plays)
        _story(connection, today, now, rng)
    # Statistics and a vacuumed table, as a live database would have (the daily rescore rewrites every latest row).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()


def _story(connection: Any, today: date, now: datetime, rng: random.Random) -> None:
    """One account with a year of daily history: the account page's worst case."""
    connection.execute(insert(Account), [{"account_id": STORY, "name": "Story Inc", "plan": "enterprise",
                                          "licensed_seats": 40, "mrr": 9000.0, "renewal_date": today,
                                          "domain": "story.example", "traits": {}, "first_seen_at": now,
                                          "updated_at": now}])  # fmt: skip
    days = [today - timedelta(days=back) for back in range(364, -1, -1)]
    connection.execute(insert(AccountScore), [_score(STORY, d, rng.randint(30, 95), now) for d in days])
    users = [f"user_{k}" for k in range(35)]
    connection.execute(insert(DailyRollup), [
        {"account_id": STORY, "day": d, "events": 300, "page_views": 40, "active_users": 20,
         "event_counts": {"Report Created": 120, "Dashboard Viewed": 180},
         "user_counts": {u: rng.randint(1, 20) for u in rng.sample(users, 20)}, "tickets_opened": 0,
         "computed_at": now} for d in days])  # fmt: skip
    connection.execute(insert(Alert), [
        {"account_id": STORY, "trigger_id": trigger, "fired_on": d, "fired_at": now,
         "cleared_on": d + timedelta(days=5), "evidence": {"drop": 16}, "explanation": "dropped",
         "config_version": "bench"}
        for k, d in enumerate(days[::12]) for trigger in ("score_drop",) if k % 2 == 0])  # fmt: skip
    connection.execute(insert(Intervention), [_play(STORY, f"tier:at_risk:{d}", "at_risk",
                                                    datetime.combine(d, datetime.min.time(), tzinfo=UTC))
                                              for d in days[::30]])  # fmt: skip
    connection.execute(insert(Ticket), [
        {"source": "zendesk", "external_id": f"T{k}", "account_id": STORY, "subject": "Export times out",
         "tags": [], "priority": "normal", "status": "solved", "opened_at": now - timedelta(days=k * 9),
         "state_at": now, "first_received_at": now} for k in range(40)])  # fmt: skip


def _timed(client: Any, path: str, requests: int, headers: dict[str, str] | None = None) -> tuple[float, float]:
    samples = []
    client.get(path, headers=headers)  # warm (templates compiled, statements prepared)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def measure(url: str, requests: int) -> list[tuple[str, tuple[float, float], tuple[float, float], int]]:
    from webhooks.app import create_app

    engine = make_engine(url)
    settings = Settings(database_url=url, admin_token=TOKEN)
    rt = Runtime(settings, Config(), engine, make_sessionmaker(engine), InProcessWorkQueue(), None)
    client = create_app(rt).test_client()
    page = client.get("/console/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/console/sign-in", data={"token": TOKEN, "csrf_token": csrf})
    results = []
    for label, query in LIST_QUERIES.items():
        html = _timed(client, f"/console/accounts?{query}", requests)
        json = _timed(client, f"/console/accounts.json?{query}", requests)
        results.append((f"accounts page: {label}", html, json, 300))
    account = _timed(client, f"/console/accounts/{STORY}?days=365", requests)
    api = _timed(client, f"/api/accounts/{STORY}", requests, {"Authorization": f"Bearer {TOKEN}"})
    results.append(("account page, 365 days of history", account, api, 150))
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--accounts", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    today = datetime.now(UTC).date()
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            for size in (int(s) for s in args.accounts.split(",")):
                with FreshDatabase(kind, Path(folder)) as url:
                    started = time.perf_counter()
                    generate(url, size, today)
                    took = time.perf_counter() - started
                    rows = size * HISTORY_DAYS
                    print(f"\n{kind}, {size:,} accounts ({rows:,} score rows; generated in {took:.0f} s); "
                          f"{args.requests} requests each, server time in ms:")  # fmt: skip
                    print(f"  {'request':<58} {'HTML p50':>9} {'HTML p95':>9} {'JSON p50':>9} {'JSON p95':>9}  target")
                    for label, (p50, p95), (j50, j95), target in measure(url, args.requests):
                        verdict = "ok" if p95 < target else "OVER"
                        print(f"  {label:<58} {p50:9.1f} {p95:9.1f} {j50:9.1f} {j95:9.1f}  p95 < {target} {verdict}")


if __name__ == "__main__":
    main()
