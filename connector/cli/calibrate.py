"""`healthloop calibrate`: fit weights and tier bands to stored outcomes and print the proposal (never applied)."""

from __future__ import annotations

import difflib
from pathlib import Path

import click
import yaml

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.jobs.runtime import open_database
from connector.measure.calibrate import load_samples, proposed_yaml
from scoring.calibrate import Evaluation, calibrate


def _evaluation(label: str, e: Evaluation) -> str:
    auc = "-" if e.auc is None else f"{e.auc:.3f}"
    precision = "-" if e.precision_at_risk is None else f"{e.precision_at_risk:.0%} of {e.flagged} flagged"
    return f"  {label:<9} AUC {auc}, precision at the At Risk threshold {precision} ({e.samples} held-out renewals)"


@click.command("calibrate")
@click.option("--days-before", default=30, show_default=True, type=click.IntRange(0, 365), help="Signals this early.")
@click.option("--step", default=0.05, show_default=True, type=click.FloatRange(0.01, 0.5), help="Weight grid step.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the proposed config here.")
def calibrate_command(days_before: int, step: float, out: Path | None) -> None:
    """Fit signal weights and tier bands to stored outcomes; print the proposed YAML diff (never applied)."""
    settings = load_settings()
    config = load_config(settings.config_path)
    with open_database(settings) as sessions, sessions() as session:
        samples = load_samples(session, days_before)
    lost = sum(1 for s in samples if s.lost)
    if lost < 2 or len(samples) - lost < 2:
        raise click.ClickException(
            f"{len(samples)} closed renewal(s) with signals {days_before} days before ({lost} lost): calibration needs "
            "at least 2 lost and 2 won; import history with `healthloop outcomes import FILE` or `outcomes pull`"
        )
    try:
        result = calibrate(samples, config.scoring.weights, config.scoring.tiers, step)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"fitted on {result.fitted_on} renewal(s), compared on {result.held_out} held-out:")
    click.echo(_evaluation("live", result.old))
    click.echo(_evaluation("proposed", result.proposed))
    live = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False).splitlines(keepends=True)
    proposed = proposed_yaml(config, result)
    click.echo("".join(difflib.unified_diff(live, proposed.splitlines(keepends=True), "live", "proposed", n=2)))
    if out is not None:
        out.write_text("# proposed by `healthloop calibrate`; check it with `healthloop config diff`\n" + proposed)
        click.echo(f"wrote {out}; the live config is unchanged (HEALTHLOOP_CONFIG)")
