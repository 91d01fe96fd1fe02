"""History-fill benchmark: `score --all --from --to` over 10,000 accounts x 180 days, replayed vs day by day.

    .venv/bin/python bench/history.py [--database sqlite|postgresql] [--accounts 10000] [--days 180]
                                      [--sample-days 10]

It generates (untimed) accounts with daily rollups reaching back before the range into a fresh
database, then measures in one run:
1. the replay `score --from --to` runs for past days (`connector/health/backfill.py:score_range`):
   every account, every day of the range, stored (score rows, alerts, the days' populations);
2. the day-by-day path it replaced, on the same accounts for `--sample-days` of those days: each day
   scored for every account in batches of 500 by `score_accounts` (population of the day computed
   and stored, stored earlier scores read back), as backfills ran before;
and prints both rates in account-days per second and their ratio. The target: at least 10,000
account-days/s on SQLite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from bench.ingest import FreshDatabase  # noqa: E402
from bench.score import generate  # noqa: E402
from connector.config.yaml_config import Config  # noqa: E402
from connector.health.backfill import score_range  # noqa: E402
from connector.health.history import lookback_days  # noqa: E402
from connector.health.scores import score_accounts  # noqa: E402
from connector.store.db import make_engine, make_sessionmaker, reader  # noqa: E402
from connector.store.models import Account, AccountScore, Alert, PeerNorms  # noqa: E402
from connector.store.sql import chunks  # noqa: E402

BATCH = 500


def _forget(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        for table in (AccountScore, Alert, PeerNorms):
            session.execute(delete(table))


def replayed(url: str, days: list[date], now: datetime) -> tuple[float, int]:
    engine = make_engine(url)
    sessions, readers = make_sessionmaker(engine), make_sessionmaker(reader(engine))
    rules = Config().scoring
    with sessions() as session:
        accounts = list(session.scalars(select(Account.account_id).order_by(Account.account_id)))
    _forget(sessions)
    started = time.perf_counter()
    done = score_range(sessions, readers, rules, accounts, days, now)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, done.scored_days


def day_by_day(url: str, days: list[date]) -> tuple[float, int]:
    engine = make_engine(url)
    sessions, readers = make_sessionmaker(engine), make_sessionmaker(reader(engine))
    rules = Config().scoring
    with sessions() as session:
        accounts = list(session.scalars(select(Account.account_id).order_by(Account.account_id)))
    _forget(sessions)
    started, scored = time.perf_counter(), 0
    for day in days:
        decided_at = datetime.combine(day, datetime.max.time(), tzinfo=UTC)
        for batch in chunks(accounts, BATCH):
            with readers() as reading, sessions.begin() as session:
                scored += len(
                    score_accounts(
                        session, batch, day, rules, decided_at, record_interventions=False, read_session=reading
                    )
                )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--sample-days", type=int, default=10, help="days the day-by-day path scores")
    args = parser.parse_args()
    now = datetime.now(UTC)
    today = now.date()
    days = [today - timedelta(days=n) for n in range(args.days, 0, -1)]
    history = args.days + lookback_days(Config().scoring) + 7
    with tempfile.TemporaryDirectory() as workdir, FreshDatabase(args.database, Path(workdir)) as url:
        started = time.perf_counter()
        generate(url, args.accounts, history, today)
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            rollups = session.scalar(select(func.count()).select_from(Account))
        engine.dispose()
        print(
            f"{args.database}: {rollups:,} accounts, rollups over {history} days "
            f"(generated in {time.perf_counter() - started:.0f} s)"
        )
        fast, fast_days = replayed(url, days, now)
        fast_rate = fast_days / fast
        print(f"replay:      {fast_days:,} account-days in {fast:.1f} s = {fast_rate:,.0f} account-days/s")
        sample = days[-args.sample_days :]
        slow, slow_days = day_by_day(url, sample)
        slow_rate = slow_days / slow
        print(f"day by day:  {slow_days:,} account-days in {slow:.1f} s = {slow_rate:,.0f} account-days/s")
        print(
            f"ratio replay / day by day: {fast_rate / slow_rate:.1f}x; target 10,000 account-days/s: "
            + ("met" if fast_rate >= 10_000 else "NOT met")
        )


if __name__ == "__main__":
    main()
