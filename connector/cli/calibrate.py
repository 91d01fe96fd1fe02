"""`healthloop calibrate`: fit weights and tier bands to stored outcomes, judged on accounts the fit never saw;
print live vs proposed with intervals, and a proposal only when it is reliably better (never applied)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click
import orjson
import yaml

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.jobs.runtime import open_database
from connector.measure.calibrate import calibration_json, load_samples, proposed_yaml
from connector.measure.report_text import format_auc, format_difference, format_rate
from scoring.calibrate import CalibrationRules, calibrate

TENURE_TEXT = {
    "stratified": "stratified by tenure: each lost renewal is compared only with won renewals of the same "
    "tenure (an account's first renewal, or a later one)",
    "first": "restricted to accounts' first renewals",
    "later": "restricted to renewals after an account's first",
}


@click.command("calibrate")
@click.option("--days-before", default=30, show_default=True, type=click.IntRange(0, 365), help="Signals this early.")
@click.option("--step", default=0.05, show_default=True, type=click.FloatRange(0.01, 0.5), help="Weight grid step.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20), help="Held-out account groups.")
@click.option(
    "--tenure",
    type=click.Choice(("stratified", "first", "later")),
    default="stratified",
    show_default=True,
    help="Compare first and later renewals apart (stratified), or use only one kind.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write a proposed config here (if any).")
@click.option("--json", "as_json", is_flag=True)
def calibrate_command(days_before: int, step: float, folds: int, tenure: str, out: Path | None, as_json: bool) -> None:
    """Fit weights and tier bands to stored outcomes; propose them only if reliably better on held-out accounts."""
    settings = load_settings()
    config = load_config(settings.config_path)
    with open_database(settings) as sessions, sessions() as session:
        samples = load_samples(session, days_before)
    rules = CalibrationRules(folds=folds, step=step, tenure=tenure)  # type: ignore[arg-type]
    result = calibrate(samples, config.scoring.weights, config.scoring.tiers, rules)
    data = calibration_json(result, days_before)
    proposal = proposed_yaml(config, result) if result.status == "improvement" else None
    if proposal is not None and out is not None:
        out.write_text("# proposed by `healthloop calibrate`; check it with `healthloop config diff`\n" + proposal)
    if as_json:
        click.echo(orjson.dumps(data | {"written": str(out) if proposal and out else None}, option=orjson.OPT_INDENT_2))
    else:
        _print(data)
        if proposal is not None:
            live = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False).splitlines(keepends=True)
            click.echo("".join(difflib.unified_diff(live, proposal.splitlines(keepends=True), "live", "proposed", n=2)))
            if out is not None:
                click.echo(f"wrote {out}; the live config is unchanged (HEALTHLOOP_CONFIG)")
        elif out is not None:
            click.echo(f"nothing written to {out}: there is no proposal")
    if result.status == "refused":
        raise click.exceptions.Exit(1)


def refusal(data: dict[str, Any]) -> str:
    """Why calibrate refused, naming what it needs."""
    samples, need = data["samples"], data["requirement"]
    if need["met"]:
        return f"calibrate refused: {data['reason']}"
    wants = []
    if need["lost_needed"] > samples["lost"]:
        wants.append(f"{need['lost_needed']} lost renewals (has {samples['lost']})")
    if need["won_needed"] > samples["won"]:
        wants.append(f"{need['won_needed']} won renewals (has {samples['won']})")
    return (
        f"calibrate refused: {data['reason']}: it needs at least {' and '.join(wants)} with signals "
        f"{data['days_before']} days before closing, so that a held-out AUC is known to within ±0.10 even for "
        "a score with no skill; import more with `healthloop outcomes import FILE` or `outcomes pull`"
    )


def _print(data: dict[str, Any]) -> None:
    s = data["samples"]
    tenure = ", ".join(f"{t} {row['renewals']} ({row['lost']} lost)" for t, row in s["by_tenure"].items())
    click.echo(
        f"calibrate: {s['renewals']} closed renewal(s) with signals {data['days_before']} days before "
        f"({s['lost']} lost, {s['won']} won) from {s['accounts']} account(s); by tenure: {tenure}"
    )
    click.echo(f"  {TENURE_TEXT[data['tenure']]}")
    if data["constant_signals"]:
        click.echo(f"  constant on these renewals, so given no weight: {', '.join(data['constant_signals'])}")
    if data["status"] == "refused":
        click.echo(refusal(data), err=True)
        return
    c = data["comparison"]
    click.echo(
        f"held out: {data['folds']} groups of accounts; each group scored by weights and bands fitted on the others "
        "(no account in both)"
    )
    click.echo(f"  live      AUC {format_auc(c['live'])}")
    click.echo(f"  proposed  AUC {format_auc(c['proposed'])}  (held out)")
    click.echo(f"  proposed - live: {format_difference(c['difference'])}")
    for row in c["by_tenure"]:
        if row["live"]["n"]:
            click.echo(
                f"  {row['tenure']:<6} renewals: live {format_auc(row['live'])}; proposed {format_auc(row['proposed'])}"
            )
    flags = c["at_risk_flags"]
    for label in ("live", "proposed"):
        f = flags[label]
        click.echo(
            f"  At Risk flags ({label}): {f['flagged']} flagged; precision {format_rate(f['precision'])}, "
            f"recall {format_rate(f['recall'])}"
        )
    if data["status"] == "improvement":
        p = data["proposal"]
        click.echo(
            f"verdict: reliable improvement ({data['reason']}); proposal refitted on all {s['renewals']} renewals:"
        )
        click.echo(f"  scores span {p['score_range'][0]}-{p['score_range'][1]}; renewals per tier {p['tier_counts']}")
    else:
        click.echo(f"verdict: no reliable improvement ({data['reason']}); no proposal, the live config stays as it is")
