"""Print what was measured; everything printed is also in the JSON results."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.outcome_truth.story import MECHANISMS, Simulation

DIAGNOSTICS = ("default signal", "setup steps", "ceiling")


def churn_summary(sim: Simulation) -> dict[str, Any]:
    """Churn rate per account-month alive, and which mechanism each churn came from, per segment."""
    summary: dict[str, Any] = {}
    for segment in ("single", "multi", "all"):
        accounts = [a for a in sim.accounts if segment in ("all", a.segment)]
        if not accounts:
            continue
        alive_days = sum((a.churn if a.churn is not None else sim.days) - a.signup for a in accounts)
        churned = [a for a in accounts if a.churn is not None]
        causes = Counter(a.cause for a in churned)
        summary[segment] = {
            "accounts": len(accounts),
            "churned": len(churned),
            "monthly_churn_rate": round(30 * len(churned) / max(alive_days, 1), 4),
            "churn_causes": {m: round(causes[m] / max(len(churned), 1), 3) for m in MECHANISMS},
        }
    return summary


def _ci(row: dict[str, Any] | None, signed: bool = False) -> str:
    if not row or row.get("auc") is None:
        return "-"
    low, high = row["ci95"]
    form = "+.3f" if signed else ".3f"
    return f"{row['auc']:{form}} [{low:{form}}, {high:{form}}]"


def print_report(results: dict[str, Any]) -> None:
    run, churn = results["run"], results["churn"]
    print(f"\nchurn ({run['scenario']} scenario): ", end="")
    print(
        "; ".join(
            f"{segment}: {row['churned']} of {row['accounts']} accounts, {row['monthly_churn_rate']:.1%}/month"
            for segment, row in churn.items()
        )
    )
    causes = churn["all"]["churn_causes"]
    print("  churns by mechanism: " + ", ".join(f"{m} {share:.0%}" for m, share in causes.items()))
    s = results["samples"]
    print(
        f"observation dates {', '.join(s['dates'])}: {s['n']} samples ({s['positives']} churned within 30 days) "
        f"from {s['accounts']} accounts; held out: {s['held_out_n']} ({s['held_out_positives']})"
    )
    _print_product(results["product"])
    table = results["comparison"]
    print("\nheld-out accounts, churn within 30 days; AUC of (100 - score) for healthloop's scores:")
    print(f"  {'method':<46} {'AUC [95% CI]':<24} {'n':>6} {'pos':>5}  {'minus 14-day baseline [95% CI]'}")
    for name, row in table["all"].items():
        if name.startswith(DIAGNOSTICS):
            continue
        print(
            f"  {name:<46} {_ci(row):<24} {row['n']:>6} {row['positives']:>5}  {_ci(row.get('minus_baseline'), True)}"
        )
    for name, status in results["not_measured"].items():
        print(f"  {name:<46} {status}")
    segments = [k for k in ("single", "multi") if k in table]
    if segments:
        print("\nper segment (held-out):")
        print(f"  {'method':<46} " + "  ".join(f"{k:<24}" for k in segments))
        for name in table["all"]:
            print(f"  {name:<46} " + "  ".join(f"{_ci(table[k].get(name)):<24}" for k in segments))
    print("\ndiagnostics (held-out; a signal's null samples left out):")
    for name, row in table["all"].items():
        if name.startswith(DIAGNOSTICS):
            extra = f"null {row['null_share']:.0%}, {row['distinct_values']} distinct values"
            print(f"  {name:<46} {_ci(row):<24} {row['n']:>6} {row['positives']:>5}  {extra}")
    for name, row in table["all accounts, nothing fitted"].items():
        print(f"  {name + ', all accounts':<46} {_ci(row):<24} {row['n']:>6} {row['positives']:>5}")
    print("\nscores on the observation samples (min / median / max; tiers):")
    for name, spread in results["score_spread"].items():
        tiers = ", ".join(f"{tier} {share:.0%}" for tier, share in spread["tiers"].items())
        scores = " / ".join(f"{spread[key]:.0f}" for key in ("score_min", "score_median", "score_max"))
        print(f"  {name:<46} {scores}; {tiers}")
    print("\ndefects observed:")
    for name, value in results["defects"].items():
        print(f"  {name}: {value}")
    print("\nwall time per step (s): " + ", ".join(f"{k} {v:.1f}" for k, v in results["timings"].items()))


def _print_product(product: dict[str, Any]) -> None:
    backtest = product.get("backtest", {})
    if "score_auc" in backtest:
        aucs = ", ".join(
            f"{row['days_before']} d before: {'-' if row['auc'] is None else format(row['auc'], '.3f')}"
            for row in backtest["score_auc"]
        )
        closed = backtest.get("renewals", {})
        print(f"backtest (product): score AUC lost vs won renewals {aucs}; renewals {closed}")
        churning = backtest.get("tiers", {}).get("churning", {})
        print(f"  backtest tier Churning: {churning}")
        for row in backtest.get("indicators", []):
            if row["flagged"]:
                p, r = row["precision"], row["recall"]
                print(
                    f"  {row['indicator']:<20} flagged {row['flagged']:>5}: precision {p['value']:.0%} "
                    f"[{p['low']:.0%}, {p['high']:.0%}], recall {r['value']:.0%} [{r['low']:.0%}, {r['high']:.0%}]"
                )
    for key in ("calibrate_all outcomes", "calibrate_fit half", "calibrate_suggested, fit half"):
        if key in product:
            out = product[key]
            lines = [
                line
                for line in out["output"].splitlines()
                if not line.startswith(("---", "+++", "@@", " ")) or "AUC" in line
            ]
            print(f"{key.removeprefix('calibrate_')} -> `healthloop calibrate` (exit {out['exit']}) said:")
            for line in lines[:14]:
                print(f"    {line[:150]}")
            print(f"  says 'no reliable improvement': {'yes' if out['no_reliable_improvement'] else 'no'}")
    print(f"config suggest: {product.get('config_suggest')}")
    learned = product.get("learned_probability")
    if isinstance(learned, dict) and "status" in learned:
        diff = learned.get("difference") or {}
        prob, score = learned.get("probability") or {}, learned.get("score") or {}
        print(
            f"`healthloop learn` on the fit half: {learned['status']} ({learned['samples']} observations, "
            f"{learned['churned']} churned); its own held-out AUC {prob.get('auc')} vs the score's {score.get('auc')}, "
            f"difference {diff.get('value')} [{diff.get('low')}, {diff.get('high')}]"
        )
    else:
        print(f"learned churn probability: {learned}")
