"""Insert-or-ignore (and update) of many rows in one driver call, for the hot paths.

SQLAlchemy's per-row parameter processing costs more CPU than the database does for the
two statements every tracking batch runs (events and the outbox). Here values are converted
once to what the driver takes natively, and sent as:

- PostgreSQL: one ``INSERT ... SELECT * FROM unnest(%s::type[], ...) ON CONFLICT DO NOTHING``
  (a single short statement with one array per column, whatever the row count);
- SQLite: one ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING``.

Stored values are exactly what the ORM would store (see `tests/integration/test_bulk.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Date, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from connector.store.models import UTCDateTime

Converter = Callable[[Any], Any]


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_datetime(value: datetime | None) -> str | None:
    # The storage format SQLAlchemy's SQLite DATETIME uses (microseconds always present), so
    # string comparison and ORM reads behave the same for rows written either way.
    if value is None:
        return None
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _converter(column_type: Any, dialect: str) -> Converter | None:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime if dialect == "sqlite" else _naive_utc
    if isinstance(column_type, JSON) or getattr(column_type, "_type_affinity", None) is JSON:
        return _json_text
    if isinstance(column_type, Date) and dialect == "sqlite":
        return _date_text
    return None


def insert_ignore_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fill_null: tuple[str, str] | None = None,
    replace: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> int:
    """Insert `rows` (tuples in `columns` order), skipping any that hit a unique constraint.

    With `fill_null=(key, column)`, a row that conflicts on `key` instead sets `column` from the
    new row where the stored one is still NULL. Returns how many rows were inserted or filled.
    """
    if not rows:
        return 0
    # Convert before taking a connection: on SQLite the first statement takes the write lock.
    dialect = session.get_bind().dialect
    converters = [_memoized(_converter(table.c[name].type, dialect.name)) for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)
    if dialect.name == "postgresql":
        arrays = [list(values) for values in zip(*rows, strict=True)]
        for index, convert in enumerate(converters):
            if convert is not None:
                arrays[index] = [convert(value) for value in arrays[index]]
        casts = ", ".join(f"%b::{_pg_array_type(table.c[name].type, dialect)}" for name in columns)
        conflict = _on_conflict(table, fill_null, replace)
        sql = f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({casts}) {conflict}'
        return session.connection().exec_driver_sql(sql, tuple(arrays)).rowcount
    converting = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    converted: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(row)
        for index, convert in converting:
            values[index] = convert(values[index])
        converted.append(tuple(values))
    placeholders = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders}) {_on_conflict(table, fill_null, replace)}'
    return session.connection().exec_driver_sql(sql, converted).rowcount


def update_many(
    session: Session, table: Table, keys: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Set `columns` on the rows identified by `keys`; each row is a tuple of key values then column values.

    PostgreSQL gets one ``UPDATE ... FROM unnest(...)`` whatever the row count; SQLite one executemany.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    names = [*keys, *columns]
    converters = [_memoized(_converter(table.c[name].type, dialect.name)) for name in names]
    converted = [list(values) for values in zip(*rows, strict=True)]
    for index, convert in enumerate(converters):
        if convert is not None:
            converted[index] = [convert(value) for value in converted[index]]
    if dialect.name == "postgresql":
        casts = ", ".join(f"%b::{_pg_array_type(table.c[name].type, dialect)}" for name in names)
        aliases = ", ".join(f'"{name}"' for name in names)
        sets = ", ".join(f'"{name}" = v."{name}"' for name in columns)
        match = " AND ".join(f't."{key}" = v."{key}"' for key in keys)
        sql = f'UPDATE "{table.name}" AS t SET {sets} FROM unnest({casts}) AS v({aliases}) WHERE {match}'
        return session.connection().exec_driver_sql(sql, tuple(converted)).rowcount
    sets = ", ".join(f'"{name}" = ?' for name in columns)
    match = " AND ".join(f'"{key}" = ?' for key in keys)
    sql = f'UPDATE "{table.name}" SET {sets} WHERE {match}'
    ordered = [(*row[len(keys) :], *row[: len(keys)]) for row in zip(*converted, strict=True)]
    return session.connection().exec_driver_sql(sql, ordered).rowcount


def _memoized(convert: Converter | None) -> Converter | None:
    """Datetimes repeat within a batch (received_at, marked_at): convert each distinct value once."""
    if convert is None or convert is _json_text:
        return convert
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = convert(value)
            return result

    return cached


def upsert_many(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], keys: Sequence[str]
) -> int:
    """Insert `rows`, or overwrite every non-key column of the row with the same `keys`."""
    return insert_ignore_many(session, table, columns, rows, replace=(tuple(keys), tuple(columns)))


def _on_conflict(
    table: Table, fill_null: tuple[str, str] | None, replace: tuple[tuple[str, ...], tuple[str, ...]] | None = None
) -> str:
    if replace is not None:
        keys, columns = replace
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in keys)
        quoted = ", ".join(f'"{key}"' for key in keys)
        return f"ON CONFLICT ({quoted}) DO UPDATE SET {updates}"
    if fill_null is None:
        return "ON CONFLICT DO NOTHING"
    key, column = fill_null
    return (
        f'ON CONFLICT ("{key}") DO UPDATE SET "{column}" = excluded."{column}" WHERE "{table.name}"."{column}" IS NULL'
    )


def _pg_array_type(column_type: Any, dialect: Any) -> str:
    if isinstance(column_type, JSON) or getattr(column_type, "_type_affinity", None) is JSON:
        return "jsonb[]" if isinstance(column_type.dialect_impl(dialect), JSONB) else "json[]"
    if isinstance(column_type, UTCDateTime):
        return "timestamp[]"
    return column_type.compile(dialect=dialect).split("(")[0].lower() + "[]"
