"""Activity: every console action (who, what, when, how it went), newest first."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue

from connector.console import audit
from connector.console.blueprint import bp, runtime

PER_PAGE = 50


@bp.get("/activity")
def activity() -> ResponseReturnValue:
    page = max(1, request.args.get("page", type=int) or 1)
    with runtime().readers() as session:
        total, actions = audit.recent(session, page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "console/activity.html",
        actions=actions,
        total=total,
        page=page,
        pages=pages,
        previous=url_for("console.activity", page=page - 1) if page > 1 else None,
        next=url_for("console.activity", page=page + 1) if page < pages else None,
    )
