"""`healthloop report --html FILE`: the report as one self-contained page for a quarterly review.

Everything is inline: CSS in a `<style>` block, charts as base64 PNGs (`report_charts`). No network,
no external files. Small samples are kept visibly small: every rate and AUC carries its counts and its
95% interval (the charts draw it), and rows under the sample floor are marked "small sample". Tier
counts never include a day before an account's start.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.health.account_start import account_starts, started
from connector.measure.report import Measured
from connector.measure.report_charts import (
    accuracy_chart,
    auc_chart,
    lead_chart,
    recovery_chart,
    save_rate_chart,
    tier_chart,
)
from connector.measure.report_text import deflection_line, reactive_line
from connector.store.models import AccountScore

TIER_HISTORY_WEEKS = 26
"""The tier chart covers the last half year (or from `--since`, whichever is later)."""

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta, .note { color: #666; font-size: 0.9em; }
.note { font-style: italic; background: #f7f7f7; padding: 0.6em 1em; border-left: 3px solid #bbb; }
.kpis { display: flex; gap: 1em; flex-wrap: wrap; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: 0.8em 1em; flex: 1 1 300px; }
.kpi .big { font-size: 1.5em; font-weight: 600; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; width: 100%; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.5em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tr.small td { color: #777; background: #fffbe6; }
.tag { font-size: 0.75em; background: #ffe082; color: #5d4300; border-radius: 3px; padding: 0 0.3em; }
img.chart { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
"""


# --- data the terminal report does not carry ---------------------------------------------------


def tier_weeks(session: Session, first: date, last: date) -> dict[date, Counter[str]]:
    """Week (its Monday) -> tier -> accounts, each account counted once per week in its latest tier then."""
    latest: dict[tuple[date, str], tuple[date, str]] = {}
    query = select(AccountScore.account_id, AccountScore.day, AccountScore.tier).where(
        AccountScore.day >= first, AccountScore.day <= last
    )
    starts = account_starts(session)
    for account_id, day, tier in session.execute(query):
        if not started(starts, account_id, day):
            continue
        week = day - timedelta(days=day.weekday())
        seen = latest.get((week, account_id))
        if seen is None or day > seen[0]:
            latest[(week, account_id)] = (day, tier)
    weeks: dict[date, Counter[str]] = defaultdict(Counter)
    for (week, _), (_, tier) in latest.items():
        weeks[week][tier] += 1
    return dict(sorted(weeks.items()))


# --- the page ---------------------------------------------------------------------------------


def _rate(p: dict[str, Any]) -> str:
    if not p["n"]:
        return "-"
    return f"{p['value']:.0%} [{p['low']:.0%}-{p['high']:.0%}] (n={p['n']}, {p['successes']}/{p['n']})"


def _uplift(u: dict[str, Any]) -> str:
    if u["difference"] is None:
        return "-"
    return f"{u['difference']:+.0%} [{u['low']:+.0%} to {u['high']:+.0%}]"


def _small(flag: bool) -> str:
    return ' <span class="tag">small sample</span>' if flag else ""


def group_table(by: str, rows: Sequence[dict[str, Any]], min_group_size: int) -> str:
    head = (
        "n", "pending", "save rate [95% CI]", "response rate [95% CI]", "median days to recovery",
        "control n", "control save rate [95% CI]", "uplift vs control [95% CI]",
    )  # fmt: skip
    lines = [f"<table><thead><tr><th>{escape(by)}</th>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>"]
    lines.append("<tbody>")
    for row in rows:
        treated, control = row["treated"], row["control"]
        small = row["uplift"]["small_sample"] or treated["saves"]["n"] < min_group_size
        median = treated["median_days_to_recovery"]
        cells = (
            str(treated["n"]), str(treated["pending"]), _rate(treated["saves"]), _rate(treated["responses"]),
            "-" if median is None else f"{median:g} (n={treated['recovered']})", str(control["n"]),
            _rate(control["saves"]), _uplift(row["uplift"]),
        )  # fmt: skip
        lines.append(
            f"<tr{' class=small' if small else ''}><td>{escape(row['key'])}{_small(small)}</td>"
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def indicator_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "<table><thead><tr><th>indicator</th><th>flagged</th><th>precision [95% CI]</th><th>recall [95% CI]</th>"
        "<th>median lead (days)</th></tr></thead><tbody>"
    ]
    for row in rows:
        if not row["flagged"] and row["indicator"] != "score":
            continue
        lead = row["median_lead_days"]
        median = "-" if lead is None else f"{lead:g} (n={row['true_positives']})"
        cells = (str(row["flagged"]), _rate(row["precision"]), _rate(row["recall"]), median)
        lines.append(f"<tr><td>{escape(row['indicator'])}</td>" + "".join(f"<td>{escape(c)}</td>" for c in cells))
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _kpis(report: dict[str, Any]) -> str:
    reactive, deflected = report["reactive"], report["deflection"]
    share = reactive["reactive_share"]
    share_text = "-" if not share["n"] else f"{share['value']:.0%}"
    small_reactive = share["n"] < deflected["min_group_size"]
    ratio = deflected["ratio"]
    return (
        '<div class="kpis">'
        f'<div class="kpi"><div>Reactive share of at-risk entries (last 90 days)</div>'
        f'<div class="big">{share_text} <small>n={share["n"]}</small>{_small(small_reactive)}</div>'
        f'<div class="meta">{escape(reactive_line(reactive))}</div></div>'
        f'<div class="kpi"><div>Ticket rate ratio, treated / control</div>'
        f'<div class="big">{"-" if ratio is None else f"{ratio:.2f}"} '
        f"<small>n={deflected['treated_accounts']}+{deflected['control_accounts']} accounts</small>"
        f"{_small(deflected['small_sample'])}</div>"
        f'<div class="meta">{escape(deflection_line(deflected))}</div></div>'
        "</div>"
    )


