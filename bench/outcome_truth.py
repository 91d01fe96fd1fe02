"""Outcome-truth benchmark: does the health score (and what Learn proposes) rank the accounts that churn?

    .venv/bin/python bench/outcome_truth.py [--quick] [--scenario mixed|noise] [--segment single|multi|both]
                                            [--accounts N] [--days N] [--seed N] [--end YYYY-MM-DD]

A seeded simulator writes a customer base (bench/outcome_truth/story.py tells the story) as a
Segment-spec JSON Lines export, an outcomes CSV and ticket webhooks. Then, through the real CLI
(SQLite, no Redis, no CRM): `import`, tickets to `serve`, `score --all --from --to`, `outcomes
import`, `backtest --json`, `calibrate`, `config suggest` when it exists. The independent check:
at four monthly observation dates, every account at least 28 days old that has not churned,
labelled by churn within 30 days, scored by its stored score of the day before; AUC on held-out
accounts (stable 50/50 hash split) with a 95% bootstrap interval over accounts, against two
baselines computed from the simulated events. Results go to bench/results/outcome_truth-<scenario>.json
(`-<segment>` appended for one segment).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from bench.outcome_truth.cli import Healthloop  # noqa: E402
from bench.outcome_truth.compare import CONFIGS, LEARNED, compare, risks  # noqa: E402
from bench.outcome_truth.evaluate import build_samples, observation_days  # noqa: E402
from bench.outcome_truth.protocol import Protocol  # noqa: E402
from bench.outcome_truth.report import churn_summary, print_report  # noqa: E402
from bench.outcome_truth.simulate import simulate  # noqa: E402

FILL_LEAD_DAYS = 45
"""History is filled from this many days before the first observation date (calibrate looks 30 days back)."""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("mixed", "noise"), default="mixed")
    parser.add_argument("--segment", choices=("single", "multi", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="300 accounts over 120 days (a few minutes)")
    parser.add_argument("--accounts", type=int, help="default 2000 (--quick: 300)")
    parser.add_argument("--days", type=int, help="default 240 (--quick: 120)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=date.fromisoformat, help="last simulated day (default: yesterday, UTC)")
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--workdir", type=Path, help="keep the export, CSVs and databases here")
    args = parser.parse_args()
    args.accounts = args.accounts or (300 if args.quick else 2000)
    args.days = args.days or (120 if args.quick else 240)
    args.end = args.end or datetime.now(UTC).date() - timedelta(days=1)
    return args


def main() -> None:
    args = _arguments()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="outcome_truth-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = measure(args, work)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print_report(results)
    suffix = "" if args.segment == "both" else f"-{args.segment}"
    out = ROOT / "bench" / "results" / f"outcome_truth-{args.scenario}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    print(f"\nwrote {out.relative_to(ROOT)}")


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Simulate, run the protocol through the CLI, evaluate; everything measured, as one dict."""
    started = time.perf_counter()
    dates = observation_days(args.days)
    print(
        f"outcome-truth: scenario {args.scenario}, segment {args.segment}, seed {args.seed}: "
        f"{args.accounts:,} accounts over {args.days} days ending {args.end}; work directory {work}"
    )
    clock = time.perf_counter()
    export = work / "export.jsonl.gz"
    sim = simulate(args.seed, args.accounts, args.days, args.end, args.scenario, args.segment, export)
    simulate_seconds = time.perf_counter() - clock
    print(f"  {'simulate':<34} {simulate_seconds:8.1f} s  {sim.messages:,} messages, {len(sim.tickets):,} tickets")
    protocol = Protocol(Healthloop(ROOT), work, sim, fill_from=max(0, dates[0] - FILL_LEAD_DAYS))
    protocol.timings["simulate"] = round(simulate_seconds, 2)
    protocol.run(export)

    clock = time.perf_counter()
    samples = build_samples(sim, dates)
    found = risks(protocol, samples)
    comparison = compare(samples, found.methods, found.diagnostics, args.bootstrap, args.seed)
    protocol.timings["evaluate"] = round(time.perf_counter() - clock, 2)
    protocol.timings["total"] = round(time.perf_counter() - started, 2)
    held_out = ~samples.fit
    return {
        "run": {
            "scenario": args.scenario,
            "segment": args.segment,
            "seed": args.seed,
            "accounts": args.accounts,
            "days": args.days,
            "period": [sim.start.isoformat(), sim.day(sim.days - 1).isoformat()],
            "history_filled_from": protocol.first.isoformat(),
            "messages": sim.messages,
            "tickets": len(sim.tickets),
            "bootstrap": args.bootstrap,
            "auc_direction": "AUC for churn: risk = 100 - score (scores and signals), -count (baselines), "
            "fitted probability (logistic regression)",
            "measured_on": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "churn": churn_summary(sim),
        "samples": {
            "dates": [sim.day(d).isoformat() for d in dates],
            "n": len(samples),
            "positives": int(samples.label.sum()),
            "accounts": len(set(samples.account.tolist())),
            "held_out_n": int(held_out.sum()),
            "held_out_positives": int(samples.label[held_out].sum()),
        },
        "product": protocol.outputs,
        "comparison": comparison,
        "not_measured": _not_measured(protocol),
        "score_spread": found.spread,
        "logistic_coefficients": found.coefficients,
        "defects": protocol.defects,
        "timings": protocol.timings,
    }


def _not_measured(protocol: Protocol) -> dict[str, str]:
    """The rows this version of the product cannot fill, and why."""
    missing = {}
    suggest = protocol.outputs.get("config_suggest")
    for name, label in CONFIGS.items():
        if name in protocol.databases:
            continue
        if name.startswith("suggested"):
            missing[label] = "not available yet" if suggest == "not available yet" else "no config to score"
        elif name == "calibrated":
            missing[label] = "calibrate proposed nothing (its output is above)"
    learned = protocol.outputs.get("learned_probability")
    if "learned" not in protocol.databases:
        if not isinstance(learned, dict):
            missing[LEARNED] = "not available yet"
        elif learned.get("status") == "refused":
            missing[LEARNED] = "learn refused: too few churns in the fit half"
        else:
            missing[LEARNED] = "learn: no reliable improvement over the score (not in use; its evaluation is below)"
    return missing


if __name__ == "__main__":
    main()
