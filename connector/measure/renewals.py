"""Renewal outcomes as measurement reads them: past renewals and churns from a CSV
(`healthloop outcomes import`), and the stored renewals of every source as scoring facts.

A CSV row is keyed by (import, account:date), so importing a file twice stores nothing twice.
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


@dataclass(frozen=True)
class OutcomeRow:
    account_id: str
    day: date
    outcome: str


def read_outcome_csv(path: Path) -> list[OutcomeRow]:
    """Rows of `account_id,date,outcome` (won / lost / churned); a bad row names its line and the fix."""
    rows: list[OutcomeRow] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"account_id", "date", "outcome"} - set(reader.fieldnames or ())
        if missing:
            raise InputError("bad_csv", f"{path}: the header needs account_id,date,outcome (missing {sorted(missing)})")
        for number, row in enumerate(reader, start=2):
            account, outcome = (row["account_id"] or "").strip(), (row["outcome"] or "").strip().lower()
            try:
                day = date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise InputError("bad_csv", f"{path}:{number}: date must be YYYY-MM-DD, not {row['date']!r}") from None
            if not account:
                raise InputError("bad_csv", f"{path}:{number}: account_id is empty")
            if outcome not in OUTCOMES:
                raise InputError("bad_csv", f"{path}:{number}: outcome must be won, lost or churned, not {outcome!r}")
            rows.append(OutcomeRow(account, day, outcome))
    return rows


def import_outcomes(session: Session, rows: Sequence[OutcomeRow], now: datetime) -> int:
    """Store imported outcomes (a row already imported is left alone); returns how many were new."""
    return insert_ignore_many(
        session,
        Renewal.__table__,
        ("source", "external_id", "account_id", "close_date", "status", "updated_at"),
        [("import", f"{r.account_id}:{r.day.isoformat()}", r.account_id, r.day, r.outcome, now) for r in rows],
    )


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
