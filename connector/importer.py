"""`healthloop import FILE`: backfill history from JSON Lines of Segment-spec messages.

Each line goes through the same validation as the tracking API and is stored idempotently on
its message id, so re-running an import (or importing overlapping exports) stores nothing twice.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from connector.errors import InputError
from connector.events import SegmentCall
from connector.ingest import store_calls
from connector.runtime import Runtime
from connector.traits import account_fields


@dataclass
class ImportReport:
    lines: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield number, line


def _parse_line(rt: Runtime, line: bytes, now: datetime) -> SegmentCall:
    from webhooks.body import parse_json_bytes
    from webhooks.segment.messages import MAX_EVENT_BYTES, parse_call

    if len(line) > MAX_EVENT_BYTES:
        raise InputError("payload_too_large", f"the message is larger than {MAX_EVENT_BYTES // 1024} KB")
    data: Any = parse_json_bytes(line)
    call = parse_call(data, received_at=now, max_future=timedelta(seconds=rt.settings.max_future_seconds))
    if call.type == "group":
        account_fields(call.traits, rt.config.account_traits)
    return call


def import_file(rt: Runtime, path: Path, *, batch_size: int = 1000, show_progress: bool = True) -> ImportReport:
    """Validate and store every line of `path`; bad lines are reported by line number, not fatal."""
    report = ImportReport()
    pending: list[SegmentCall] = []

    def flush() -> None:
        if pending:
            with rt.sessions.begin() as session:
                result = store_calls(session, pending, rt.config, datetime.now(UTC), rt.known)
            rt.known.remember(result)
            report.stored += result.stored
            report.duplicates += result.duplicates
            report.accounts |= result.accounts
            pending.clear()

    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[lines]} lines"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not show_progress, transient=False) as progress, _open(path) as handle:
        raw_size = path.stat().st_size
        task = progress.add_task("import", total=raw_size, lines=0)
        for number, line in _lines(handle):
            report.lines += 1
            try:
                pending.append(_parse_line(rt, line, datetime.now(UTC)))
            except InputError as exc:
                report.rejected.append((number, exc.code, exc.detail))
            if len(pending) >= batch_size:
                flush()
                position = handle.fileobj.tell() if isinstance(handle, gzip.GzipFile) else handle.tell()
                progress.update(task, completed=position, lines=report.lines)
        flush()
        progress.update(task, completed=raw_size, lines=report.lines)
    rt.queue.request_rescore(report.accounts)
    return report


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=1000, show_default=True, help="Messages per transaction.")
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
def import_command(file: Path, batch_size: int, no_progress: bool) -> None:
    """Load FILE: JSON Lines of Segment-spec messages (a warehouse export; .gz accepted)."""
    from connector.runtime import build_runtime, install
    from connector.work_queue import InProcessWorkQueue

    rt = install(build_runtime(queue_mode="auto"))
    report = import_file(rt, file, batch_size=batch_size, show_progress=not no_progress)
    click.echo(
        f"{report.lines} line(s): {report.stored} stored, {report.duplicates} already stored, "
        f"{len(report.rejected)} rejected; {len(report.accounts)} account(s) queued for rescoring"
    )
    for number, code, detail in report.rejected[:20]:
        click.echo(f"  line {number}: {code}: {detail}", err=True)
    if len(report.rejected) > 20:
        click.echo(f"  ... and {len(report.rejected) - 20} more", err=True)
    if isinstance(rt.queue, InProcessWorkQueue):
        click.echo("no Redis reachable: rescoring in this process...", err=True)
        rt.queue.join()
    if report.rejected and not report.stored and not report.duplicates:
        raise SystemExit(1)
