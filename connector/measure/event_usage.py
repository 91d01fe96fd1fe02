"""What `config suggest` reads from storage: per account, which events it used, on which days, and how it ended.

One pass over the daily rollups (event names and page views only; the per-user counts are not
needed), the first-seen table, the accounts' sign-up times and the renewals. Each account is kept
as a few counters, not as its days, so a large history fits in memory.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.measure.event_names import non_use_reason
from connector.measure.renewals import stored_renewals
from connector.store.models import Account, AccountEventFirst, DailyRollup

ROLLUP_ROWS_PER_FETCH = 2000
SMALL_DAY_EVENTS = 3
"""A day's event set is kept when it is this small: enough to see one event alone beside two background ones."""


@dataclass
class AccountUsage:
    """One account's use of each event, as counters over its stored days."""

    account_id: str
    signed_up_on: date | None = None
    firsts: dict[str, date] = field(default_factory=dict)
    """Event -> the first day it was seen (`account_event_firsts`)."""
    first_active: date | None = None
    """The earliest stored day with any track, page or screen call."""
    busy_days: int = 0
    """Days with a page/screen view or a track event whose name is not plainly non-use."""
    event_days: Counter[str] = field(default_factory=Counter)
    """Event -> on how many days it was seen."""
    small_days: Counter[frozenset[str]] = field(default_factory=Counter)
    """Days without page views and with at most `SMALL_DAY_EVENTS` track events (plain non-use aside), by the
    set of those events: what the background rule reads, also after it has set a background event aside."""
    last_seen: dict[str, date] = field(default_factory=dict)
    last_page_day: date | None = None
    window_events: dict[int, set[str]] = field(default_factory=dict)
    """Window index (0 = the last `window_days` stored days, 1 = the ones before...) -> events seen in it."""
    page_windows: set[int] = field(default_factory=set)
    renewal_won: bool | None = None
    """The latest closed renewal: True won, False lost or churned, None none stored."""

    @property
    def start(self) -> date | None:
        """The account's first day, as scoring counts it: sign-up, else the earliest thing seen."""
        days = [day for day in (self.signed_up_on, self.first_active, *self.firsts.values()) if day is not None]
        return min(days, default=None)


@dataclass
class UsageHistory:
    """Every account with stored activity, and the stored days' range."""

    accounts: dict[str, AccountUsage]
    first_day: date | None
    last_day: date | None
    window_days: int

    def age(self, usage: AccountUsage) -> int:
        """Days from the account's start to the last stored day."""
        assert self.last_day is not None and usage.start is not None
        return (self.last_day - usage.start).days

    def complete_windows(self, usage: AccountUsage) -> list[int]:
        """The account's windows that lie wholly inside the stored range and after its start."""
        if self.last_day is None or self.first_day is None or usage.start is None:
            return []
        earliest = max(self.first_day, usage.start)
        count = ((self.last_day - earliest).days + 1) // self.window_days
        return list(range(count))

    def observed_from_start(self, usage: AccountUsage) -> bool:
        """True when storage saw the account begin (its history does not start with the stored range)."""
        assert self.first_day is not None
        if usage.signed_up_on is not None:
            return usage.signed_up_on >= self.first_day
        return usage.start is not None and usage.start > self.first_day


@cache
def _plain_non_use(name: str) -> bool:
    return non_use_reason(name) is not None


def load_usage(session: Session, window_days: int) -> UsageHistory:
    """Read the stored history `config suggest` judges by (nothing is written)."""
    rollups = DailyRollup.__table__
    first_day, last_day = session.execute(
        select(func.min(rollups.c.day), func.max(rollups.c.day)).where(rollups.c.events > 0)
    ).one()
    accounts: dict[str, AccountUsage] = {}
    if last_day is None:
        return UsageHistory(accounts, None, None, window_days)
    rows = session.execute(
        select(rollups.c.account_id, rollups.c.day, rollups.c.event_counts, rollups.c.page_views)
        .where(rollups.c.events > 0)
        .execution_options(yield_per=ROLLUP_ROWS_PER_FETCH)
    )
    for account_id, day, counts, page_views in rows:
        usage = accounts.get(account_id) or accounts.setdefault(account_id, AccountUsage(account_id))
        # Interned: every row decodes its own copies of the same few names.
        _add_day(usage, day, {sys.intern(name) for name, n in (counts or {}).items() if n and n > 0}, page_views > 0,
                 (last_day - day).days // window_days)  # fmt: skip
    for account_id, event, first in session.execute(
        select(AccountEventFirst.account_id, AccountEventFirst.event, AccountEventFirst.first_day)
    ):
        if account_id in accounts:
            accounts[account_id].firsts[event] = first
    for account_id, signed_up_at in session.execute(select(Account.account_id, Account.signed_up_at)):
        if account_id in accounts and signed_up_at is not None:
            accounts[account_id].signed_up_on = signed_up_at.astimezone(UTC).date()
    latest: dict[str, tuple[date, bool]] = {}
    for renewal in stored_renewals(session):
        if renewal.won is not None and renewal.account_id in accounts:
            # The latest closed renewal decides; on one day a loss outweighs a win.
            key = (renewal.close_date, not renewal.won)
            latest[renewal.account_id] = max(latest.get(renewal.account_id, key), key)
    for account_id, (_, lost) in latest.items():
        accounts[account_id].renewal_won = not lost
    return UsageHistory(accounts, first_day, last_day, window_days)


def _add_day(usage: AccountUsage, day: date, events: set[str], pages: bool, window: int) -> None:
    if usage.first_active is None or day < usage.first_active:
        usage.first_active = day
    use = [name for name in events if not _plain_non_use(name)]
    if use or pages:
        usage.busy_days += 1
    if use and len(use) <= SMALL_DAY_EVENTS and not pages:
        usage.small_days[frozenset(use)] += 1
    for name in events:
        usage.event_days[name] += 1
        if name not in usage.last_seen or day > usage.last_seen[name]:
            usage.last_seen[name] = day
    usage.window_events.setdefault(window, set()).update(events)
    if pages:
        usage.page_windows.add(window)
        if usage.last_page_day is None or day > usage.last_page_day:
            usage.last_page_day = day
