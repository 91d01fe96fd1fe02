"""Backfill history from JSON Lines of Segment-spec messages (a warehouse export, `.gz` accepted).

Each line is validated like a `/v1/*` call and stored through the same path; an event is unique on
its message id, so re-running an import (or importing overlapping exports) stores nothing twice.
The `healthloop import` command (connector/cli/importer.py) draws the progress and queues the rescore.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

from connector.config.yaml_config import Config
from connector.errors import InputError
from connector.events import SegmentCall
from connector.ingest.json_text import parse_json_bytes
from connector.ingest.product_events import KnownRows, store_calls
from connector.ingest.segment import MAX_EVENT_BYTES, parse_call
from connector.ingest.traits import account_fields

Progress = Callable[[int, int], None]
"""Called with (bytes of the file read so far, lines read so far)."""


@dataclass
class ImportReport:
    lines: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    """Accounts with new stored work: the caller queues their rescore."""


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield number, line


def _parse_line(config: Config, line: bytes, now: datetime, max_future: timedelta) -> SegmentCall:
    if len(line) > MAX_EVENT_BYTES:
        raise InputError("payload_too_large", f"the message is larger than {MAX_EVENT_BYTES // 1024} KB")
    data: Any = parse_json_bytes(line)
    call = parse_call(data, received_at=now, max_future=max_future)
    if call.type == "group":
        account_fields(call.traits, config.account_traits)
    return call


def import_file(
    sessions: sessionmaker[Session],
    config: Config,
    path: Path,
    *,
    max_future: timedelta,
    known: KnownRows | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and store every line of `path`; bad lines are reported by line number, not fatal."""
    report = ImportReport()
    known = known if known is not None else KnownRows()
    pending: list[SegmentCall] = []

    def flush() -> None:
        if pending:
            with sessions.begin() as session:
                result = store_calls(session, pending, config, datetime.now(UTC), known)
            known.remember(result)
            report.stored += result.stored
            report.duplicates += result.duplicates
            report.accounts |= result.accounts
            pending.clear()

    with _open(path) as handle:
        for number, line in _lines(handle):
            report.lines += 1
            try:
                pending.append(_parse_line(config, line, datetime.now(UTC), max_future))
            except InputError as exc:
                report.rejected.append((number, exc.code, exc.detail))
            if len(pending) >= batch_size:
                flush()
                if progress is not None:
                    position = handle.fileobj.tell() if isinstance(handle, gzip.GzipFile) else handle.tell()
                    progress(position, report.lines)
        flush()
    if progress is not None:
        progress(path.stat().st_size, report.lines)
    return report
