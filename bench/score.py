"""Scoring benchmark: full rescore of 100,000 accounts with 90 days of rollups, and one-account latency.

    .venv/bin/python bench/score.py [--database sqlite|postgresql|both] [--accounts 100000]

For each backend it generates (untimed) accounts with 90 days of daily rollups, first-seen
events and two weeks of score history into a fresh database, then measures in one run:
1. the full rescore: every account scored as of today by `score_accounts` in batches of 500,
   split over `--processes` worker processes, stored (score history, alerts, interventions);
2. the naive way over the same data: one account at a time, one transaction each, on a sample;
3. incremental rescoring: one new event for an account, then the rescore job's path for it
   (roll-up of the touched day + score + commit), median over a sample.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.ingest import FreshDatabase  # noqa: E402
from connector.config.yaml_config import Config  # noqa: E402
from connector.events import SegmentCall  # noqa: E402
from connector.health.scores import score_accounts  # noqa: E402
from connector.ingest.product_events import store_calls  # noqa: E402
from connector.ingest.rollups import roll_up_outstanding  # noqa: E402
from connector.store.bulk import insert_ignore_many  # noqa: E402
from connector.store.db import make_engine, make_sessionmaker, reader  # noqa: E402
from connector.store.models import Account, AccountEventFirst, AccountScore, DailyRollup  # noqa: E402

FEATURES = ("Report Created", "Dashboard Viewed", "Export Completed", "Integration Connected", "Invite Sent")
BATCH = 500


def generate(url: str, accounts: int, days: int, today: date, seed: int = 3) -> None:
    """Accounts of several kinds (steady, declining, gone quiet, new, tiny) with daily rollups."""
    rng = random.Random(seed)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    for start in range(0, accounts, 2000):
        ids = [f"acct_{n:06d}" for n in range(start, min(start + 2000, accounts))]
        account_rows, rollups, firsts, history = [], [], [], []
        for account_id in ids:
            kind = rng.choice(("steady", "steady", "declining", "quiet", "new", "tiny"))
            seats = rng.choice((None, 3, 5, 10, 25, 50, 200))
            users = max(1, int((seats or 8) * rng.uniform(0.2, 0.9)))
            age = rng.randint(3, 20) if kind == "new" else rng.randint(days, 900)
            account_rows.append(
                (
                    account_id,
                    f"Account {account_id}",
                    seats,
                    {},
                    now,
                    now,
                    datetime.combine(today - timedelta(days=age), datetime.min.time(), tzinfo=UTC),
                )
            )
            seen: dict[str, date] = {}
            for back in range(min(days, age), -1, -1):
                day = today - timedelta(days=back)
                if (kind == "quiet" and back < 25) or rng.random() < 0.15:
                    continue
                scale = 1.0 - (0.8 * (1 - back / days) if kind == "declining" else 0.0)
                active = max(1, int(users * scale * rng.uniform(0.3, 1.0))) if kind != "tiny" else 1
                user_counts = {f"u{k}": rng.randint(1, 12) for k in range(active)}
                logins = sum(1 for _ in user_counts)
                counts = {"Signed In": logins}
                for feature in FEATURES[: rng.randint(1, len(FEATURES))]:
                    counts[feature] = rng.randint(1, 3 * active)
                for event in counts:
                    seen.setdefault(event, day)
                total = sum(counts.values())
                rollups.append(
                    (account_id, day, total, 0, len(user_counts), counts, user_counts, int(rng.random() < 0.03), now)
                )
            firsts.extend((account_id, event, day) for event, day in seen.items())
            for back in range(1, 15):
                history.append((account_id, today - timedelta(days=back), rng.randint(20, 95)))
        with sessions.begin() as session:
            insert_ignore_many(
                session,
                Account.__table__,
                ("account_id", "name", "licensed_seats", "traits", "first_seen_at", "updated_at", "signed_up_at"),
                account_rows,
            )
            insert_ignore_many(
                session,
                DailyRollup.__table__,
                (
                    "account_id",
                    "day",
                    "events",
                    "page_views",
                    "active_users",
                    "event_counts",
                    "user_counts",
                    "tickets_opened",
                    "computed_at",
                ),
                rollups,
            )
            insert_ignore_many(session, AccountEventFirst.__table__, ("account_id", "event", "first_day"), firsts)
            insert_ignore_many(
                session,
                AccountScore.__table__,
                ("account_id", "day", "score", "tier", "signals", "weights", "reason", "config_version", "scored_at"),
                [(a, d, s, "monitor", {}, {}, "generated", "bench", now) for a, d, s in history],
            )
    engine.dispose()


def _analyze(url: str) -> None:
    """What autovacuum would have done long before on a live database: statistics, hint bits."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT") if "postgresql" in url else make_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if "postgresql" in url else "ANALYZE")
    engine.dispose()


