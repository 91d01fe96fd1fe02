"""`healthloop report --html FILE`: the report as one self-contained page for a quarterly review.

Everything is inline: CSS in a `<style>` block, charts as base64 PNGs drawn by matplotlib's Agg
canvas (through `matplotlib.figure.Figure`, never pyplot, so no GUI backend and no global state).
No network, no external files. Small samples are kept visibly small: every rate carries its n and
its 95% interval, and rows under the sample floor are marked "small sample".
"""

from __future__ import annotations

import base64
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.measure.report import Measured
from connector.measure.report_text import deflection_line, reactive_line
from connector.store.models import AccountScore, Alert, Renewal
from connector.store.sql import chunks, in_list
from scoring.indicators import IndicatorAccuracy, TriggerFiring, indicator_accuracy
from scoring.outcomes import RenewalFact, ScorePoint
from scoring.rules import TIER_LABELS, TIERS, ScoringRules

TIER_HISTORY_WEEKS = 26
"""The tier chart covers the last half year (or from `--since`, whichever is later)."""
TIER_COLOURS = {
    "healthy": "#2e7d32",
    "monitor": "#9ccc65",
    "at_risk": "#ffb300",
    "critical": "#ef6c00",
    "churning": "#c62828",
}
TREATED, CONTROL = "#1565c0", "#9e9e9e"
INDICATOR_LOOKBACK_DAYS = 90

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
    for account_id, day, tier in session.execute(query):
        week = day - timedelta(days=day.weekday())
        seen = latest.get((week, account_id))
        if seen is None or day > seen[0]:
            latest[(week, account_id)] = (day, tier)
    weeks: dict[date, Counter[str]] = defaultdict(Counter)
    for (week, _), (_, tier) in latest.items():
        weeks[week][tier] += 1
    return dict(sorted(weeks.items()))


def indicator_rows(session: Session, scoring: ScoringRules) -> tuple[int, tuple[IndicatorAccuracy, ...]]:
    """(closed renewals, per-indicator accuracy) from stored renewals, alerts and score history."""
    renewals = [
        RenewalFact(a, d, None if s == "open" else s == "won")
        for a, d, s in session.execute(select(Renewal.account_id, Renewal.close_date, Renewal.status))
    ]
    closed = [r for r in renewals if r.won is not None]
    if not closed:
        return 0, ()
    accounts = sorted({r.account_id for r in closed})
    first = min(r.close_date for r in closed) - timedelta(days=INDICATOR_LOOKBACK_DAYS)
    histories: dict[str, list[ScorePoint]] = defaultdict(list)
    firings: list[TriggerFiring] = []
    for chunk in chunks(accounts):
        scores = select(AccountScore.account_id, AccountScore.day, AccountScore.score).where(
            in_list(session, AccountScore.account_id, chunk), AccountScore.day >= first
        )
        for account_id, day, score in session.execute(scores):
            histories[account_id].append(ScorePoint(day, score))
        alerts = select(Alert.account_id, Alert.trigger_id, Alert.fired_on).where(
            in_list(session, Alert.account_id, chunk), Alert.fired_on >= first
        )
        firings += [TriggerFiring(a, t, d) for a, t, d in session.execute(alerts)]
    rows = indicator_accuracy(
        closed, histories, firings, score_below=scoring.tiers.monitor, lookback_days=INDICATOR_LOOKBACK_DAYS
    )
    return len(closed), rows


# --- charts -----------------------------------------------------------------------------------


def _figure(width: float = 9.0, height: float = 3.6) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="chart" alt="chart" src="data:image/png;base64,{data}">'


def tier_chart(weeks: dict[date, Counter[str]]) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    days = list(weeks)
    bottom = [0] * len(days)
    for tier in TIERS:
        counts = [weeks[d][tier] for d in days]
        axes.bar(days, counts, width=5, bottom=bottom, color=TIER_COLOURS[tier], label=TIER_LABELS[tier])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylabel("accounts")
    axes.set_title("Accounts per tier, by week")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    figure.autofmt_xdate()
    return _png(figure)


def _error(p: dict[str, Any]) -> tuple[float, float]:
    return p["value"] - p["low"], p["high"] - p["value"]


