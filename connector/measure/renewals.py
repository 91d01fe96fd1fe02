"""Renewal outcomes as measurement reads them: past renewals and churns from a CSV
(`healthloop outcomes import`), and the stored renewals of every source as scoring facts.

A CSV row is keyed by (import, account:date), so importing a file twice stores nothing twice. The
words people use (renewed, closed won, cancelled, ...) map onto the stored won / lost / churned.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.errors import InputError
from connector.store.bulk import insert_ignore_many
from connector.store.models import Renewal
from connector.store.sql import chunks, in_list
from scoring.outcomes import RenewalFact

OUTCOMES = ("won", "lost", "churned")
STATUSES = ("open", *OUTCOMES)
OUTCOME_WORDS = {
    "won": "won",
    "renewed": "won",
    "closed won": "won",
    "expanded": "won",
    "lost": "lost",
    "closed lost": "lost",
    "churned": "churned",
    "cancelled": "churned",
    "canceled": "churned",
}
"""What people write in an outcomes file -> the stored status (won, lost or churned)."""
ACCEPTED = "won, renewed, closed won, expanded (won); lost, closed lost (lost); churned, cancelled, canceled (churned)"


@dataclass(frozen=True)
class OutcomeRow:
    account_id: str
    day: date
    outcome: str


@dataclass
class OutcomeFile:
    """An outcomes CSV read and checked: one row per account and date."""

    rows: list[OutcomeRow]
    lines: int
    """Data rows in the file (blank lines aside)."""
    duplicates: int
    """Rows naming an account and date an earlier row of the file already named, with the same outcome."""


@dataclass(frozen=True)
class OutcomeImport:
    """What importing an outcomes file stored: `new + already_stored` = the file's distinct rows."""

    new: int
    already_stored: int
    kept_differing: list[tuple[OutcomeRow, str]]
    """Rows already stored with another outcome, which was kept: (the file's row, the stored status)."""


def outcome_status(word: str) -> str | None:
    """The stored status for an outcome word (any case, extra spaces, `_` or `-` between words), or None."""
    return OUTCOME_WORDS.get(" ".join(word.replace("_", " ").replace("-", " ").lower().split()))


def read_outcome_file(path: Path) -> OutcomeFile:
    """Rows of `account_id,date,outcome`; a bad row names its line and the fix."""
    rows: dict[tuple[str, date], tuple[int, OutcomeRow]] = {}
    lines = duplicates = 0
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in ("account_id", "date", "outcome") if name not in header]
        if missing:
            raise InputError("bad_csv", f"{path}: the header needs account_id,date,outcome (missing {missing})")
        columns = [header.index(name) for name in ("account_id", "date", "outcome")]
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            lines += 1
            account, day_text, word = (values[i].strip() if i < len(values) else "" for i in columns)
            if not account:
                raise InputError("bad_csv", f"{path}:{number}: account_id is empty")
            row = OutcomeRow(account, _day(path, number, day_text), _status(path, number, word))
            earlier = rows.get((row.account_id, row.day))
            if earlier is None:
                rows[(row.account_id, row.day)] = (number, row)
            elif earlier[1].outcome == row.outcome:
                duplicates += 1
            else:
                raise InputError(
                    "bad_csv",
                    f"{path}:{number}: {account} on {row.day} is {row.outcome} here but {earlier[1].outcome} on "
                    f"line {earlier[0]}; keep the row that is right and delete the other",
                )
    return OutcomeFile([row for _, row in rows.values()], lines, duplicates)


def _day(path: Path, number: int, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("bad_csv", f"{path}:{number}: date must be YYYY-MM-DD, not {text!r}") from None


def _status(path: Path, number: int, word: str) -> str:
    status = outcome_status(word)
    if status is None:
        raise InputError("bad_csv", f"{path}:{number}: outcome {word!r} is not one we know; use {ACCEPTED}")
    return status


def read_outcome_csv(path: Path) -> list[OutcomeRow]:
    """The distinct rows of an outcomes CSV (see `read_outcome_file`)."""
    return read_outcome_file(path).rows


def _key(row: OutcomeRow) -> str:
    return f"{row.account_id}:{row.day.isoformat()}"


def import_outcomes(session: Session, rows: Sequence[OutcomeRow], now: datetime) -> OutcomeImport:
    """Store imported outcomes; a row already imported is left as stored (and reported when it differs)."""
    stored: dict[str, str] = {}
    for chunk in chunks([_key(row) for row in rows]):
        stored |= dict(
            session.execute(
                select(Renewal.external_id, Renewal.status).where(
                    Renewal.source == "import", in_list(session, Renewal.external_id, chunk)
                )
            ).all()
        )
    fresh = [row for row in rows if _key(row) not in stored]
    new = insert_ignore_many(
        session,
        Renewal.__table__,
        ("source", "external_id", "account_id", "close_date", "status", "updated_at"),
        [("import", _key(r), r.account_id, r.day, r.outcome, now) for r in fresh],
    )
    differing = [(row, stored[_key(row)]) for row in rows if _key(row) in stored and stored[_key(row)] != row.outcome]
    return OutcomeImport(new, len(rows) - new, differing)


def known_losses(session: Session) -> dict[str, tuple[date, str]]:
    """account_id -> (close date, outcome) of its latest lost or churned renewal, from every source."""
    losses: dict[str, tuple[date, str]] = {}
    for account_id, day, status in session.execute(
        select(Renewal.account_id, Renewal.close_date, Renewal.status).where(Renewal.status.in_(("lost", "churned")))
    ):
        if account_id not in losses or day > losses[account_id][0]:
            losses[account_id] = (day, status)
    return losses


def stored_renewals(session: Session, account_ids: Sequence[str] | None = None) -> list[RenewalFact]:
    """Stored renewals (of `account_ids`, or all) as scoring sees them: won True, lost or churned False, open None."""
    columns = select(Renewal.account_id, Renewal.close_date, Renewal.status)
    queries = [columns] if account_ids is None else [
        columns.where(in_list(session, Renewal.account_id, chunk)) for chunk in chunks(list(account_ids))
    ]  # fmt: skip
    return [
        RenewalFact(account_id, close_date, None if status == "open" else status == "won")
        for query in queries
        for account_id, close_date, status in session.execute(query)
    ]
