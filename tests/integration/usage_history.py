"""A stored usage history with event names that are not Segment's defaults, written straight into the tables
`config suggest` reads (daily rollups, first-seen events, accounts, renewals), as the roll-up job leaves them.

The book (150 days up to `LAST_DAY`):
- 20 accounts that signed up long before the stored history starts, using the product on weekdays;
- 30 accounts that signed up inside it and stayed: they connect a bank account (days 0-3), complete setup
  (days 1-5), send their first invoice (days 2-8), 70% create a board (days 3-20), 80% invite a teammate
  (days 5-15);
- 10 accounts that signed up inside it and stopped using it after three weeks (5 recorded as churned);
- every account's "Workspace Synced" fires every day from its first day, used or not (background noise);
  "Signed Out" and "Email Opened" come and go; "Report Exported" is rare; a few events have names that
  YAML reads as something else.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from connector.store.models import Account, AccountEventFirst, DailyRollup, Renewal

LAST_DAY = date(2025, 6, 30)
DAYS = 150
FIRST_DAY = LAST_DAY - timedelta(days=DAYS - 1)
NOISE = "Workspace Synced"
ODD_NAMES = ('Plan: "Pro" #1', "yes", "- Archived", "{Export}", "Multi\nLine", "Émoji ✓ 100%")


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


class _Account:
    def __init__(self, account_id: str, kind: str, start: date, signed_up: date) -> None:
        self.account_id, self.kind, self.start, self.signed_up = account_id, kind, start, signed_up
        self.days: dict[date, dict[str, int]] = {}
        self.pages: dict[date, int] = {}

    def add(self, day: date, event: str, count: int = 1) -> None:
        if FIRST_DAY <= day <= LAST_DAY:
            counts = self.days.setdefault(day, {})
            counts[event] = counts.get(event, 0) + count


def _use_day(account: _Account, day: date, rng: random.Random) -> None:
    account.add(day, "User Logged In", rng.randint(1, 3))
    account.add(day, "Dashboard Viewed", rng.randint(1, 4))
    account.pages[day] = account.pages.get(day, 0) + 2
    if rng.random() < 0.3:
        account.add(day, "Signed Out")


def _book(seed: int, every_step: bool) -> list[_Account]:
    rng = random.Random(seed)
    accounts = []
    for i in range(20):
        accounts.append(_Account(f"acct_old_{i:02d}", "old", FIRST_DAY, FIRST_DAY - timedelta(days=400)))
    for i in range(30):
        start = LAST_DAY - timedelta(days=40 + (i * 37) % 100)
        accounts.append(_Account(f"acct_new_{i:02d}", "stayed", start, start))
    for i in range(10):
        start = LAST_DAY - timedelta(days=60 + (i * 23) % 80)
        accounts.append(_Account(f"acct_gone_{i:02d}", "gone", start, start))
    for index, account in enumerate(accounts):
        _live(account, index, rng, every_step)
    return accounts


def _live(account: _Account, index: int, rng: random.Random, every_step: bool) -> None:
    start, new = account.start, account.kind != "old"
    stays_and_boards = account.kind == "stayed" and (index % 10 < 7 or every_step)
    board_user = stays_and_boards or (account.kind == "old" and index % 2 == 0)
    firsts = {}
    if new:
        firsts = {"Bank Account Connected": rng.randint(0, 3), "Setup Completed": rng.randint(1, 5)}
        if account.kind == "stayed":
            firsts |= {"Invoice Sent": rng.randint(2, 8)}
            if board_user:
                firsts["Board Created"] = rng.randint(3, 20)
            if index % 5 != 0 or every_step:
                firsts["Teammate Invited"] = rng.randint(5, 15)
        else:
            firsts = {k: d + rng.randint(0, 5) for k, d in firsts.items() if rng.random() < 0.5}
            if index % 3 == 0:
                firsts["Invoice Sent"] = rng.randint(5, 15)
        account.add(start, "User Signed Up")
        _use_day(account, start, rng)
    for offset in range((LAST_DAY - start).days + 1):
        day = start + timedelta(days=offset)
        account.add(day, NOISE)
        if rng.random() < 0.1:
            account.add(day, "Email Opened")
        for event, first in firsts.items():
            if offset == first:
                account.add(day, event)
                _use_day(account, day, rng)
        using = (offset < 21 and rng.random() < 0.7) if account.kind == "gone" else day.weekday() < 5
        if not using or rng.random() < 0.1:
            continue
        _use_day(account, day, rng)
        invoicing = account.kind == "old" or ("Invoice Sent" in firsts and offset > firsts["Invoice Sent"])
        if invoicing and account.kind != "gone" and rng.random() < 0.5:
            account.add(day, "Invoice Sent", rng.randint(1, 5))
        if board_user and offset > firsts.get("Board Created", -1) and rng.random() < 0.12:
            account.add(day, "Board Created")
        if (account.kind == "old" or "Teammate Invited" in firsts) and rng.random() < 0.03:
            account.add(day, "Teammate Invited")
        if account.kind == "old" and index < 3 and rng.random() < 0.025:
            account.add(day, "Report Exported")
        if account.kind == "old" and rng.random() < 0.02:
            account.add(day, ODD_NAMES[index % len(ODD_NAMES)])


def seed_history(
    engine: Engine, *, seed: int = 5, churn_recorded: int = 5, accounts: int | None = None, every_step: bool = False
) -> None:
    """Store the book (or its first `accounts` accounts); `churn_recorded` gone accounts get a churned renewal;
    with `every_step` every account that stayed also creates a board and invites a teammate."""
    book = _book(seed, every_step)[:accounts]
    now = _at(LAST_DAY)
    rollups: list[dict[str, Any]] = []
    firsts: list[dict[str, Any]] = []
    for account in book:
        seen: dict[str, date] = {}
        for day in sorted(set(account.days) | set(account.pages)):
            counts = account.days.get(day, {})
            pages = account.pages.get(day, 0)
            rollups.append({
                "account_id": account.account_id, "day": day, "events": sum(counts.values()) + pages,
                "page_views": pages, "active_users": 1, "event_counts": counts, "user_counts": {"u": 1},
                "tickets_opened": 0, "computed_at": now,
            })  # fmt: skip
            for event in counts:
                seen.setdefault(event, day)
        firsts += [{"account_id": account.account_id, "event": e, "first_day": d} for e, d in seen.items()]
    renewals = []
    gone = [a for a in book if a.kind == "gone"][:churn_recorded]
    won = [a for a in book if a.kind == "old"][:3] + [a for a in book if a.kind == "stayed"][:2]
    for account, status in [(a, "churned") for a in gone] + [(a, "won") for a in won]:
        renewals.append({
            "source": "import", "external_id": f"{account.account_id}:x", "account_id": account.account_id,
            "close_date": LAST_DAY - timedelta(days=10), "status": status, "updated_at": now,
        })  # fmt: skip
    with engine.begin() as connection:
        connection.execute(Account.__table__.insert(), [
            {"account_id": a.account_id, "name": a.account_id, "signed_up_at": _at(a.signed_up), "traits": {},
             "first_seen_at": _at(a.start), "updated_at": now}
            for a in book
        ])  # fmt: skip
        connection.execute(DailyRollup.__table__.insert(), rollups)
        connection.execute(AccountEventFirst.__table__.insert(), firsts)
        if renewals:
            connection.execute(Renewal.__table__.insert(), renewals)
