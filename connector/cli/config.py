"""`healthloop config check | example | diff`: validate, explain and replay a YAML config."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from connector.config.yaml_config import EXAMPLE, load_config


@click.group("config")
def config_cli() -> None:
    """Check and explain the YAML config."""


@config_cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Only the verdict, not the effective config.")
def config_check(file: Path, quiet: bool) -> None:
    """Validate FILE and print the effective config (your values over the defaults)."""
    config = load_config(file)
    if not quiet:
        effective = config.model_dump(mode="json")
        click.echo(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True, width=110).rstrip())
    click.echo(f"# {file}: valid; config version {config.version()}, scoring rules {config.scoring.version()}")


@config_cli.command("example")
def config_example() -> None:
    """Print a commented example config (every value is the default)."""
    click.echo(EXAMPLE.read_text(encoding="utf-8").rstrip())
