"""Alert history as intervals: an alert is open on the days `fired_on <= day < cleared_on` (no
`cleared_on`: still open), and one trigger of one account never has two alerts open on the same day.

Live scoring only ever adds today's changes. A backfill replays past days, possibly under alerts that
later scoring already stored (an import's in-process rescore opened today's alerts, then the
backfill walks the same silence from last month). So every question is asked *as of a day*: what
was open on that day, what clears on it, and an alert fired on a past day runs until the next stored
alert of the same trigger begins. `rewind` hands a backfill's range back to the replay, and `join`
makes one alert of two that touch (one problem, one alert), so after a backfill the history is the
one a clean replay would have stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from connector.store.models import Alert
from connector.store.sql import chunks, in_list, insert_ignore
from scoring.model import Assessment, OpenAlert

ALERTS = Alert.__table__.c


def open_on(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """The alerts open on `day`: fired on or before it, not cleared by then."""
    return and_(ALERTS.fired_on <= day, or_(ALERTS.cleared_on.is_(None), ALERTS.cleared_on > day))


def open_alerts_on(session: Session, account_ids: Sequence[str], day: date) -> dict[str, dict[str, OpenAlert]]:
    """account_id -> trigger_id -> the alert open on `day` (what scoring that day starts from)."""
    found: dict[str, dict[str, OpenAlert]] = {}
    for account_id, trigger_id, fired_on, evidence in session.execute(
        select(ALERTS.account_id, ALERTS.trigger_id, ALERTS.fired_on, ALERTS.evidence).where(
            in_list(session, ALERTS.account_id, account_ids), open_on(day)
        )
    ):
        found.setdefault(account_id, {})[trigger_id] = OpenAlert(trigger_id, fired_on, evidence)
    return found


def next_starts(session: Session, account_ids: Sequence[str], after: date) -> dict[tuple[str, str], date]:
    """(account_id, trigger_id) -> the first day a stored alert of it fired after `after`."""
    starts: dict[tuple[str, str], date] = {}
    for chunk in chunks(list(account_ids)):
        for account_id, trigger_id, first in session.execute(
            select(ALERTS.account_id, ALERTS.trigger_id, func.min(ALERTS.fired_on))
            .where(in_list(session, ALERTS.account_id, chunk), ALERTS.fired_on > after)
            .group_by(ALERTS.account_id, ALERTS.trigger_id)
        ):
            starts[(account_id, trigger_id)] = first
    return starts


def store_alert_changes(session: Session, assessments: Sequence[Assessment], decided_at: datetime) -> None:
    """Clear the alerts open on each assessment's day that are no longer true; open the newly fired ones.

    A fired alert runs until the next stored alert of its trigger begins (none: open), so a replayed
    past day never opens a second alert beside one that later scoring opened.
    """
    clearing = [{"a": a.account_id, "t": t, "d": a.as_of} for a in assessments for t in a.cleared]
    if clearing:
        day = bindparam("d")
        session.connection().execute(
            update(Alert.__table__)
            .where(ALERTS.account_id == bindparam("a"), ALERTS.trigger_id == bindparam("t"), open_on(day))
            .values(cleared_on=day),
            clearing,
        )
    firing = [a for a in assessments if a.fired]
    if not firing:
        return
    later: dict[tuple[str, str], date] = {}
    for as_of in {a.as_of for a in firing}:
        later |= next_starts(session, [a.account_id for a in firing if a.as_of == as_of], as_of)
    session.execute(
        insert_ignore(session, Alert.__table__),
        [
            {
                "account_id": a.account_id,
                "trigger_id": hit.trigger_id,
                "fired_on": a.as_of,
                "fired_at": decided_at,
                "cleared_on": later.get((a.account_id, hit.trigger_id)),
                "evidence": dict(hit.evidence),
                "explanation": hit.explanation,
                "config_version": a.config_version,
            }
            for a in firing
            for hit in a.fired
        ],
    )


def rewind(session: Session, account_ids: Sequence[str], first: date, last: date) -> int:
    """Hand the days `first..last` back to a replay: forget the alerts fired in them, and reopen an
    alert that cleared in them until the next stored alert of its trigger after `last`.
    Returns how many alerts were forgotten."""
    forgotten = 0
    for chunk in chunks(list(account_ids)):
        forgotten += session.execute(
            delete(Alert.__table__).where(
                in_list(session, ALERTS.account_id, chunk), ALERTS.fired_on >= first, ALERTS.fired_on <= last
            )
        ).rowcount
        reopened = session.execute(
            select(ALERTS.id, ALERTS.account_id, ALERTS.trigger_id).where(
                in_list(session, ALERTS.account_id, chunk),
                ALERTS.fired_on < first,
                ALERTS.cleared_on >= first,
                ALERTS.cleared_on <= last,
            )
        ).all()
        if reopened:
            later = next_starts(session, sorted({account_id for _, account_id, _ in reopened}), last)
            session.connection().execute(
                update(Alert.__table__).where(ALERTS.id == bindparam("alert")).values(cleared_on=bindparam("until")),
                [{"alert": i, "until": later.get((account_id, trigger_id))} for i, account_id, trigger_id in reopened],
            )
    return forgotten


def join(session: Session, account_ids: Iterable[str]) -> int:
    """Make one alert of two of the same trigger where one clears on the day the next fires (the
    earlier one keeps its story and takes the later one's end). Returns how many were joined away."""
    joined = 0
    for chunk in chunks(sorted(set(account_ids))):
        rows = session.execute(
            select(ALERTS.id, ALERTS.account_id, ALERTS.trigger_id, ALERTS.fired_on, ALERTS.cleared_on)
            .where(in_list(session, ALERTS.account_id, chunk))
            .order_by(ALERTS.account_id, ALERTS.trigger_id, ALERTS.fired_on)
        ).all()
        absorbed: list[int] = []
        ends: dict[int, date | None] = {}
        head = None
        for row in rows:
            same = head is not None and (head.account_id, head.trigger_id) == (row.account_id, row.trigger_id)
            if same and head is not None and ends[head.id] == row.fired_on:
                absorbed.append(row.id)
                ends[head.id] = row.cleared_on
            else:
                head = row
                ends[row.id] = row.cleared_on
        if not absorbed:
            continue
        original = {row.id: row.cleared_on for row in rows}
        moved = [{"alert": alert, "until": end} for alert, end in ends.items() if end != original[alert]]
        # Delete first: an absorbed alert may be the one open alert the unique index allows.
        session.execute(delete(Alert.__table__).where(ALERTS.id.in_(absorbed)))
        if moved:
            session.connection().execute(
                update(Alert.__table__).where(ALERTS.id == bindparam("alert")).values(cleared_on=bindparam("until")),
                moved,
            )
        joined += len(absorbed)
    return joined
