"""What the account page shows, one function per section (each calls one read model, so any of them
can be swapped for a newer read model without touching the others or the template)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from connector.console.charts import ScoreChart, score_chart
from connector.crm.sync_health import crm_record
from connector.health.account_story import daily_history, recent_tickets, seat_use, trigger_history
from connector.jobs.runtime import Runtime
from connector.measure.account_outcomes import account_interventions
from connector.measure.renewals import stored_renewals
from scoring.rules import SIGNALS

RANGES = (30, 90, 180, 365)


@dataclass
class AccountPage:
    summary: dict[str, Any]
    days: int
    start: date
    today: date
    history: list[dict[str, Any]] = field(default_factory=list)
    chart: ScoreChart | None = None
    signals: list[dict[str, Any]] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    interventions: list[dict[str, Any]] = field(default_factory=list)
    tickets_total: int = 0
    tickets: list[dict[str, Any]] = field(default_factory=list)
    seats: dict[str, Any] = field(default_factory=dict)
    crm: dict[str, Any] | None = None
    crm_link: str | None = None


def history_section(session: Session, account_id: str, start: date, today: date) -> list[dict[str, Any]]:
    return daily_history(session, account_id, start, today)


def signal_moves(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each signal now, 7 and 30 days before the latest day, with the latest explanation."""
    if not history:
        return []
    latest = history[-1]
    by_day = {row["day"]: row for row in history}
    last_day = date.fromisoformat(latest["day"])
    moves = []
    for name in SIGNALS:
        earlier = {}
        for back in (7, 30):
            row = by_day.get((last_day - timedelta(days=back)).isoformat())
            earlier[back] = None if row is None else row.get(name)
        now = latest.get(name)
        moves.append(
            {
                "name": name,
                "value": now,
                "explanation": latest["explanations"].get(name),
                "change_7": None if now is None or earlier[7] is None else round(now - earlier[7], 1),
                "change_30": None if now is None or earlier[30] is None else round(now - earlier[30], 1),
            }
        )
    return moves


def markers(interventions: list[dict[str, Any]], renewals: list[Any], today: date) -> list[tuple[date, str, str]]:
    """Where interventions were decided and where their outcomes landed (tasks done, recoveries, renewals)."""
    marks: list[tuple[date, str, str]] = []
    for i in interventions:
        marks.append((i["created_at"].date(), "intervention", f"{i['action']} ({i['tier']})"))
        if i["task_completed_at"]:
            marks.append((i["task_completed_at"].date(), "outcome", "task completed"))
        if i["recovered_on"]:
            marks.append((i["recovered_on"], "outcome", f"recovered to {i['recovery_threshold']}+"))
    for renewal in renewals:
        if renewal.won is not None and renewal.close_date <= today:
            marks.append((renewal.close_date, "outcome", "renewal won" if renewal.won else "renewal lost"))
    return sorted(set(marks))


def build(session: Session, rt: Runtime, summary: dict[str, Any], days: int, today: date) -> AccountPage:
    account_id = summary["account_id"]
    start = today - timedelta(days=days - 1)
    page = AccountPage(summary, days, start, today)
    page.history = history_section(session, account_id, start, today)
    page.signals = signal_moves(page.history)
    page.triggers = trigger_history(session, account_id)
    page.interventions = account_interventions(session, account_id, rt.config.scoring, today)
    page.tickets_total, page.tickets = recent_tickets(session, account_id)
    page.seats = seat_use(session, account_id, today)
    renewals = stored_renewals(session, [account_id])
    page.chart = score_chart(
        [(date.fromisoformat(r["day"]), r["score"], r["tier"]) for r in page.history],
        start,
        today,
        rt.config.scoring.tiers,
        markers(page.interventions, renewals, today),
    )
    if rt.crm_enabled:
        page.crm = crm_record(session, account_id, rt.settings.crm)
        template = rt.settings.crm_record_url
        if page.crm and page.crm["record_id"] and template:
            page.crm_link = template.replace("{record_id}", page.crm["record_id"])
    return page
