"""The report as terminal text: rates with their intervals, uplift, the reactive and deflection lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.measure.learn_status import learned_line
from connector.measure.report import GROUPINGS
from scoring.labels import TRIGGER_LABELS


def format_rate(p: dict[str, Any]) -> str:
    """A Proportion (as JSON) for a table: "50% [24%-76%] (5/10)", or "-" when nothing was decided."""
    if not p["n"]:
        return "-"
    return f"{p['value']:.0%} [{p['low']:.0%}-{p['high']:.0%}] ({p['successes']}/{p['n']})"


def format_auc(e: dict[str, Any]) -> str:
    """An AucEstimate (as JSON): "0.61 [0.50-0.72] (n=113, 41 lost, 113 accounts)", "-" and the counts without one."""
    counts = f"(n={e['n']}, {e['positives']} lost, {e['accounts']} accounts)"
    if e["value"] is None:
        return f"- {counts}"
    interval = "" if e["low"] is None else f" [{e['low']:.2f}-{e['high']:.2f}]"
    return f"{e['value']:.2f}{interval} {counts}" + (" small sample" if e["small_sample"] else "")


def format_score_auc(row: dict[str, Any]) -> str:
    """A ScoreAuc row (as JSON), as `format_auc` writes an estimate."""
    keys = ("n", "accounts", "small_sample", "low", "high")
    return format_auc({"value": row["auc"], "positives": row["lost"], **{k: row[k] for k in keys}})


def format_difference(d: dict[str, Any]) -> str:
    """An AucDifference (as JSON): "+0.04 [-0.01 to +0.09] (paired, DeLong)"."""
    if d["difference"] is None:
        return "-"
    interval = "" if d["low"] is None else f" [{d['low']:+.3f} to {d['high']:+.3f}]"
    method = "clustered by account" if d["method"] == "obuchowski" else "DeLong"
    return f"{d['difference']:+.3f}{interval} (paired, {method})"


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
                TRIGGER_LABELS.get(row["key"], row["key"]) if by == "trigger" else row["key"],
                str(treated["n"]),
                str(treated["pending"]),
                format_rate(treated["saves"]),
                format_rate(treated["responses"]),
                "-" if median is None else f"{median:g} ({treated['recovered']})",
                format_rate(control["saves"]),
                _uplift(row["uplift"]),
            )
        console.print(table)
    console.print(reactive_line(report["reactive"]))
    console.print(deflection_line(report["deflection"]))
    print_indicators(report["indicators"], console)
    console.print(learned_line(report.get("learned_probability")))


def print_indicators(data: dict[str, Any], console: Console) -> None:
    """Precision and recall per indicator with intervals and counts, and the score's AUC, against closed renewals."""
    renewals = data["renewals"]
    if not renewals["closed"]:
        console.print(
            "indicator accuracy: no closed renewals yet (`healthloop outcomes import FILE` or `outcomes pull`)"
        )
        return
    table = Table(
        "indicator", "flagged", "precision [95% CI] (lost/flagged)", "recall [95% CI] (flagged/lost)",
        "median lead (days)", title=f"indicator accuracy against {renewals['closed']} closed renewal(s), "
        f"{renewals['lost']} lost ({data.get('lookback_days', 90)}-day lookback)", title_justify="left",
    )  # fmt: skip
    for row in data["indicators"]:
        if row["flagged"] or row["indicator"] == "score":
            median = row["median_lead_days"]
            table.add_row(
                TRIGGER_LABELS.get(row["indicator"], row["indicator"]), str(row["flagged"]),
                format_rate(row["precision"]), format_rate(row["recall"]),
                "-" if median is None else f"{median:g}",
            )  # fmt: skip
    console.print(table)
    for row in data["score_auc"]:
        console.print(f"score AUC {row['days_before']} days before renewal: {format_score_auc(row)}")


def reactive_line(reactive: dict[str, Any]) -> str:
    """One sentence: how many at-risk entries the customer announced before our triggers did."""
    head = f"reactive vs proactive ({reactive['from']} .. {reactive['to']}): "
    if not reactive["entries"]:
        return head + "no account entered At Risk or worse"
    share = reactive["reactive_share"]
    text = (
        f"{reactive['entries']} at-risk entries; first signal a ticket/escalation {reactive['reactive']}, "
        f"a behavioural trigger {reactive['proactive']}, none {reactive['unsignalled']}"
    )
    if share["n"]:
        text += f"; reactive share {format_rate(share)}"
    if reactive["ratio"] is not None:
        text += f", ratio {reactive['ratio']:.2f} reactive per proactive"
    return head + text


def deflection_line(d: dict[str, Any]) -> str:
    """One sentence: tickets per account-month after outreach vs after a held-back intervention."""

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    text = (
        f"ticket deflection: treated {rate(d['treated_rate'])} tickets/account-month "
        f"({d['treated_tickets']} tickets, n={d['treated_accounts']} accounts) vs control {rate(d['control_rate'])} "
        f"({d['control_tickets']} tickets, n={d['control_accounts']} accounts)"
    )
    if d["ratio"] is not None:
        text += f"; rate ratio {d['ratio']:.2f}"
        if d["low"] is not None:
            text += f" [{d['low']:.2f}-{d['high']:.2f}]"
    return text + (" small sample" if d["small_sample"] else "")
