"""`healthloop report`: which interventions save customers, measured from stored outcomes.

Facts come from SQL (interventions with their task outcome and control flag, score history,
renewals from the CRM or `outcomes import`); the measuring is `scoring.outcomes` (pure). The
tables: save rate and response rate with 95% intervals, median days to recovery, and the uplift
over the control group, overall and per trigger, tier, channel and owner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.models import AccountScore, Intervention, Renewal
from connector.sql import chunks, in_list
from scoring.outcomes import (
    InterventionFact,
    OutcomeRules,
    RenewalFact,
    ScorePoint,
    SummaryRow,
    measure_all,
    summarize,
)
from scoring.rules import ScoringRules

GROUPINGS = ("all", "trigger", "tier", "channel", "owner")


def load_facts(
    session: Session, since: date | None = None
) -> tuple[list[InterventionFact], dict[str, list[ScorePoint]], list[RenewalFact]]:
    """Interventions (created on or after `since`), their accounts' score history and renewals."""
    query = select(Intervention)
    if since is not None:
        query = query.where(Intervention.created_at >= datetime.combine(since, datetime.min.time(), tzinfo=UTC))
    facts = [
        InterventionFact(
            intervention_id=i.id,
            account_id=i.account_id,
            key=i.key,
            trigger_id=i.trigger_id,
            tier=i.tier,
            created_on=i.created_at.date(),
            channels=tuple(i.channels),
            owner=i.owner,
            trigger_ids=tuple(i.trigger_ids),
            control=i.control,
            task_completed_on=i.task_completed_at.date() if i.task_completed_at else None,
        )
        for i in session.scalars(query)
    ]
    accounts = sorted({f.account_id for f in facts})
    first = min((f.created_on for f in facts), default=None)
    histories: dict[str, list[ScorePoint]] = defaultdict(list)
    renewals: list[RenewalFact] = []
    for chunk in chunks(accounts):
        scores = select(AccountScore.account_id, AccountScore.day, AccountScore.score).where(
            in_list(session, AccountScore.account_id, chunk)
        )
        if first is not None:
            scores = scores.where(AccountScore.day >= first)
        for account_id, day, score in session.execute(scores.order_by(AccountScore.day)):
            histories[account_id].append(ScorePoint(day, score))
        for account_id, close_date, status in session.execute(
            select(Renewal.account_id, Renewal.close_date, Renewal.status).where(
                in_list(session, Renewal.account_id, chunk)
            )
        ):
            renewals.append(RenewalFact(account_id, close_date, None if status == "open" else status == "won"))
    return facts, dict(histories), renewals


def outcome_rules(scoring: ScoringRules) -> OutcomeRules:
    """Measurement windows on the configured tier bands (the rest are the issue's defaults)."""
    return OutcomeRules(bands=scoring.tiers)


def build_report(session: Session, scoring: ScoringRules, as_of: date, since: date | None = None) -> dict[str, Any]:
    facts, histories, renewals = load_facts(session, since)
    outcomes = measure_all(facts, histories, renewals, as_of, outcome_rules(scoring))
    return {
        "as_of": as_of.isoformat(),
        "interventions": len(facts),
        "control": sum(1 for f in facts if f.control),
        "groups": {by: [_row(r) for r in summarize(outcomes, by)] for by in GROUPINGS},
    }


def _row(row: SummaryRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "treated": asdict(row.treated),
        "control": asdict(row.control),
        "uplift": asdict(row.uplift),
    }


def _rate(p: dict[str, Any]) -> str:
    if not p["n"]:
        return "-"
    return f"{p['value']:.0%} [{p['low']:.0%}-{p['high']:.0%}] ({p['successes']}/{p['n']})"


def _uplift(u: dict[str, Any]) -> str:
    if u["difference"] is None:
        return "-"
    text = f"{u['difference']:+.0%} [{u['low']:+.0%} to {u['high']:+.0%}]"
    return text + (" small sample" if u["small_sample"] else "")


def print_report(report: dict[str, Any], console: Console, groupings: Sequence[str] = GROUPINGS) -> None:
    console.print(
        f"[bold]interventions measured as of {report['as_of']}[/bold]: {report['interventions']} "
        f"({report['control']} in the control group, never sent)"
    )
    for by in groupings:
        table = Table(
            by, "n", "pending", "save rate [95% CI]", "response rate", "median days to recovery",
            "control save rate", "uplift vs control", title=f"by {by}", title_justify="left",
        )  # fmt: skip
        for row in report["groups"][by]:
            treated, control = row["treated"], row["control"]
            median = treated["median_days_to_recovery"]
            table.add_row(
                row["key"],
                str(treated["n"]),
                str(treated["pending"]),
                _rate(treated["saves"]),
                _rate(treated["responses"]),
                "-" if median is None else f"{median:g} ({treated['recovered']})",
                _rate(control["saves"]),
                _uplift(row["uplift"]),
            )
        console.print(table)


@click.command("report")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only interventions created on or after this day.")
@click.option("--by", "groupings", multiple=True, type=click.Choice(GROUPINGS), help="Tables to print (default all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def report_command(since: datetime | None, groupings: tuple[str, ...], as_json: bool) -> None:
    """Save rate, response rate, time to recovery and uplift over the control group, with 95% intervals."""
    from connector.config import load_config
    from connector.runtime import open_database
    from connector.settings import load_settings

    settings = load_settings()
    scoring = load_config(settings.config_path).scoring
    with open_database(settings) as sessions, sessions() as session:
        report = build_report(session, scoring, datetime.now(UTC).date(), since.date() if since else None)
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report, Console(width=max(140, Console().width)), groupings or GROUPINGS)
