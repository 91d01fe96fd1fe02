"""Outcomes read back without a CRM: a CSV of past renewals and churns, used by the backtest."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli.main import cli
from connector.models import Renewal
from tests.integration.segment_calls import TODAY, drain, history_batch, send

pytestmark = pytest.mark.integration


def test_importing_outcomes_is_idempotent_and_feeds_the_backtest(client, auth_headers, runtime, database_url, tmp_path):
    send(client, auth_headers, history_batch("acct_lost", seats=10, active_days=range(30, 80)))
    drain(runtime)
    lost_on = TODAY.date().isoformat()
    path = tmp_path / "outcomes.csv"
    path.write_text(f"account_id,date,outcome\nacct_lost,{lost_on},churned\nacct_kept,2026-01-15,won\n")
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    first = CliRunner().invoke(cli, ["outcomes", "import", str(path)], env=env)
    assert first.exit_code == 0 and "2 new" in first.output, first.output
    again = CliRunner().invoke(cli, ["outcomes", "import", str(path)], env=env)
    assert again.exit_code == 0 and "0 new, 2 already imported" in again.output, again.output
    with runtime.sessions() as session:
        stored = {(r.account_id, r.status) for r in session.scalars(select(Renewal))}
    assert stored == {("acct_lost", "churned"), ("acct_kept", "won")}
    backtest = CliRunner().invoke(cli, ["backtest", "--json"], env=env)
    assert backtest.exit_code == 0, backtest.output
    report = orjson.loads(backtest.output)
    assert report["losses"] == 1
    assert report["triggers"]["inactive"]["losses_warned"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("account,date,outcome\na,2026-01-01,won\n", "the header needs account_id,date,outcome"),
        ("account_id,date,outcome\na,01/02/2026,won\n", ":2: date must be YYYY-MM-DD"),
        ("account_id,date,outcome\na,2026-01-01,renewed\n", ":2: outcome must be won, lost or churned"),
    ],
)
def test_a_bad_outcomes_file_is_refused_naming_the_line(tmp_path, sqlite_url, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = CliRunner().invoke(cli, ["outcomes", "import", str(path)], env={"HEALTHLOOP_DATABASE_URL": sqlite_url})
    assert result.exit_code == 2 and message in result.output, result.output
