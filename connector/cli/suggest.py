"""`healthloop config suggest`: a commented proposal of `scoring.events`, `milestones` and `journeys` from
the stored history (never applied)."""

from __future__ import annotations

from pathlib import Path

import click
import orjson
from sqlalchemy import inspect

from connector.config.settings import load_settings
from connector.config.yaml_config import load_config
from connector.jobs.runtime import open_database
from connector.measure.suggest import suggest_config
from connector.measure.suggest_yaml import render
from connector.store.models import DailyRollup


@click.command("suggest")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the proposal here, not to stdout.")
@click.option("--json", "as_json", is_flag=True, help="The proposal and its evidence as JSON instead of YAML.")
def suggest_command(out: Path | None, as_json: bool) -> None:
    """Propose which events mean what, key features, the core feature and onboarding milestones, from your data.

    Every value carries its evidence as a comment; what the data cannot support keeps its default
    (written commented out). Check the file with `healthloop config check`, compare it with
    `healthloop config diff`, and copy what you keep into your config. Nothing is applied.
    """
    settings = load_settings()
    rules = load_config(settings.config_path).scoring
    with open_database(settings) as sessions, sessions() as session:
        if not inspect(session.get_bind()).has_table(DailyRollup.__tablename__):
            raise click.ClickException(
                "this database has no healthloop tables: point HEALTHLOOP_DATABASE_URL at yours, or run "
                "`healthloop db upgrade` and send or import events first"
            )
        suggestion = suggest_config(session, rules)
    text = (
        orjson.dumps(suggestion.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
        if as_json
        else render(suggestion)
    )
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    counted = {item.key: len(item.picks) for item in suggestion.events if item.picks}
    parts = [f"{n} {key.replace('_', ' ')}" for key, n in counted.items() if key in ("meaningful", "key_features")]
    if suggestion.milestones.picks:
        parts.append(f"{len(suggestion.milestones.picks)} milestones")
    summary = ", ".join(parts) or "nothing suggested: " + suggestion.summary[0]
    click.echo(f"wrote {out} ({summary}); check it with `healthloop config check {out}` (the live config is unchanged)")
