"""The `healthloop crm provision` and `healthloop sync --json` steps the CRM end-to-end tests share."""

from __future__ import annotations

from typing import Any

import orjson
from click.testing import CliRunner

from connector.cli.main import cli


def provision(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["crm", "provision"], env=env)
    assert result.exit_code == 0, result.output


def sync_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    """`healthloop sync ... --json`; exit 1 (some record failed) still prints the report."""
    result = CliRunner().invoke(cli, ["sync", *args, "--json"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    return orjson.loads(result.output)
