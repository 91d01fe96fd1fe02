"""The account page (the CRM card's link target): one account's story over time."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from connector.console import account_page
from connector.console.blueprint import bp, runtime
from connector.health.accounts import account_summary


@bp.get("/accounts/<account_id>")
def account(account_id: str) -> ResponseReturnValue:
    rt = runtime()
    days = request.args.get("days", type=int) or 90
    days = days if days in account_page.RANGES else 90
    today = datetime.now(UTC).date()
    with rt.readers() as session:
        summary = account_summary(session, account_id, today)
        if summary is None:
            abort(404, description=f"No account {account_id!r} has been stored.")
        page = account_page.build(session, rt, summary, days, today)
    return render_template("console/account.html", page=page, a=summary, ranges=account_page.RANGES, rt=rt)
