"""`healthloop serve`: run the web app under gunicorn (the same server production uses)."""

from __future__ import annotations

from typing import Any

import click
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn with options from the command line instead of a config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from webhooks.app import create_app

        return create_app()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Gunicorn worker processes.")
@click.option("--threads", default=1, show_default=True, type=int, help="Threads per worker.")
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the tracking API, ticket webhooks and health checks over HTTP."""
    from connector.config.settings import load_settings

    settings = load_settings()  # fail fast, naming the bad variable, before forking workers
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": "-",
        "loglevel": settings.log_level.lower(),
        "timeout": 60,
        "graceful_timeout": 20,
        # Each worker builds its own app (and its own database pool) after the fork.
        "preload_app": False,
    }
    _Gunicorn(options).run()
