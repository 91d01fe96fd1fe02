"""The few dialect-specific statements we need: insert-or-ignore, upsert, membership in a list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignore(session: Session, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (any unique constraint)."""
    return dialect_insert(session, table).on_conflict_do_nothing()


def upsert(session: Session, table: Table, keys: Sequence[str], update: Iterable[str]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET each column in `update` to the new value."""
    statement = dialect_insert(session, table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={column: statement.excluded[column] for column in update}
    )


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """Slices of at most `size` items (keeps IN lists under every driver's parameter limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_list(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`: one parameter instead of hundreds,
    so the statement text is the same for every batch (the driver prepares it once)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
