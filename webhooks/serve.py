"""Run the web app under gunicorn (the same server production uses); `healthloop serve` calls `serve`."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from connector.config.settings import Settings
from webhooks.app import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn with options from the command line instead of a config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app()


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn in the foreground with these options; each worker builds its own app after the fork."""
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