def _score_slice(url: str, ids: list[str], as_of: date, done: multiprocessing.Queue) -> None:
    engine = make_engine(url)
    sessions, readers = make_sessionmaker(engine), make_sessionmaker(reader(engine))
    rules = Config().scoring
    now = datetime.now(UTC)
    for start in range(0, len(ids), BATCH):
        with readers() as reading, sessions.begin() as session:
            score_accounts(session, ids[start : start + BATCH], as_of, rules, now, read_session=reading)
    engine.dispose()
    done.put(len(ids))


def full_rescore(url: str, ids: list[str], as_of: date, processes: int) -> float:
    """Accounts per second for scoring every account, split over `processes` processes."""
    done: multiprocessing.Queue = multiprocessing.Queue()
    parts = [ids[k::processes] for k in range(processes)]
    workers = [multiprocessing.Process(target=_score_slice, args=(url, part, as_of, done)) for part in parts]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    scored = sum(done.get(timeout=3600) for _ in workers)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    assert scored == len(ids)
    return len(ids) / elapsed


def naive_rescore(url: str, ids: list[str], as_of: date) -> float:
    """Accounts per second, one account and one transaction at a time, one process."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    rules = Config().scoring
    now = datetime.now(UTC)
    started = time.perf_counter()
    for account_id in ids:
        with sessions.begin() as session:
            score_accounts(session, [account_id], as_of, rules, now)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(ids) / elapsed


def incremental_latency(url: str, ids: list[str]) -> float:
    """Median milliseconds from a stored event to its account rescored (roll-up + score + commit)."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    config = Config()
    timings = []
    for n, account_id in enumerate(ids):
        now = datetime.now(UTC)
        call = SegmentCall(
            message_id=f"bench-{n}-{account_id}",
            type="track",
            timestamp=now,
            payload={"type": "track", "event": "Report Created"},
            user_id="u1",
            account_id=account_id,
            event="Report Created",
        )
        with sessions.begin() as session:
            store_calls(session, [call], config, now)
        started = time.perf_counter()
        with sessions.begin() as session:
            roll_up_outstanding(session, account_id, now)
            score_accounts(session, [account_id], now.date(), config.scoring, now)
        timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=1000, help="accounts the naive loop scores")
    parser.add_argument("--latency-sample", type=int, default=200, help="accounts for the incremental median")
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"{args.accounts:,} accounts x {args.days} days of rollups, {args.processes} processes, {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            with FreshDatabase(kind, Path(workdir)) as url:
                started = time.perf_counter()
                generate(url, args.accounts, args.days, today)
                _analyze(url)
                print(f"{kind:<10} generated in {time.perf_counter() - started:,.0f} s")
                engine = make_engine(url)
                with make_sessionmaker(engine)() as session:
                    ids = list(session.scalars(select(Account.account_id).order_by(Account.account_id)))
                engine.dispose()
                ours = full_rescore(url, ids, today, args.processes)
                # Again: alerts now open, nothing new to decide, as on an ordinary day.
                steady = full_rescore(url, ids, today, args.processes)
                sample = random.Random(5).sample(ids, min(args.naive_sample, len(ids)))
                naive = naive_rescore(url, sample, today)
                latency = incremental_latency(url, random.Random(6).sample(ids, min(args.latency_sample, len(ids))))
                print(
                    f"{kind:<10} full rescore: {ours:,.0f} accounts/s ({len(ids) / ours:,.1f} s for "
                    f"{len(ids):,}; again with alerts already open: {len(ids) / steady:,.1f} s) | "
                    f"naive one-at-a-time: {naive:,.0f} accounts/s | ratio {ours / naive:.1f} | "
                    f"incremental rescore after an event: median {latency:.1f} ms"
                )


if __name__ == "__main__":
    main()