def save_rate_chart(rows: Sequence[dict[str, Any]]) -> str:
    """Left: save rate per playbook row, treated vs control, 95% bars and n. Right: the uplift and its interval."""
    figure = _figure(10, 0.9 + 0.7 * len(rows))
    rates, uplifts = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    labels = [row["key"] + (" (small sample)" if row["uplift"]["small_sample"] else "") for row in rows]
    for arm, colour, offset in (("treated", TREATED, -0.15), ("control", CONTROL, 0.15)):
        labelled = False
        for y, row in enumerate(rows):
            p = row[arm]["saves"]
            if not p["n"]:
                continue
            low, high = _error(p)
            rates.errorbar(
                p["value"], y + offset, xerr=[[low], [high]], fmt="o", color=colour, capsize=4,
                label=None if labelled else arm,
            )  # fmt: skip
            labelled = True
            rates.annotate(
                f"{p['value']:.0%} ({p['successes']}/{p['n']})", (p["value"], y + offset),
                textcoords="offset points", xytext=(6, 4), fontsize=7, color=colour,
            )  # fmt: skip
    rates.set_yticks(range(len(rows)), labels)
    rates.set_xlim(-0.02, 1.3)
    rates.set_xlabel("save rate (95% interval)")
    rates.set_ylim(len(rows) - 0.5, -0.5)
    if any(row[arm]["saves"]["n"] for row in rows for arm in ("treated", "control")):
        rates.legend(fontsize="small", loc="lower right")
    for y, row in enumerate(rows):
        u = row["uplift"]
        if u["difference"] is None:
            uplifts.annotate("no control yet", (0, y), ha="center", fontsize=7, color="#777")
            continue
        uplifts.errorbar(
            u["difference"], y, xerr=[[u["difference"] - u["low"]], [u["high"] - u["difference"]]],
            fmt="s", color="#6a1b9a", capsize=4, alpha=0.5 if u["small_sample"] else 1.0,
        )  # fmt: skip
    uplifts.axvline(0, color="#444", linewidth=0.8)
    uplifts.set_xlim(-1.05, 1.05)
    uplifts.set_xlabel("uplift vs control (95% interval)")
    figure.suptitle("Save rate per playbook row")
    return _png(figure)


def recovery_chart(treated: Sequence[int], control: Sequence[int]) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    top = max([*treated, *control, 1])
    bins = [b - 0.5 for b in range(0, top + 2)]
    axes.hist(
        [list(treated), list(control)], bins=bins, stacked=True, color=[TREATED, CONTROL],
        label=[f"treated (n={len(treated)})", f"control (n={len(control)})"],
    )  # fmt: skip
    axes.set_xlabel("days from intervention to recovery")
    axes.set_ylabel("interventions")
    axes.set_title("Time to recovery")
    axes.legend(fontsize="small")
    return _png(figure)


def lead_chart(rows: Sequence[IndicatorAccuracy]) -> str:
    figure = _figure(9, 0.9 + 0.45 * len(rows))
    axes = figure.add_subplot()
    for y, row in enumerate(rows):
        axes.barh(y, row.median_lead_days or 0, color=TREATED, alpha=0.7)
        axes.scatter(row.lead_days, [y] * len(row.lead_days), color="#222", s=10, zorder=3)
        axes.annotate(
            f"{row.median_lead_days:g} d (n={row.true_positives})", (row.median_lead_days or 0, y),
            textcoords="offset points", xytext=(4, -3), fontsize=7,
        )  # fmt: skip
    axes.set_yticks(range(len(rows)), [row.indicator for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel("days before the lost renewal closed (bar: median, dots: each loss)")
    axes.set_title("Indicator lead time")
    return _png(figure)


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


def indicator_table(rows: Sequence[IndicatorAccuracy]) -> str:
    lines = [
        "<table><thead><tr><th>indicator</th><th>flagged</th><th>precision [95% CI]</th><th>recall [95% CI]</th>"
        "<th>median lead (days)</th></tr></thead><tbody>"
    ]
    for row in rows:
        if not row.flagged and row.indicator != "score":
            continue
        median = "-" if row.median_lead_days is None else f"{row.median_lead_days:g} (n={row.true_positives})"
        cells = (str(row.flagged), _rate(_p(row.precision)), _rate(_p(row.recall)), median)
        lines.append(f"<tr><td>{escape(row.indicator)}</td>" + "".join(f"<td>{escape(c)}</td>" for c in cells))
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _p(p: Any) -> dict[str, Any]:
    return {"successes": p.successes, "n": p.n, "value": p.value, "low": p.low, "high": p.high}


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


def render_html(
    measured: Measured,
    weeks: dict[date, Counter[str]],
    closed_renewals: int,
    indicators: Sequence[IndicatorAccuracy],
) -> str:
    report = measured.report
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
    parts.append("<h2>Indicator lead time</h2>")
    leading = [row for row in indicators if row.lead_days]
    if not closed_renewals:
        parts.append('<p class="note">No closed renewals yet: lead times appear once renewals are won or lost.</p>')
    else:
        lost = indicators[0].lost if indicators else 0
        parts.append(
            f'<p class="meta">Against {closed_renewals} closed renewal(s), {lost} lost, '
            f"{INDICATOR_LOOKBACK_DAYS}-day lookback.{_small(lost < min_group_size)}</p>"
        )
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


def write_html(path: Path, session: Session, scoring: ScoringRules, measured: Measured) -> None:
    """Load what the page needs beyond the terminal report, render and write it."""
    last = measured.as_of
    first = last - timedelta(weeks=TIER_HISTORY_WEEKS)
    weeks = tier_weeks(session, first, last)
    closed, indicators = indicator_rows(session, scoring)
    path.write_text(render_html(measured, weeks, closed, indicators), encoding="utf-8")