def render_html(measured: Measured, weeks: dict[date, Counter[str]]) -> str:
    report = measured.report
    accuracy = report["indicators"]
    indicators, closed_renewals = accuracy["indicators"], accuracy["renewals"]["closed"]
    min_group_size = report["deflection"]["min_group_size"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>healthloop report {escape(report['as_of'])}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Customer health: what saves customers</h1>",
        f'<p class="meta">As of {escape(report["as_of"])}: {report["interventions"]} interventions measured, '
        f"{report['control']} held back as the control group (never sent). Rates show n and a 95% interval; "
        f"rows with fewer than {min_group_size} decided outcomes are marked "
        '<span class="tag">small sample</span>: read the interval, not the point.</p>',
        "<h2>Reactive vs proactive, and ticket deflection</h2>",
        _kpis(report),
        "<h2>Tier distribution over time</h2>",
    ]
    parts.append(tier_chart(weeks) if weeks else '<p class="note">No stored scores in this period yet.</p>')
    parts.append("<h2>Save rate per playbook row</h2>")
    rows = report["groups"]["trigger"]
    parts.append(save_rate_chart(rows) if rows else '<p class="note">No interventions yet.</p>')
    parts.append(group_table("playbook row", rows, min_group_size))
    parts.append("<h2>Time to recovery</h2>")
    treated = [
        o.days_to_recovery for o in measured.outcomes if o.days_to_recovery is not None and not o.intervention.control
    ]
    control = [
        o.days_to_recovery for o in measured.outcomes if o.days_to_recovery is not None and o.intervention.control
    ]
    if treated or control:
        parts.append(recovery_chart(treated, control))
    else:
        parts.append('<p class="note">No intervention has been followed by a recovery yet.</p>')
    parts.append("<h2>Indicator accuracy and lead time</h2>")
    leading = [row for row in indicators if row["lead_days"]]
    if not closed_renewals:
        parts.append('<p class="note">No closed renewals yet: lead times appear once renewals are won or lost.</p>')
    else:
        lost = accuracy["renewals"]["lost"]
        parts.append(
            f'<p class="meta">Against {closed_renewals} closed renewal(s), {lost} lost, '
            f"{accuracy['lookback_days']}-day lookback.{_small(lost < min_group_size)}</p>"
        )
        shown = [row for row in indicators if row["flagged"] or row["indicator"] == "score"]
        parts.append(accuracy_chart(shown))
        parts.append(auc_chart(accuracy["score_auc"]))
        if leading:
            parts.append(lead_chart(leading))
        else:
            parts.append('<p class="note">No lost renewal was flagged ahead by any indicator.</p>')
        parts.append(indicator_table(indicators))
    parts.append("<h2>All tables</h2>")
    for by, group_rows in report["groups"].items():
        parts.append(f"<h3>by {escape(by)}</h3>")
        parts.append(group_table(by, group_rows, min_group_size))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: Path, session: Session, measured: Measured) -> None:
    """Load what the page needs beyond the terminal report, render and write it."""
    last = measured.as_of
    first = last - timedelta(weeks=TIER_HISTORY_WEEKS)
    weeks = tier_weeks(session, first, last)
    path.write_text(render_html(measured, weeks), encoding="utf-8")
