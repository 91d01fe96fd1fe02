"""`healthloop serve | worker | sweep`: run the web tier, the worker, or one sweep of the outbox now."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from connector.config.settings import load_settings
from connector.errors import ConfigurationError
from connector.jobs import tasks
from connector.jobs.runtime import build_runtime, install
from connector.jobs.worker import run_worker
from webhooks.serve import serve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Gunicorn worker processes.")
@click.option("--threads", default=1, show_default=True, type=int, help="Threads per worker.")
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the tracking API, ticket webhooks and health checks over HTTP."""
    settings = load_settings()  # fail fast, naming the bad variable, before forking workers
    serve(settings, host=host, port=port, workers=workers, threads=threads)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Sweep once, work until the queue is empty, then exit.")
@click.option("--cron/--no-cron", default=True, show_default=True, help="Also run the periodic sweeper.")
def worker_command(burst: bool, cron: bool) -> None:
    """Run an RQ worker (with RQ's scheduler) for rescore jobs, plus the periodic outbox sweeper."""
    try:
        run_worker(load_settings(), burst=burst, cron=cron)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("sweep")
@click.option("--grace", default=30, show_default=True, help="Only work older than this many seconds.")
def sweep_command(grace: int) -> None:
    """Enqueue a rescore for every account whose stored work was never processed."""
    rt = install(build_runtime(queue_mode="auto"))
    result = tasks.sweep_unprocessed(grace=timedelta(seconds=grace), lock=False)
    click.echo(f"{result['accounts']} account(s) with waiting work; {result['enqueued']} rescore job(s) enqueued")
    if rt.redis is None:
        click.echo("(no Redis: ran them in this process)", err=True)
        rt.queue.join()  # type: ignore[attr-defined]
    sys.stdout.flush()
