"""Playbook and outcomes: the report's content (rates with intervals, uplift per playbook row, indicator
accuracy, reactive vs proactive, tier distribution), each section from the read model the CLI uses."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from connector.console.blueprint import bp, runtime
from connector.console.charts import tier_bars
from connector.jobs.runtime import Runtime
from connector.measure.report import GROUPINGS, Measured, measure_report, outcome_rules
from connector.measure.report_html import TIER_HISTORY_WEEKS, tier_weeks
from scoring.rules import TIERS


def report_section(session: Session, rt: Runtime, today: date) -> Measured:
    return measure_report(session, rt.config.scoring, today)


def first_window_close(measured: Measured, rt: Runtime) -> date | None:
    """When the first pending outcome will be decided (its recovery window, then its hold, closes)."""
    rules = outcome_rules(rt.config.scoring)
    ends = []
    for outcome in measured.outcomes:
        if outcome.pending:
            start = outcome.recovered_on or outcome.intervention.created_on
            days = rules.hold_days if outcome.recovered_on else rules.recovery_window_days
            ends.append(start + timedelta(days=days))
    return min(ends) if ends else None


def indicator_section(measured: Measured) -> tuple[int, list[dict[str, Any]]]:
    """Closed renewals judged, and each indicator's precision and recall with intervals (the report's)."""
    data = measured.report["indicators"]
    rows = [row for row in data["indicators"] if row["flagged"] or row["indicator"] == "score"]
    return data["renewals"]["closed"], rows if data["renewals"]["closed"] else []


def score_auc_section(measured: Measured) -> list[dict[str, Any]] | None:
    """The score's AUC before renewal with its interval and counts (None: no closed renewals yet)."""
    rows = [row for row in measured.report["indicators"]["score_auc"] if row["auc"] is not None]
    return [
        {
            "days_before": row["days_before"],
            "text": f"{row['auc']:.2f} [{row['low']:.2f}-{row['high']:.2f}] (n={row['n']}, {row['accounts']} accounts)",
            "lost": row["lost"],
            "won": row["won"],
        }
        for row in rows
    ] or None


def tier_section(session: Session, today: date) -> dict[date, Counter[str]]:
    return tier_weeks(session, today - timedelta(weeks=TIER_HISTORY_WEEKS), today)


@bp.get("/outcomes")
def outcomes() -> ResponseReturnValue:
    rt = runtime()
    today = datetime.now(UTC).date()
    by = request.args.get("by", "tier")
    by = by if by in GROUPINGS else "tier"
    with rt.readers() as session:
        measured = report_section(session, rt, today)
        closed, indicators = indicator_section(measured)
        auc = score_auc_section(measured)
        weeks = tier_section(session, today)
    report = measured.report
    decided = sum(1 for o in measured.outcomes if not o.pending and o.save is not None)
    return render_template(
        "console/outcomes.html",
        report=report,
        by=by,
        groupings=GROUPINGS,
        decided=decided,
        first_close=first_window_close(measured, rt),
        closed=closed,
        indicators=indicators,
        auc=auc,
        weeks=sorted(weeks.items()),
        bars=tier_bars({w: dict(c) for w, c in weeks.items()}, TIERS),
        tiers=TIERS,
        playbook=rt.config.scoring.playbook,
        min_group_size=outcome_rules(rt.config.scoring).min_group_size,
    )
