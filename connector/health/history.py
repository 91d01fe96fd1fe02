"""Load accounts' stored history once, then cut an `AccountTimeline` for any day from memory.

One account or thousands at a time (chunked `IN` queries), so a backtest, a backfill or a full
rescore reads each rollup row once instead of once per scored day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.store.models import Account, AccountEventFirst, AccountUser, Ticket
from connector.store.sql import chunks, in_list
from scoring.model import AccountTimeline, DayActivity, TicketFact
from scoring.playbook import silence_horizon
from scoring.rules import ScoringRules

_last_lookback: tuple[ScoringRules, int] | None = None


def lookback_days(rules: ScoringRules) -> int:
    """How many days of rollups every signal and trigger together need (remembered for the last rules
    object seen: a replay cuts a timeline per account-day)."""
    global _last_lookback
    remembered = _last_lookback
    if remembered is not None and remembered[0] is rules:
        return remembered[1]
    s, t = rules.signals, rules.triggers
    days = 1 + max(
        s.activity_window_days + s.baseline_window_days,
        s.engagement_window_days,
        s.recency_zero_after_days,
        t.inactivity_max_days + 1,
        2 * t.login_decline_window_days,
        t.seats_idle_days,
        t.ticket_cluster_days,
        rules.alerts.inactive_days,
        silence_horizon(rules),
    )
    _last_lookback = (rules, days)
    return days


def users_lookback_days(rules: ScoringRules) -> int:
    """How many days of per-user counts scoring needs (engagement and idle seats; the rest counts events)."""
    return 1 + max(rules.signals.engagement_window_days, rules.triggers.seats_idle_days)


class _DaysSlice(Mapping[date, DayActivity]):
    """Days `keys[low:high]` (ascending) and their rollups, as a read-only mapping built on first use."""

    __slots__ = ("_built", "_high", "_keys", "_low", "_values")

    def __init__(self, keys: list[date], values: list[DayActivity], low: int, high: int) -> None:
        self._keys, self._values, self._low, self._high = keys, values, low, high
        self._built: dict[date, DayActivity] | None = None

    def _dict(self) -> dict[date, DayActivity]:
        if self._built is None:
            low, high = self._low, self._high
            self._built = dict(zip(self._keys[low:high], self._values[low:high], strict=True))
        return self._built

    def __getitem__(self, day: date) -> DayActivity:
        return self._dict()[day]

    def __iter__(self) -> Iterator[date]:
        return iter(self._dict())

    def __len__(self) -> int:
        return max(0, self._high - self._low)

    def __repr__(self) -> str:
        return repr(self._dict())


@dataclass
class AccountHistory:
    """What is stored about one account between two days."""

    account_id: str
    name: str | None
    licensed_seats: int | None
    signed_up_at: datetime | None
    known_users: int = 0
    plan: str | None = None
    days: dict[date, DayActivity] = field(default_factory=dict)
    first_seen: dict[str, date] = field(default_factory=dict)
    tickets: list[TicketFact] = field(default_factory=list)
    _ordered: tuple[list[date], list[DayActivity]] | None = field(default=None, repr=False, compare=False)
    _firsts: tuple[list[date], dict[tuple[int, int], tuple[dict[str, date], date | None, ScoringRules]]] | None = field(
        default=None, repr=False, compare=False
    )

    def _days_between(self, after: date, end: date) -> Mapping[date, DayActivity]:
        """The rollups of the days `after < day <= end`: a slice of the days in order, made a dict only
        when read (a replay reads its days off a `DaySeries` instead)."""
        if self._ordered is None or len(self._ordered[0]) != len(self.days):
            keys = sorted(self.days)
            self._ordered = (keys, [self.days[day] for day in keys])
        keys, values = self._ordered
        return _DaysSlice(keys, values, bisect_right(keys, after), bisect_right(keys, end))

    def timeline(self, as_of: date, rules: ScoringRules, through: date | None = None) -> AccountTimeline:
        """The account as scoring sees it at the end of `as_of`: nothing later leaks in (nothing after
        `through` either, when given)."""
        start = as_of - timedelta(days=lookback_days(rules))
        end = as_of if through is None else min(as_of, through)
        firsts, signed_up_on = self._known_by(end, rules)
        return AccountTimeline(
            account_id=self.account_id,
            as_of=as_of,
            days=self._days_between(start, end),
            first_seen=firsts,
            name=self.name,
            licensed_seats=self.licensed_seats,
            signed_up_on=signed_up_on,
            known_users=self.known_users,
            tickets=tuple(t for t in self.tickets if start < t.opened_on <= end) if self.tickets else (),
            plan=self.plan,
        )

    def _known_by(self, end: date, rules: ScoringRules) -> tuple[dict[str, date], date | None]:
        """The events first seen by `end` and the signup day they give. The same objects for every
        day that knows the same events (a replay asks once per day; the events change rarely)."""
        if self._firsts is None or len(self._firsts[0]) != len(self.first_seen):
            self._firsts = (sorted(self.first_seen.values()), {})
        ordered, known = self._firsts
        key = (bisect_right(ordered, end), id(rules))
        found = known.get(key)
        if found is None or found[2] is not rules:
            firsts = {event: day for event, day in self.first_seen.items() if day <= end}
            found = known[key] = (firsts, self._signed_up_on(firsts, rules), rules)
        return found[0], found[1]

    def before(self, day: date, rules: ScoringRules) -> AccountTimeline:
        """The account on `day` as known at its start: only the days before it (what peers are ranked by)."""
        return self.timeline(day, rules, through=day - timedelta(days=1))

    def _signed_up_on(self, firsts: dict[str, date], rules: ScoringRules) -> date | None:
        if self.signed_up_at is not None:
            return self.signed_up_at.astimezone(UTC).date()
        signups = [firsts[event] for event in rules.events.signups if event in firsts]
        if signups:
            return min(signups)
        return min(firsts.values()) if firsts else None


def load_histories(
    session: Session,
    account_ids: Iterable[str],
    start: date,
    end: date,
    chunk: int = 500,
    *,
    users_from: date | None = None,
) -> dict[str, AccountHistory]:
    """Histories of `account_ids` with rollups and tickets for days in (start, end].

    With `users_from`, days on or before it come without their per-user counts (the largest part
    of a rollup), for callers that only score days whose user windows start after it.
    """
    histories: dict[str, AccountHistory] = {}
    for ids in chunks(sorted(set(account_ids)), chunk):
        _load_chunk(session, ids, start, end, users_from or start, histories)
    return histories


def _load_chunk(
    session: Session, ids: Sequence[str], start: date, end: date, users_from: date, out: dict[str, AccountHistory]
) -> None:
    for account_id, name, seats, signed_up, plan in session.execute(
        select(Account.account_id, Account.name, Account.licensed_seats, Account.signed_up_at, Account.plan).where(
            in_list(session, Account.account_id, ids)
        )
    ):
        out[account_id] = AccountHistory(account_id, name, seats, signed_up, plan=plan)
    for account_id, day, events, page_views, event_counts, user_counts, tickets in _rollup_rows(
        session, ids, start, end, users_from
    ):
        history = out.get(account_id)
        if history is not None:
            history.days[day] = DayActivity(day, events, page_views, event_counts, user_counts, tickets)
    for account_id, event, first_day in session.execute(
        select(AccountEventFirst.account_id, AccountEventFirst.event, AccountEventFirst.first_day).where(
            in_list(session, AccountEventFirst.account_id, ids), AccountEventFirst.first_day <= end
        )
    ):
        if account_id in out:
            out[account_id].first_seen[event] = first_day
    users: dict[str, int] = defaultdict(int)
    for account_id, count in session.execute(
        select(AccountUser.account_id, func.count())
        .where(in_list(session, AccountUser.account_id, ids))
        .group_by(AccountUser.account_id)
    ):
        users[account_id] = count
    for account_id, history in out.items():
        if account_id in users:
            history.known_users = users[account_id]
    opened = func.coalesce(Ticket.opened_at, Ticket.state_at)
    for account_id, ticket_id, when, category, tags, status, subject in session.execute(
        select(
            Ticket.account_id, Ticket.external_id, opened, Ticket.category, Ticket.tags, Ticket.status, Ticket.subject
        ).where(
            in_list(session, Ticket.account_id, ids),
            opened >= datetime.combine(start, time.min, tzinfo=UTC),
            opened < datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
        )
    ):
        if account_id in out:
            out[account_id].tickets.append(
                TicketFact(ticket_id, when.astimezone(UTC).date(), category, tuple(tags or ()), status, subject)
            )


def _rollup_rows(session: Session, ids: Sequence[str], start: date, end: date, users_from: date) -> Iterable[tuple]:
    """Rollup rows as plain tuples with decoded JSON: the bulk of what scoring reads, so straight
    from the driver (SQLAlchemy's per-value type processing cost more than the query)."""
    columns = (
        "account_id, day, events, page_views, event_counts, "
        "CASE WHEN day > {users_from} THEN user_counts END, tickets_opened"
    )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sql = (
            f"SELECT {columns.format(users_from='%(users_from)s')} FROM daily_rollups "
            "WHERE account_id = ANY(%(ids)s) AND day > %(start)s AND day <= %(end)s"
        )
        parameters = {"ids": list(ids), "start": start, "end": end, "users_from": users_from}
        # The driver's own cursor and one fetchall: per-row fetching cost more than the query.
        with connection.connection.driver_connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            rows = cursor.fetchall()
        for row in rows:
            yield row[0], row[1], row[2], row[3], row[4] or {}, row[5] or {}, row[6]
        return
    marks = ", ".join("?" for _ in ids)
    sql = (
        f"SELECT {columns.format(users_from='?')} FROM daily_rollups "
        f"WHERE account_id IN ({marks}) AND day > ? AND day <= ?"
    )
    parse_day, loads = date.fromisoformat, orjson.loads
    for row in connection.exec_driver_sql(sql, (users_from.isoformat(), *ids, start.isoformat(), end.isoformat())):
        yield row[0], parse_day(row[1]), row[2], row[3], loads(row[4] or "{}"), loads(row[5] or "{}"), row[6]
