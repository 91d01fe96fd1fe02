"""`healthloop learn`: fit a churn probability on stored history and outcomes; use it only if it beats the score."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime

import click
import orjson

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.errors import ConfigurationError
from connector.jobs.runtime import open_database
from connector.measure.learn import HORIZON_DAYS, Learned, evaluation_json, load_samples
from connector.measure.learn_status import auc_text
from connector.store.db import make_engine, make_sessionmaker
from scoring.churn import FEATURE_LABELS


@click.command("learn")
@click.option("--horizon", default=HORIZON_DAYS, show_default=True, type=click.IntRange(7, 365), help="Days ahead.")
@click.option("--dry-run", is_flag=True, help="Fit and evaluate; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def learn_command(horizon: int, dry_run: bool, as_json: bool) -> None:
    """Fit a churn probability (logistic regression on the signals and behaviour counts), evaluate it on
    held-out accounts against the health score, and use it only when it is reliably better."""
    if importlib.util.find_spec("sklearn") is None:
        raise ConfigurationError("`healthloop learn` needs scikit-learn: pip install 'healthloop[learn]'")
    from connector.measure.learn import fit, store  # fit imports scikit-learn, an optional extra

    settings = load_settings()
    rules = load_config(settings.config_path).scoring
    now = datetime.now(UTC)
    with open_database(settings) as sessions, sessions() as session:
        samples = load_samples(session, rules, now.date(), horizon)
    learned = fit(samples, horizon)
    stored = None
    if not dry_run and learned.model is not None:
        engine = make_engine(settings.database_url)
        try:
            with make_sessionmaker(engine).begin() as session:
                stored = store(session, learned, now)
        finally:
            engine.dispose()
    if as_json:
        click.echo(orjson.dumps(evaluation_json(learned) | {"model_id": stored}, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(learned, stored)
    if learned.status == "refused":
        sys.exit(1)


def _print(learned: Learned, stored: int | None) -> None:
    data = evaluation_json(learned)
    days = learned.observation_days
    span = f"{days[0]} .. {days[-1]}" if days else "no observation days"
    click.echo(
        f"{learned.samples} observations ({learned.churned} churned within the horizon) of {learned.accounts} "
        f"account(s), {len(days)} observation days {span}"
    )
    if learned.comparison is not None:
        difference = data["difference"] or {}
        click.echo(f"  held-out AUC, learned probability  {auc_text(data['probability'])}")
        click.echo(f"  held-out AUC, health score         {auc_text(data['score'])}")
        if difference.get("value") is not None:
            click.echo(
                f"  difference                         {difference['value']:+.3f} "
                f"[{difference['low']:+.3f} to {difference['high']:+.3f}]"
            )
    click.echo(learned.reason)
    if learned.model is not None:
        weights = sorted(zip(learned.model.coefficients, learned.model.features, strict=True), key=lambda w: -abs(w[0]))
        words = ", ".join(f"{FEATURE_LABELS[name]} {weight:+.2f}" for weight, name in weights[:5])
        click.echo(f"strongest inputs (log-odds per standard deviation; + raises the risk): {words}")
    if stored is not None:
        click.echo(
            f"stored as model {stored}" + ("; scoring uses it from now on" if learned.status == "active" else "")
        )
