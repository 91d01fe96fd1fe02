"""The protocol, step by step through the CLI: import, tickets, history, outcomes, backtest, calibrate, suggest.

Databases (SQLite files in the work directory):
- base: the import and the tickets, nothing scored but what `import` scored itself;
- default: base + history under the default config + every outcome (backtest and calibrate run here);
- fit: the same history + outcomes of the fit half only (`calibrate --out`, `config suggest` run here);
- calibrated / suggested / suggested+calibrated: base + fit-half outcomes + history under that config;
- learned: fit + the model `learn` fitted there, history filled again so each day carries its probability.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.outcome_truth.calls import write_outcomes
from bench.outcome_truth.cli import Healthloop, Run, copy_database, query
from bench.outcome_truth.evaluate import fit_half
from bench.outcome_truth.story import Simulation


@dataclass
class Protocol:
    cli: Healthloop
    work: Path
    sim: Simulation
    fill_from: int
    say: Callable[[str], None] = print
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    defects: dict[str, Any] = field(default_factory=dict)
    databases: dict[str, Path] = field(default_factory=dict)

    @property
    def first(self) -> date:
        return self.sim.day(self.fill_from)

    @property
    def last(self) -> date:
        return self.sim.day(self.sim.days - 1)

    def timed(self, name: str, seconds: float, detail: str = "") -> None:
        self.timings[name] = round(seconds, 2)
        self.say(f"  {name:<34} {seconds:8.1f} s  {detail}")

    def cli_step(self, name: str, db: Path, *args: str, config: Path | None = None, quiet: bool = False) -> Run:
        run = self.cli.run(db, *args, config=config, quiet=quiet)
        first_line = (run.stdout.strip().splitlines() or [""])[0][:110]
        self.timed(name, run.seconds, first_line if run.ok else f"exit {run.returncode}: {_last_line(run.stderr)}")
        return run

    def load(self, export: Path) -> Path:
        """Create the base database: schema, `import` of the export, tickets through the served app."""
        base = self.work / "base.db"
        self.cli_step("db upgrade", base, "db", "upgrade")
        run = self.cli_step("import", base, "import", "--no-progress", str(export))
        self.outputs["import"] = run.stdout.strip()
        churned = {a.account_id for a in self.sim.accounts if a.churn is not None}
        rows = query(base, "SELECT account_id FROM interventions")
        self.defects["interventions_after_import"] = {
            "interventions": len(rows),
            "accounts": len({r[0] for r in rows}),
            "for_accounts_already_churned": sum(1 for r in rows if r[0] in churned),
        }
        started = time.perf_counter()
        posted = self.cli.post_tickets(base, self.sim)
        self.timed(
            "tickets via `serve`",
            time.perf_counter() - started,
            f"{posted['posted']} posted, {posted['failed']} failed",
        )
        self.outputs["tickets"] = posted | {"stored": query(base, "SELECT count(*) FROM tickets")[0][0]}
        self.databases["base"] = base
        return base

    def fill(self, name: str, db: Path, config: Path | None = None) -> None:
        days = (self.last - self.first).days + 1
        args = ("score", "--all", "--from", self.first.isoformat(), "--to", self.last.isoformat(), "--json")
        run = self.cli.run(db, *args, config=config, quiet=True)
        account_days = days * len(self.sim.accounts)
        detail = f"{account_days:,} account-days, {account_days / run.seconds:,.0f}/s"
        self.timed(f"history fill ({name})", run.seconds, detail if run.ok else f"FAILED: {_last_line(run.stderr)}")
        if not run.ok:
            raise SystemExit(f"`healthloop {' '.join(args)}` failed:\n{run.stderr[-2000:]}")

    def with_outcomes(self, name: str, source: Path, outcomes: Path, config: Path | None = None) -> Path:
        db = self.work / f"{name}.db"
        copy_database(source, db)
        self.cli_step(f"outcomes import ({name})", db, "outcomes", "import", str(outcomes))
        self.databases[name] = db
        return db

    def calibrate(self, name: str, db: Path, out: Path | None, config: Path | None = None) -> dict[str, Any]:
        args = ["calibrate"]
        if "--json" in self.cli.help_text("calibrate"):
            args.append("--json")
        if out is not None:
            out.unlink(missing_ok=True)
            args += ["--out", str(out)]
        run = self.cli_step(f"calibrate ({name})", db, *args, config=config)
        text = (run.stdout + run.stderr).strip()
        if run.stdout.strip().startswith("{"):
            decision = orjson.loads(run.stdout)
            comparison = decision.get("comparison") or {}
            claims = {k: comparison[k]["value"] for k in ("live", "proposed") if comparison.get(k)}
            verdict = decision.get("status") == "no_reliable_improvement"
            text = f"{decision.get('status')}: {decision.get('reason')}"
            if comparison.get("difference"):
                d = comparison["difference"]
                text += f"; live {claims.get('live')}, held-out proposed {claims.get('proposed')}"
                text += f", difference {d.get('difference')} [{d.get('low')}, {d.get('high')}]"
        else:
            claims = {k: float(v) for k, v in re.findall(r"\b(live|proposed)\s+AUC\s+([0-9.]+)", text)}
            verdict = "no reliable improvement" in text.lower()
        result = {
            "exit": run.returncode,
            "output": text,
            "claimed_auc": claims,
            "no_reliable_improvement": verdict,
            "proposed": out is not None and out.exists(),
        }
        self.outputs[f"calibrate_{name}"] = result
        return result

    def run(self, export: Path) -> None:
        base = self.load(export)
        outcomes, fit_outcomes = self.work / "outcomes.csv", self.work / "outcomes-fit.csv"
        rows = write_outcomes(self.sim, outcomes)
        fit_accounts = {a.account_id for a in self.sim.accounts if fit_half(a.account_id)}
        fit_rows = write_outcomes(self.sim, fit_outcomes, fit_accounts)
        self.outputs["outcome_rows"] = {"all": rows, "fit_half": fit_rows}

        filled = self.work / "filled.db"
        copy_database(base, filled)
        self.fill("default", filled)
        self.pre_signup_rows(filled)
        default = self.with_outcomes("default", filled, outcomes)
        self.backtest(default)
        self.calibrate("all outcomes", default, None)

        fit = self.with_outcomes("fit", filled, fit_outcomes)
        calibrated = self.work / "calibrated.yaml"
        if self.calibrate("fit half", fit, calibrated)["proposed"]:
            db = self.with_outcomes("calibrated", base, fit_outcomes)
            self.fill("calibrated", db, calibrated)
        self.suggest(fit, base, fit_outcomes)
        self.learned_probability(fit)
        self.open_alert_duplicates(default)

    def backtest(self, db: Path) -> None:
        args = ("backtest", "--json", "--from", self.first.isoformat(), "--to", self.last.isoformat())
        run = self.cli_step("backtest --json", db, *args)
        self.outputs["backtest"] = orjson.loads(run.stdout) if run.ok else {"error": run.stderr[-2000:]}

    def suggest(self, fit: Path, base: Path, fit_outcomes: Path) -> None:
        """(b): `config suggest`, when this version has it, run where only the fit half's outcomes are known."""
        if not self.cli.has_command("config", "suggest"):
            self.outputs["config_suggest"] = "not available yet"
            self.say("  config suggest                     not available yet")
            return
        suggested = self.work / "suggested.yaml"
        if "--out" in self.cli.help_text("config", "suggest"):
            run = self.cli_step("config suggest", fit, "config", "suggest", "--out", str(suggested))
        else:
            run = self.cli_step("config suggest", fit, "config", "suggest")
            if run.ok:
                suggested.write_text(run.stdout)
        check = self.cli.run(fit, "config", "check", str(suggested))
        self.outputs["config_suggest"] = {"exit": run.returncode, "check": (check.stdout + check.stderr).strip()}
        if not (run.ok and check.ok):
            return
        db = self.with_outcomes("suggested", base, fit_outcomes)
        self.fill("suggested", db, suggested)
        recalibrated = self.work / "suggested-calibrated.yaml"
        if self.calibrate("suggested, fit half", db, recalibrated, config=suggested)["proposed"]:
            db = self.with_outcomes("suggested+calibrated", base, fit_outcomes)
            self.fill("suggested+calibrated", db, recalibrated)

    def learned_probability(self, fit: Path) -> None:
        """(d): `healthloop learn` where only the fit half's outcomes are known; when it puts its model in
        use, history is filled again so every stored day carries the probability the held-out half is
        scored by."""
        if not self.cli.has_command("learn"):
            self.outputs["learned_probability"] = "not available yet"
            return
        db = self.work / "learned.db"
        copy_database(fit, db)
        run = self.cli_step("learn --json", db, "learn", "--json")
        report = orjson.loads(run.stdout) if run.stdout.strip().startswith("{") else {"error": run.stderr[-2000:]}
        self.outputs["learned_probability"] = report
        if report.get("status") == "active":
            self.fill("learned", db)
            self.databases["learned"] = db

    def pre_signup_rows(self, db: Path) -> None:
        """Score rows stored for days before the account signed up, and the churns whose score 30 days
        before (what calibrate and the backtest's AUC read) falls on such a day."""
        churns = [a for a in self.sim.accounts if a.churn is not None and a.churn - 30 >= self.fill_from]
        self.defects["churns_whose_score_30_days_before_predates_signup"] = {
            "churns_with_a_score_30_days_before": len(churns),
            "before_signup": sum(1 for a in churns if a.churn - 30 < a.signup),
        }
        signup = {a.account_id: self.sim.day(a.signup).isoformat() for a in self.sim.accounts}
        total = before = churning = 0
        for account_id, day, tier in query(db, "SELECT account_id, day, tier FROM account_scores"):
            total += 1
            if day < signup[account_id]:
                before += 1
                churning += tier == "churning"
        self.defects["score_rows_before_signup"] = {
            "rows": total,
            "before_signup": before,
            "of_which_churning": churning,
        }

    def open_alert_duplicates(self, db: Path) -> None:
        rows = query(
            db,
            "SELECT count(*) FROM (SELECT account_id, trigger_id FROM alerts WHERE cleared_on IS NULL "
            "GROUP BY account_id, trigger_id HAVING count(*) > 1)",
        )
        self.defects["account_trigger_pairs_with_two_open_alerts"] = rows[0][0]


