"""History that tells the truth: backfills and imports store nothing before an account existed, never
leave two open alerts for one problem, and never create today's work for accounts long gone."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from connector.cli.main import cli
from connector.health.new_work import latest_renewals
from connector.store.models import AccountScore, Alert, Intervention, Renewal
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


@pytest.mark.parametrize("to_days_ago", [0, 1, 20], ids=["to-today", "to-yesterday", "to-three-weeks-ago"])
def test_an_import_rescored_in_process_then_a_backfill_leaves_one_open_alert_per_trigger(
    tmp_path, runtime, database_url, to_days_ago
):
    """The 1,276 pairs of the issue, in miniature: the live rescore of the import opens today's alerts,
    then the backfill walks the same silence from the past and must not open a second one."""
    rows = exported_account("acct_quiet", active_days=range(30, 120), signed_up_days_ago=130)
    rows += exported_account("acct_fading", active_days=range(20, 100), signed_up_days_ago=100)
    export = write_export(tmp_path / "export.jsonl", rows)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": NO_REDIS}
    _run(env, "import", str(export), "--no-progress")
    assert _open_alert_pairs(runtime), "the import's in-process rescore opened alerts today"
    _run(env, "score", "--all", "--from", day_ago(45).isoformat(), "--to", day_ago(to_days_ago).isoformat())
    pairs = _open_alert_pairs(runtime)
    assert ("acct_quiet", "inactive") in pairs
    assert {pair: n for pair, n in pairs.items() if n > 1} == {}
    with runtime.sessions() as session:
        inactive = session.scalar(
            select(Alert.fired_on).where(
                Alert.account_id == "acct_quiet", Alert.trigger_id == "inactive", Alert.cleared_on.is_(None)
            )
        )
    silence_counts_from = day_ago(30) + timedelta(days=14)
    assert inactive == (silence_counts_from if to_days_ago <= 16 else day_ago(0)), (
        "the open alert dates from the first day the backfill saw the silence count, else the import's rescore"
    )


def _alert_history(runtime) -> set[tuple]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return set(session.execute(select(Alert.account_id, Alert.trigger_id, Alert.fired_on, Alert.cleared_on)).all())


def test_the_alerts_after_an_import_and_a_backfill_are_those_a_clean_backfill_stores(tmp_path, runtime, database_url):
    rows = exported_account("acct_quiet", active_days=range(30, 120), signed_up_days_ago=130)
    rows += exported_account("acct_back", active_days=range(0, 10), signed_up_days_ago=100)
    rows += exported_account("acct_back", active_days=range(40, 100))[1:]
    export = write_export(tmp_path / "export.jsonl", rows)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": NO_REDIS}
    _run(env, "import", str(export), "--no-progress")
    _run(env, "score", "--all", "--from", day_ago(60).isoformat())
    after_import = _alert_history(runtime)
    assert ("acct_back", "inactive", day_ago(40) + timedelta(days=14), day_ago(9)) in after_import, (
        "the silence between the two active spells opened an alert that cleared when activity resumed"
    )
    _run(env, "score", "--all", "--from", day_ago(60).isoformat())
    assert _alert_history(runtime) == after_import, "running the same backfill again changes nothing"
    with runtime.sessions.begin() as session:
        session.execute(Alert.__table__.delete())
        session.execute(AccountScore.__table__.delete())
    _run(env, "score", "--all", "--from", day_ago(60).isoformat())
    assert _alert_history(runtime) == after_import


def test_a_backfill_stores_no_score_before_the_accounts_start(tmp_path, runtime, database_url):
    rows = exported_account("acct_signed", active_days=range(0, 18), signed_up_days_ago=20)
    rows += exported_account("acct_unsigned", active_days=range(0, 10))
    rows += exported_account("acct_early", active_days=range(0, 15), signed_up_days_ago=5)
    export = write_export(tmp_path / "export.jsonl", rows)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    _run(env, "import", str(export), "--no-progress")
    result = CliRunner().invoke(cli, ["score", "--all", "--from", day_ago(40).isoformat()], env=env)
    assert result.exit_code == 0, result.output
    assert f"{41 * 3 - (21 + 10 + 15)} account-day(s) before the account's start" in result.stderr
    with runtime.sessions() as session:
        stored = dict(
            session.execute(
                select(AccountScore.account_id, func.min(AccountScore.day)).group_by(AccountScore.account_id)
            ).all()
        )
        rows_stored = session.scalar(select(func.count()).select_from(AccountScore))
        alerts_before_start = session.scalar(
            select(func.count()).where(Alert.account_id == "acct_signed", Alert.fired_on < day_ago(20))
        )
    assert stored == {"acct_signed": day_ago(20), "acct_unsigned": day_ago(9), "acct_early": day_ago(14)}
    assert rows_stored == 21 + 10 + 15
    assert alerts_before_start == 0


def test_scoring_one_account_before_its_start_says_so_and_stores_nothing(tmp_path, runtime, database_url):
    export = write_export(tmp_path / "export.jsonl", exported_account("acct_new", active_days=range(0, 5)))
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    _run(env, "import", str(export), "--no-progress")
    result = CliRunner().invoke(cli, ["score", "acct_new", "--as-of", day_ago(30).isoformat()], env=env)
    assert result.exit_code == 0, result.output
    assert "1 account-day(s) before the account's start" in result.stderr
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AccountScore)) == 0


def _interventions(runtime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return dict(
            session.execute(select(Intervention.account_id, func.count()).group_by(Intervention.account_id)).all()
        )


def test_a_year_old_import_then_live_scoring_creates_no_work_for_long_gone_accounts(tmp_path, runtime, database_url):
    rows = exported_account("acct_gone", active_days=range(365, 500), signed_up_days_ago=500)
    rows += exported_account("acct_left_early", active_days=range(420, 450))
    rows += exported_account("acct_recent", active_days=range(20, 200), signed_up_days_ago=200)
    export = write_export(tmp_path / "export.jsonl", rows)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": NO_REDIS}
    _run(env, "import", str(export), "--no-progress")
    assert set(_interventions(runtime)) == {"acct_recent"}, "silent 20 days: win-back; silent a year: nothing"
    _run(env, "score", "--all", "--from", day_ago(400).isoformat())
    _run(env, "score", "--all")
    assert set(_interventions(runtime)) == {"acct_recent"}
    with runtime.sessions() as session:
        open_alerts = set(session.scalars(select(Alert.account_id).where(Alert.cleared_on.is_(None))))
    assert "acct_gone" in open_alerts, "history still says what was wrong; only the work is withheld"


def test_an_account_whose_latest_renewal_closed_lost_gets_no_new_work_until_a_later_win(
    tmp_path, runtime, database_url
):
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(f"account_id,date,outcome\nacct_recent,{day_ago(10)},churned\n")
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    _run(env, "outcomes", "import", str(outcomes))
    rows = exported_account("acct_recent", active_days=range(20, 200), signed_up_days_ago=200)
    rows += exported_account("acct_gone", active_days=range(365, 500), signed_up_days_ago=500)
    _run(env, "import", str(write_export(tmp_path / "export.jsonl", rows)), "--no-progress")
    first = CliRunner().invoke(cli, ["score", "--all"], env=env)
    assert "acct_recent: no new work (its latest renewal closed churned)" in first.stderr
    assert (
        "acct_gone: no new work (no meaningful activity for more than 60 days, the playbook's horizon)" in first.stderr
    )
    assert _interventions(runtime) == {}
    outcomes.write_text(f"account_id,date,outcome\nacct_recent,{day_ago(5)},renewed\n")
    _run(env, "outcomes", "import", str(outcomes))
    with runtime.sessions.begin() as session:
        session.execute(Alert.__table__.delete())
    _run(env, "score", "acct_recent")
    assert set(_interventions(runtime)) == {"acct_recent"}, "renewed after the churn: a customer again"


def test_accounts_history_reads_any_stored_range_as_a_table_json_or_csv(tmp_path, runtime, database_url):
    rows = exported_account("acct_back", active_days=range(0, 10), signed_up_days_ago=150)
    rows += exported_account("acct_back", active_days=range(40, 150))[1:]
    export = write_export(tmp_path / "export.jsonl", rows)
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "HEALTHLOOP_REDIS_URL": runtime.settings.redis_url}
    _run(env, "import", str(export), "--no-progress")
    _run(env, "score", "acct_back", "--from", day_ago(160).isoformat())
    everything = orjson.loads(_run(env, "accounts", "history", "acct_back", "--json"))
    assert [day["day"] for day in everything] == [day_ago(n).isoformat() for n in range(150, -1, -1)]
    assert set(everything[0]) == {
        "day", "score", "tier", "trend_delta", "trend_direction", "activity", "engagement", "milestones", "recency",
        "open_triggers", "reason",
    }  # fmt: skip
    by_day = {day["day"]: day for day in everything}
    assert "inactive" in by_day[day_ago(20).isoformat()]["open_triggers"], "silent since 40 days ago"
    assert "inactive" not in by_day[day_ago(5).isoformat()]["open_triggers"], "active again"
    start, end = day_ago(130).isoformat(), day_ago(100).isoformat()
    window = orjson.loads(_run(env, "accounts", "history", "acct_back", "--from", start, "--to", end, "--json"))
    assert window == [day for day in everything if start <= day["day"] <= end] and len(window) == 31
    table = list(csv.DictReader(io.StringIO(_run(env, "accounts", "history", "acct_back", "--csv", "--to", end))))
    assert len(table) == 51 and table[0]["day"] == day_ago(150).isoformat()
    assert table[-1]["score"] == str(by_day[end]["score"])
    assert table[-1]["open_triggers"] == ";".join(by_day[end]["open_triggers"])
    printed = _run(env, "accounts", "history", "acct_back", "--from", start, "--to", end)
    assert "31 day(s)" in printed
    unknown = CliRunner().invoke(cli, ["accounts", "history", "nobody"], env=env)
    assert unknown.exit_code == 1 and "no account 'nobody'" in unknown.output
    backwards = CliRunner().invoke(cli, ["accounts", "history", "acct_back", "--from", end, "--to", start], env=env)
    assert backwards.exit_code == 2 and f"--from {end} is after --to {start}" in backwards.output


def test_the_latest_renewal_is_the_last_closed_by_today_or_one_still_open(runtime):
    now = datetime.now(UTC)
    renewals = {
        "acct_lost": [("lost", 10), ("open", 20)],  # a stale open deal from before the loss
        "acct_reopened": [("churned", 10), ("open", -30)],  # a renewal being negotiated again
        "acct_future_win": [("lost", 10), ("won", -30)],  # not closed yet, whatever the stage says
        "acct_won": [("lost", 300), ("won", 5)],
    }
    with runtime.sessions.begin() as session:
        session.add_all(
            Renewal(source="hubspot", external_id=f"{account}-{n}", account_id=account, close_date=day_ago(back),
                    status=status, updated_at=now)
            for account, rows in renewals.items()
            for n, (status, back) in enumerate(rows)
        )  # fmt: skip
    with runtime.sessions() as session:
        latest = latest_renewals(session, [*renewals, "acct_none"], day_ago(0))
    assert latest == {"acct_lost": "lost", "acct_reopened": "open", "acct_future_win": "lost", "acct_won": "won"}
