"""`healthloop calibrate`: propose signal weights and tier bands fitted to stored renewal outcomes.

Each closed renewal becomes a sample: the account's stored signals `--days-before` its close date
(the latest score within a week before that day) and whether it was lost. `scoring.calibrate`
fits on a stable 70% of accounts and compares the live and proposed rules on the other 30%.
The result is a proposed YAML (printed as a diff against the live config, or written with
`--out`); the live config is never changed.
"""

from __future__ import annotations

import difflib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config, load_config
from connector.measure.renewals import stored_renewals
from connector.store.models import AccountScore
from connector.store.sql import chunks, in_list
from scoring.calibrate import SIGNALS, Calibration, Evaluation, Sample, calibrate

CARRY_DAYS = 7


def load_samples(session: Session, days_before: int) -> list[Sample]:
    """One sample per closed renewal that has a stored score in the week before `close - days_before`."""
    renewals = [r for r in stored_renewals(session) if r.won is not None]
    by_account: dict[str, list[tuple[date, dict[str, Any]]]] = {}
    accounts = sorted({r.account_id for r in renewals})
    for chunk in chunks(accounts):
        for account_id, day, signals in session.execute(
            select(AccountScore.account_id, AccountScore.day, AccountScore.signals)
            .where(in_list(session, AccountScore.account_id, chunk))
            .order_by(AccountScore.day)
        ):
            by_account.setdefault(account_id, []).append((day, signals or {}))
    samples = []
    for renewal in renewals:
        target = renewal.close_date - timedelta(days=days_before)
        known = [
            signals
            for day, signals in by_account.get(renewal.account_id, [])
            if target - timedelta(CARRY_DAYS) <= day <= target
        ]
        if known:
            values = {name: (known[-1].get(name) or {}).get("value") for name in SIGNALS}
            samples.append(Sample(renewal.account_id, values, lost=renewal.won is False))
    return samples


def proposed_yaml(config: Config, result: Calibration) -> str:
    scoring = config.scoring.model_copy(update={"weights": result.weights, "tiers": result.tiers})
    data = config.model_copy(update={"scoring": scoring}).model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False)


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
    from connector.config.settings import load_settings
    from connector.runtime import open_database

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