def stored_probabilities(db: Path, sim: Simulation, accounts: list[str], days: list[int]) -> list[float]:
    """Each sample's stored churn probability of the day before its observation date (NaN if none)."""
    wanted = sorted({(sim.day(d) - timedelta(days=1)).isoformat() for d in days})
    marks = ", ".join("?" for _ in wanted)
    rows = query(
        db, f"SELECT account_id, day, churn_probability FROM account_scores WHERE day IN ({marks})", tuple(wanted)
    )
    found = {(account, day): p for account, day, p in rows}
    keys = [(a, (sim.day(d) - timedelta(days=1)).isoformat()) for a, d in zip(accounts, days, strict=True)]
    return [float("nan") if found.get(key) is None else float(found[key]) for key in keys]


def stored_scores(
    db: Path, sim: Simulation, accounts: list[str], days: list[int]
) -> tuple[list[float], list[dict], list[str | None]]:
    """Each sample's stored score, signals and tier of the day before its observation date (NaN, {}, None if none)."""
    wanted = sorted({(sim.day(d) - timedelta(days=1)).isoformat() for d in days})
    marks = ", ".join("?" for _ in wanted)
    rows = query(
        db, f"SELECT account_id, day, score, signals, tier FROM account_scores WHERE day IN ({marks})", tuple(wanted)
    )
    found = {(account, day): rest for account, day, *rest in rows}
    scores, signals, tiers = [], [], []
    for account, d in zip(accounts, days, strict=True):
        score, raw, tier = found.get(
            (account, (sim.day(d) - timedelta(days=1)).isoformat()), (float("nan"), "{}", None)
        )
        scores.append(float(score))
        signals.append(orjson.loads(raw))
        tiers.append(tier)
    return scores, signals, tiers


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:110] if lines else ""
