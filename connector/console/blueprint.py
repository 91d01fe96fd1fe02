"""The console's blueprint: pages under /console, its own templates and static files."""

from __future__ import annotations

from flask import Blueprint, current_app

from connector.jobs.runtime import Runtime

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def runtime() -> Runtime:
    """This app's runtime (settings, config, database, queue)."""
    rt: Runtime = current_app.extensions["healthloop"]
    return rt
