"""History that tells the truth: backfills and imports store nothing before an account existed, never
leave two open alerts for one problem, and never create today's work for accounts long gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from connector.cli.main import cli
from connector.store.models import Alert
from tests.integration.exports import NO_REDIS, day_ago, exported_account, write_export

pytestmark = pytest.mark.integration


def _run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _open_alert_pairs(runtime) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        rows = session.execute(
            select(Alert.account_id, Alert.trigger_id, func.count())
            .where(Alert.cleared_on.is_(None))
            .group_by(Alert.account_id, Alert.trigger_id)
        ).all()
    return {(account, trigger): count for account, trigger, count in rows}


def test_an_import_rescored_in_process_then_a_backfill_leaves_one_open_alert_per_trigger(
    tmp_path, runtime, database_url
):
    """The 1,276 pairs of the issue, in miniature: the live rescore of the import opens today's alerts,
    then the backfill walks the same silence from the past and must not open a second one."""
    rows = exported_account("acct_quiet", active_days=range(30, 120), signed_up_days_ago=130)
    rows += exported_account("acct_fading", active_days=range(20, 100), signed_up_days_ago=100)
    export = write_export(tmp_path / "export.jsonl", rows)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": NO_REDIS}
    _run(env, "import", str(export), "--no-progress")
    assert _open_alert_pairs(runtime), "the import's in-process rescore opened alerts today"
    _run(env, "score", "--all", "--from", day_ago(45).isoformat())
    pairs = _open_alert_pairs(runtime)
    assert ("acct_quiet", "inactive") in pairs
    assert {pair: n for pair, n in pairs.items() if n > 1} == {}
    with runtime.sessions() as session:
        inactive = session.scalar(
            select(Alert.fired_on).where(
                Alert.account_id == "acct_quiet", Alert.trigger_id == "inactive", Alert.cleared_on.is_(None)
            )
        )
    assert inactive == day_ago(30) + timedelta(days=14), "the open alert dates from when the silence began to count"
