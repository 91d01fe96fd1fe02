"""Integrations: each webhook source and the tracking API, unmatched tickets, and the CRM's health with
its actions (check the mapping now, retry an account now): admins only, every one logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from connector.console import audit
from connector.console.auth import admin_required, log_action
from connector.console.blueprint import bp, runtime
from connector.crm.sync_health import look_up_again, sync_overview
from connector.crm.wiring import playbook_checks
from connector.ingest.delivery_stats import WINDOWS, delivery_stats, last_product_event, unmatched_tickets
from connector.jobs.runtime import Runtime

log = logging.getLogger(__name__)
GENERIC_URL = "tickets"


def sources_section(session: Session, rt: Runtime) -> list[dict[str, Any]]:
    """Every ticket source with its secret state and what it delivered."""
    stats = delivery_stats(session, datetime.now(UTC))
    rows = []
    for name, (setting, variable) in current_app.config["HEALTHLOOP_TICKET_SOURCES"].items():
        secret = getattr(rt.settings, setting, None)
        # The generic endpoint stores its deliveries as `generic` or `generic:<tool>`.
        stored = [key for key in stats if key == name or (name == GENERIC_URL and key.split(":")[0] == "generic")]
        row = {"name": name, "variable": variable, "configured": secret is not None, "tools": sorted(stored)}
        rows.append(row | _merged([stats.pop(key) for key in stored]))
    rows += [
        {"name": name, "variable": None, "configured": None, "tools": [], **rest}
        for name, rest in sorted(stats.items())
    ]
    return rows


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    windows: dict[str, dict[str, int]] = {w: {} for w in WINDOWS}
    for part in parts:
        for window, counts in part["windows"].items():
            for outcome, n in counts.items():
                windows[window][outcome] = windows[window].get(outcome, 0) + n
    lasts = [p["last_delivery"] for p in parts if p["last_delivery"]]
    return {
        "last_delivery": max(lasts, default=None),
        "windows": windows,
        "unsupported": [u for p in parts for u in p["unsupported"]],
    }


def signature_failures_section(session: Session, rt: Runtime) -> dict[str, int] | None:
    """Refused signatures per source, once something counts them in storage (None: not measured yet)."""
    return None


def quota_section(session: Session, rt: Runtime) -> dict[str, Any] | None:
    """The CRM API quota the last sync saw, once it is kept (None: not measured yet)."""
    return None


@bp.get("/integrations")
def integrations() -> ResponseReturnValue:
    rt = runtime()
    with rt.readers() as session:
        sources = sources_section(session, rt)
        failures = signature_failures_section(session, rt)
        unmatched_total, unmatched = unmatched_tickets(session, rt.config)
        last_event = last_product_event(session)
        crm = sync_overview(session, rt.settings.crm) if rt.crm_enabled else None
        quota = quota_section(session, rt)
        check = audit.latest(session, "crm_check")
    return render_template(
        "console/integrations.html",
        sources=sources,
        windows=list(WINDOWS),
        failures=failures,
        unmatched_total=unmatched_total,
        unmatched=unmatched,
        last_event=last_event,
        write_keys=len(rt.settings.write_key_list()),
        crm=crm,
        quota=quota,
        check=check,
        rt=rt,
    )


@bp.post("/integrations/crm/check")
@admin_required("crm_check")
def crm_check() -> ResponseReturnValue:
    rt = runtime()
    if not rt.crm_enabled:
        flash("No CRM is configured (HEALTHLOOP_CRM=none): nothing to check.")
        return redirect(url_for("console.integrations"))
    try:
        adapter = rt.crm_adapter()
        checks = adapter.check(rt.config.crm.mapping(adapter.name)) + playbook_checks(adapter, rt.config)
    except Exception as exc:  # a CRM outage or refused credentials: say so, log it, keep the page up
        log.warning("console: CRM mapping check failed: %s", type(exc).__name__)
        log_action("crm_check", outcome="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        flash(f"The mapping check could not reach the CRM: {type(exc).__name__}: {exc}"[:300])
        return redirect(url_for("console.integrations", _anchor="crm"))
    rows = [c.__dict__ for c in checks]
    problems = sum(1 for c in checks if not c.ok)
    log_action("crm_check", crm=rt.settings.crm, checks=rows, problems=problems)
    flash(f"Mapping checked: {len(rows) - problems} ok, {problems} problem(s).")
    return redirect(url_for("console.integrations", _anchor="crm"))


@bp.post("/integrations/crm/retry/<account_id>")
@admin_required("crm_retry")
def crm_retry(account_id: str) -> ResponseReturnValue:
    rt = runtime()
    if not rt.crm_enabled:
        flash("No CRM is configured (HEALTHLOOP_CRM=none).")
        return redirect(url_for("console.integrations"))
    with rt.sessions.begin() as session:
        searched = look_up_again(session, rt.settings.crm, account_id)
    queued = rt.queue.request_sync([account_id], delay=0)
    log_action("crm_retry", target=account_id, look_up_again=searched, queued=bool(queued))
    flash(f"Sync of {account_id} requested" + (" (its CRM record will be searched for again)." if searched else "."))
    return redirect(url_for("console.integrations", _anchor="crm"))
