"""Run the web app under gunicorn (the same server production uses); `healthloop serve` calls `serve`."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from connector.config.settings import Settings
from webhooks import gunicorn_conf
from webhooks.app import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn with options from the command line instead of a config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # e.g. control_socket_disable exists from gunicorn 24 on
                self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app()


def serve(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn in the foreground with these options; each worker builds its own app after the fork."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "webhooks.gunicorn_conf.JsonThreadWorker"
        if threads > 1
        else "webhooks.gunicorn_conf.JsonSyncWorker",
        "logger_class": gunicorn_conf.HealthloopLogger,
        "accesslog": "-",
        "loglevel": settings.log_level.lower(),
        "timeout": gunicorn_conf.timeout,
        "graceful_timeout": gunicorn_conf.graceful_timeout,
        "on_starting": gunicorn_conf.on_starting,
        "child_exit": gunicorn_conf.child_exit,
        "control_socket_disable": gunicorn_conf.control_socket_disable,
        # Each worker builds its own app (and its own database pool) after the fork.
        "preload_app": False,
    }
    _Gunicorn(options).run()
