"""Store validated Segment calls durably and exactly once, and mark which accounts have new work.

One transaction per batch, a handful of set-based statements whatever the batch size:
insert events (ignoring message ids already stored), make sure their accounts, users and
memberships exist, apply identify/group traits, and record (account, day) pairs in the
`dirty_account_days` outbox that the rescore job and the sweeper work from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.events import SegmentCall
from connector.ingest.ticket_matching import rematch_unmatched_tickets
from connector.ingest.traits import account_fields, merge_traits, user_fields
from connector.store.bulk import insert_ignore_many
from connector.store.models import Account, AccountAlias, AccountUser, DirtyAccountDay, Event, User
from connector.store.sql import chunks, upsert

EVENT_COLUMNS = (
    "message_id", "type", "event", "user_id", "anonymous_id", "account_id", "timestamp", "received_at", "payload",
)  # fmt: skip


@dataclass
class StoreResult:
    stored: int = 0
    duplicates: int = 0
    accounts: set[str] = field(default_factory=set)
    """Accounts that got new work (each needs one rescore)."""
    ensured: set[tuple[str, str | None]] = field(default_factory=set)
    """(account, user) rows this batch made sure exist; user None for an account alone."""


class KnownRows:
    """Per-process memory of account/user rows known to exist, so steady traffic skips no-op upserts.

    Only rows that are never deleted go here, and only after their transaction committed
    (`remember`). Memory is bounded: past `limit` entries it starts over.
    """

    def __init__(self, limit: int = 500_000) -> None:
        self._rows: set[tuple[str, str | None]] = set()
        self._limit = limit

    def __contains__(self, row: tuple[str, str | None]) -> bool:
        return row in self._rows

    def remember(self, result: StoreResult) -> None:
        if len(self._rows) + len(result.ensured) > self._limit:
            self._rows.clear()
        self._rows |= result.ensured


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def mark_dirty(session: Session, pairs: Iterable[tuple[str, date]], now: datetime) -> None:
    """Add (account, day) pairs to the work outbox (idempotent)."""
    rows = [(account, day, now) for account, day in sorted(set(pairs))]
    insert_ignore_many(session, DirtyAccountDay.__table__, ("account_id", "day", "marked_at"), rows)


def _accounts_of_users(session: Session, user_ids: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in chunks(sorted(user_ids)):
        rows = session.execute(
            select(User.user_id, User.account_id).where(User.user_id.in_(chunk), User.account_id.is_not(None))
        )
        found.update({user_id: account_id for user_id, account_id in rows})
    return found


def _attribute(session: Session, calls: Sequence[SegmentCall]) -> list[str | None]:
    """The account of each call: its own group id, else the account of its user."""
    grouped: dict[str, tuple[datetime, str]] = {}
    for call in calls:
        if call.type == "group" and call.user_id and call.account_id:
            seen = grouped.get(call.user_id)
            if seen is None or call.timestamp >= seen[0]:
                grouped[call.user_id] = (call.timestamp, call.account_id)
    lookup = {c.user_id for c in calls if c.account_id is None and c.user_id and c.user_id not in grouped}
    known = _accounts_of_users(session, lookup) if lookup else {}
    in_batch = {user_id: account for user_id, (_, account) in grouped.items()}
    return [
        call.account_id or (in_batch.get(call.user_id) or known.get(call.user_id) if call.user_id else None)
        for call in calls
    ]


def store_calls(
    session: Session,
    calls: Sequence[SegmentCall],
    config: Config,
    now: datetime,
    known: KnownRows | None = None,
) -> StoreResult:
    """Insert the calls not stored before and apply their side effects; the caller commits.

    With `known`, rows it lists are not upserted again; call `known.remember(result)` after commit.
    """
    known = known if known is not None else KnownRows(limit=0)
    unique: dict[str, SegmentCall] = {}
    for call in calls:
        unique.setdefault(call.message_id, call)
    batch = list(unique.values())
    if not batch:
        return StoreResult(duplicates=len(calls))
    accounts = _attribute(session, batch)
    rows = [
        (call.message_id, call.type, call.event, call.user_id, call.anonymous_id, account, call.timestamp, now,
         call.payload)
        for call, account in zip(batch, accounts, strict=True)
    ]  # fmt: skip
    # Side effects below are idempotent, so re-applying them for the duplicates of a partly new
    # batch is harmless; a wholly duplicate batch skips them.
    stored = insert_ignore_many(session, Event.__table__, EVENT_COLUMNS, rows)
    result = StoreResult(stored=stored, duplicates=len(calls) - stored)
    if not stored:
        return result
    new = list(zip(batch, accounts, strict=True))

    result.ensured = _ensure_accounts_and_users(session, new, now, known)
    dirty = {(account, _utc_day(call.timestamp)) for call, account in new if account}
    for call, _account in new:
        if call.type == "group":
            dirty |= _apply_group(session, call, config, now)
        elif call.type == "identify" and call.traits:
            _apply_identify(session, call, config)
    newly_attributed = {(c.user_id, a) for c, a in new if c.user_id and a and (a, c.user_id) not in known}
    dirty |= claim_unattributed_events(session, newly_attributed)
    mark_dirty(session, dirty, now)
    result.accounts = {account for account, _ in dirty}
    return result


def _ensure_accounts_and_users(
    session: Session, new: list[tuple[SegmentCall, str | None]], now: datetime, known: KnownRows
) -> set[tuple[str, str | None]]:
    ensured: set[tuple[str, str | None]] = set()
    for call, account in new:
        if account:
            ensured.add((account, None))
            if call.user_id:
                ensured.add((account, call.user_id))
    new = [(c, a) for c, a in new if not a or (a, c.user_id) not in known]
    account_ids = sorted({account for _, account in new if account and (account, None) not in known})
    insert_ignore_many(
        session,
        Account.__table__,
        ("account_id", "traits", "first_seen_at", "updated_at"),
        [(account, {}, now, now) for account in account_ids],
    )
    users: dict[str, str | None] = {}
    joined: dict[tuple[str, str], datetime] = {}
    for call, account in new:
        if call.user_id:
            users[call.user_id] = users.get(call.user_id) or account
            if account:
                key = (account, call.user_id)
                joined[key] = min(joined.get(key, call.timestamp), call.timestamp)
    # A user first seen without an account adopts the first account one of their calls names.
    insert_ignore_many(
        session,
        User.__table__,
        ("user_id", "account_id", "traits", "first_seen_at"),
        [(user, account, {}, now) for user, account in sorted(users.items())],
        fill_null=("user_id", "account_id"),
    )
    insert_ignore_many(
        session,
        AccountUser.__table__,
        ("account_id", "user_id", "joined_at"),
        [(account, user, joined_at) for (account, user), joined_at in sorted(joined.items())],
    )
    return ensured


def _apply_group(session: Session, call: SegmentCall, config: Config, now: datetime) -> set[tuple[str, date]]:
    """Merge account traits, attach the user, record organization aliases, rematch tickets."""
    assert call.account_id is not None
    account = session.execute(
        select(Account).where(Account.account_id == call.account_id).with_for_update()
    ).scalar_one()
    traits, traits_at = merge_traits(account.traits or {}, account.traits_at, call.traits, call.timestamp)
    fields = account_fields(traits, config.account_traits)
    before = (account.domain, dict(account.traits or {}))
    account.traits, account.traits_at, account.updated_at = traits, traits_at, now
    for name in fields.__slots__:
        setattr(account, name, getattr(fields, name))

    aliases = [
        {"source": source, "external_id": str(traits[trait]), "account_id": call.account_id}
        for source, trait in config.tickets.organization_traits.items()
        if traits.get(trait) not in (None, "")
    ]
    if aliases:
        session.execute(upsert(session, AccountAlias.__table__, ["source", "external_id"], ["account_id"]), aliases)

    if call.user_id:
        user = session.get(User, call.user_id, with_for_update=True)
        if user is not None and (user.account_at is None or call.timestamp >= user.account_at):
            user.account_id, user.account_at = call.account_id, call.timestamp
    session.flush()
    dirty: set[tuple[str, date]] = set()
    if (account.domain, account.traits) != before:
        dirty |= rematch_unmatched_tickets(session, account, config)
    return dirty


def _apply_identify(session: Session, call: SegmentCall, config: Config) -> None:
    user = session.get(User, call.user_id, with_for_update=True) if call.user_id else None
    if user is None:
        return
    traits, traits_at = merge_traits(user.traits or {}, user.traits_at, call.traits, call.timestamp)
    fields = user_fields(traits, config.user_traits)
    user.traits, user.traits_at = traits, traits_at
    user.email, user.name = fields.email, fields.name


def claim_unattributed_events(session: Session, pairs: set[tuple[str, str]]) -> set[tuple[str, date]]:
    """Give a user's earlier unattributed events to the account they now belong to."""
    if not pairs:
        return set()
    events = Event.__table__
    waiting: set[str] = set()
    for chunk in chunks(sorted({user for user, _ in pairs})):
        waiting |= set(
            session.execute(
                select(events.c.user_id).where(events.c.account_id.is_(None), events.c.user_id.in_(chunk)).distinct()
            ).scalars()
        )
    dirty: set[tuple[str, date]] = set()
    for user_id, account_id in sorted(pairs):
        if user_id not in waiting:
            continue
        waiting.discard(user_id)
        stamps = session.execute(
            update(events)
            .where(events.c.user_id == user_id, events.c.account_id.is_(None))
            .values(account_id=account_id)
            .returning(events.c.timestamp)
        ).scalars()
        dirty |= {(account_id, _utc_day(stamp)) for stamp in stamps}
    return dirty


def attribute_orphans(session: Session, now: datetime, limit: int = 10_000) -> set[str]:
    """Give unattributed events of users who now have an account to that account (sweeper backstop)."""
    events, users = Event.__table__, User.__table__
    pairs = session.execute(
        select(events.c.user_id, users.c.account_id)
        .join(users, users.c.user_id == events.c.user_id)
        .where(events.c.account_id.is_(None), users.c.account_id.is_not(None))
        .distinct()
        .limit(limit)
    ).all()
    dirty = claim_unattributed_events(session, {(user, account) for user, account in pairs})
    mark_dirty(session, dirty, now)
    return {account for account, _ in dirty}
