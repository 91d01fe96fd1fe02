"""`healthloop import FILE`: backfill history from a JSON Lines export of Segment-spec messages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from connector.ingest.importer import import_file
from connector.jobs.runtime import build_runtime, install
from connector.jobs.work_queue import InProcessWorkQueue


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=1000, show_default=True, help="Messages per transaction.")
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
def import_command(file: Path, batch_size: int, no_progress: bool) -> None:
    """Load FILE: JSON Lines of Segment-spec messages (a warehouse export; .gz accepted)."""
    rt = install(build_runtime(queue_mode="auto"))
    columns = (
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[lines]} lines"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=no_progress, transient=False) as progress:
        task = progress.add_task("import", total=file.stat().st_size, lines=0)
        report = import_file(
            rt.sessions,
            rt.config,
            file,
            max_future=timedelta(seconds=rt.settings.max_future_seconds),
            known=rt.known,
            batch_size=batch_size,
            progress=lambda position, lines: progress.update(task, completed=position, lines=lines),
        )
    rt.queue.request_rescore(report.accounts)
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
