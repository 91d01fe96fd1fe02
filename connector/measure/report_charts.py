"""The report page's charts: matplotlib's Agg canvas through `matplotlib.figure.Figure` (never pyplot: no
GUI backend, no global state), each returned as an inline base64 PNG `<img>`. Every rate, AUC and
difference is drawn with its 95% interval and labelled with the counts it rests on."""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from scoring.rules import TIER_LABELS, TIERS

TIER_COLOURS = {
    "healthy": "#2e7d32",
    "monitor": "#9ccc65",
    "at_risk": "#ffb300",
    "critical": "#ef6c00",
    "churning": "#c62828",
}
TREATED, CONTROL, RECALL = "#1565c0", "#9e9e9e", "#ef6c00"


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


def lead_chart(rows: Sequence[dict[str, Any]]) -> str:
    """Median lead time per indicator (bar) and each warned loss (dots); rows as `indicator_json` writes them."""
    figure = _figure(9, 0.9 + 0.45 * len(rows))
    axes = figure.add_subplot()
    for y, row in enumerate(rows):
        median = row["median_lead_days"] or 0
        axes.barh(y, median, color=TREATED, alpha=0.7)
        axes.scatter(row["lead_days"], [y] * len(row["lead_days"]), color="#222", s=10, zorder=3)
        axes.annotate(
            f"{median:g} d (n={row['true_positives']})", (median, y),
            textcoords="offset points", xytext=(4, -3), fontsize=7,
        )  # fmt: skip
    axes.set_yticks(range(len(rows)), [row["indicator"] for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel("days before the lost renewal closed (bar: median, dots: each loss)")
    axes.set_title("Indicator lead time")
    return _png(figure)


def accuracy_chart(rows: Sequence[dict[str, Any]]) -> str:
    """Precision and recall per indicator with their 95% intervals (bars) and counts."""
    figure = _figure(10, 0.9 + 0.6 * len(rows))
    axes = figure.add_subplot()
    for name, colour, offset in (("precision", TREATED, -0.15), ("recall", RECALL, 0.15)):
        labelled = False
        for y, row in enumerate(rows):
            p = row[name]
            if not p["n"]:
                continue
            low, high = _error(p)
            axes.errorbar(
                p["value"], y + offset, xerr=[[low], [high]], fmt="o", color=colour, capsize=4,
                label=None if labelled else name,
            )  # fmt: skip
            labelled = True
            axes.annotate(
                f"{p['value']:.0%} ({p['successes']}/{p['n']})", (p["value"], y + offset),
                textcoords="offset points", xytext=(6, 4), fontsize=7, color=colour,
            )  # fmt: skip
    axes.set_yticks(range(len(rows)), [row["indicator"] for row in rows])
    axes.set_xlim(-0.02, 1.3)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlabel("precision (lost / flagged) and recall (flagged / lost), 95% intervals")
    axes.legend(fontsize="small", loc="lower right")
    axes.set_title("Indicator accuracy against closed renewals")
    return _png(figure)


def auc_chart(rows: Sequence[dict[str, Any]]) -> str:
    """The score's AUC some days before renewal with its 95% interval; 0.5 is chance."""
    figure = _figure(7, 2.8)
    axes = figure.add_subplot()
    shown = [row for row in rows if row["auc"] is not None]
    for x, row in enumerate(shown):
        low = row["auc"] - (row["low"] if row["low"] is not None else row["auc"])
        high = (row["high"] if row["high"] is not None else row["auc"]) - row["auc"]
        axes.errorbar(x, row["auc"], yerr=[[low], [high]], fmt="s", color=TREATED, capsize=5)
        axes.annotate(
            f"{row['auc']:.2f} (n={row['n']}, {row['lost']} lost)", (x, row["auc"]),
            textcoords="offset points", xytext=(8, -3), fontsize=7,
        )  # fmt: skip
    axes.axhline(0.5, color="#444", linewidth=0.8, linestyle="--")
    axes.set_xticks(range(len(shown)), [f"{row['days_before']} days before" for row in shown])
    axes.set_xlim(-0.5, len(shown) - 0.2)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("AUC (0.5 = chance)")
    axes.set_title("Score AUC before renewal (95% intervals)")
    return _png(figure)
