"""How the console's templates print values: dates, money, tiers, triggers, rates with their intervals.

Rates and uplifts are printed from the read models' own figures (value, interval, counts), never recomputed.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from connector.console.blueprint import bp
from connector.measure.report_text import format_rate
from scoring.rules import TIER_LABELS

TRIGGER_WORDS = {
    "low_score": "score below the alert threshold",
    "score_drop": "score dropped fast",
    "inactive": "no meaningful activity",
    "stuck_in_journey": "stuck in a journey",
    "health_drop": "health drop (re-engage)",
    "inactivity_winback": "inactive: win-back",
    "login_decline": "logins declining",
    "core_feature_unused": "core feature never used",
    "seats_inactive": "most seats inactive",
    "setup_incomplete": "setup not completed",
    "ticket_cluster": "repeated tickets on one issue",
}


@bp.app_template_filter("tier")
def tier(value: str | None) -> str:
    return TIER_LABELS.get(value or "", value or "not scored")


@bp.app_template_filter("trigger")
def trigger(value: str | None) -> str:
    return TRIGGER_WORDS.get(value or "", (value or "").replace("_", " "))


@bp.app_template_filter("when")
def when(value: datetime | date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


@bp.app_template_filter("money")
def money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


@bp.app_template_filter("signed")
def signed(value: int | float | None) -> str:
    return "—" if value is None else f"{value:+g}"


@bp.app_template_filter("rate")
def rate(proportion: dict[str, Any] | Any | None) -> str:
    """ "50% [24%-76%] (5/10)": the value, its 95% interval and its counts; "—" when nothing was decided."""
    if not proportion:
        return "—"
    text = format_rate(proportion if isinstance(proportion, dict) else asdict(proportion))
    return "—" if text == "-" else text


@bp.app_template_filter("uplift")
def uplift(u: dict[str, Any] | None) -> str:
    if not u or u.get("difference") is None:
        return "—"
    return f"{u['difference']:+.0%} [{u['low']:+.0%} to {u['high']:+.0%}]"


@bp.app_template_filter("yesno")
def yesno(value: bool | None, pending: str = "pending") -> str:
    return pending if value is None else ("yes" if value else "no")
