"""Outcomes read back without a CRM: a CSV of past renewals and churns, used by the backtest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.cli.main import cli
from connector.store.db import make_engine
from connector.store.models import AccountScore, Intervention, Renewal
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
    assert again.exit_code == 0 and "0 new, 2 already stored" in again.output, again.output
    with runtime.sessions() as session:
        stored = {(r.account_id, r.status) for r in session.scalars(select(Renewal))}
    assert stored == {("acct_lost", "churned"), ("acct_kept", "won")}
    backtest = CliRunner().invoke(cli, ["backtest", "--json"], env=env)
    assert backtest.exit_code == 0, backtest.output
    report = orjson.loads(backtest.output)
    assert report["losses"] == 1
    assert report["triggers"]["inactive"]["losses_warned"] == 1
    assert report["renewals"] == {"closed": 2, "lost": 1}
    inactive = next(row for row in report["indicators"] if row["indicator"] == "inactive")
    assert inactive["true_positives"] == 1 and inactive["recall"]["value"] == 1.0
    assert [row["days_before"] for row in report["score_auc"]] == [30, 60, 90]
    table = CliRunner().invoke(cli, ["backtest"], env=env)
    assert table.exit_code == 0 and "score AUC" in table.output and "precision" in table.output, table.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("account,date,outcome\na,2026-01-01,won\n", "the header needs account_id,date,outcome"),
        ("account_id,date,outcome\na,01/02/2026,won\n", ":2: date must be YYYY-MM-DD"),
        ("account_id,date,outcome\na,2026-01-01,renewed\nb,2026-01-01,maybe\n", ":3: outcome 'maybe' is not one"),
        ("account_id,date,outcome\na,2026-01-01,won\na,2026-01-01,lost\n", ":3: a on 2026-01-01 is lost here but won"),
    ],
)
def test_a_bad_outcomes_file_is_refused_naming_the_line(tmp_path, sqlite_url, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(Renewal))
    result = CliRunner().invoke(cli, ["outcomes", "import", str(path)], env={"HEALTHLOOP_DATABASE_URL": sqlite_url})
    assert result.exit_code == 2 and message in result.output, result.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Renewal)) == before, "a bad file stores nothing"
    engine.dispose()


def test_outcomes_import_takes_the_words_people_use_and_counts_that_add_up(tmp_path, database_url):
    path = tmp_path / "outcomes.csv"
    path.write_text(
        " Account_ID , Date ,Outcome\n"
        "a1,2026-01-01,Renewed\n"
        "a2,2026-01-01,  closed   WON \n"
        "a3,2026-01-01,expanded\n"
        "a4,2026-01-01,Closed-Lost\n"
        "a5,2026-01-01,cancelled\n"
        "a6,2026-01-01,CANCELED\n"
        "a7,2026-01-01,churned\n"
        "a1,2026-01-01,won\n"
        "\n"
        "a8,2026-02-01,lost\n"
    )
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    first = CliRunner().invoke(cli, ["outcomes", "import", str(path)], env=env)
    assert first.exit_code == 0, first.output
    assert "9 row(s) for 8 account(s): 1 duplicate(s) within the file, 8 new, 0 already stored" in first.output
    with Session(make_engine(database_url)) as session:
        stored = dict(session.execute(select(Renewal.account_id, Renewal.status)).all())
    assert stored == {
        "a1": "won", "a2": "won", "a3": "won", "a4": "lost", "a5": "churned", "a6": "churned", "a7": "churned",
        "a8": "lost",
    }  # fmt: skip
    path.write_text("account_id,date,outcome\na1,2026-01-01,churned\na8,2026-02-01,lost\na9,2026-03-01,won\n")
    again = CliRunner().invoke(cli, ["outcomes", "import", str(path)], env=env)
    assert "3 row(s) for 3 account(s): 0 duplicate(s) within the file, 1 new, 2 already stored" in again.output
    assert "a1 on 2026-01-01: stored as won, kept (the file says churned)" in again.stderr


def _intervention(account: str, created: datetime, *, control: bool, completed: datetime | None) -> Intervention:
    return Intervention(
        account_id=account, key=f"{created.date()}:low_score", trigger_id="low_score", trigger_ids=["low_score"],
        tier="at_risk", action="personalized re-engagement", channels=["email", "slack"], owner="csm",
        priority="high", due_at=created, subject="s", body="b", slack_alert=False, status="sent",
        created_at=created, control=control, task_completed_at=completed,
    )  # fmt: skip


def _scores(account: str, start: datetime, values: list[int]) -> list[AccountScore]:
    return [
        AccountScore(
            account_id=account, day=(start + timedelta(days=n)).date(), score=value, tier="at_risk", signals={},
            weights={}, reason="", config_version="test", scored_at=start + timedelta(days=n),
        )
        for n, value in enumerate(values)
    ]  # fmt: skip


def test_the_report_counts_a_save_a_non_save_and_the_control_group(runtime, database_url):
    """Known by hand: the treated account goes 55 -> 72 in 9 days and holds (a save, responded in 2 days);
    the control account stays at 50 (no save, no response possible)."""
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=40)
    with runtime.sessions.begin() as session:
        session.add(_intervention("acct_saved", start, control=False, completed=start + timedelta(days=2)))
        session.add(_intervention("acct_held_back", start, control=True, completed=None))
        session.add_all(_scores("acct_saved", start, [55] * 9 + [72] * 31))
        session.add_all(_scores("acct_held_back", start, [50] * 40))
    result = CliRunner().invoke(cli, ["report", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert report["interventions"] == 2 and report["control"] == 1
    (everything,) = report["groups"]["all"]
    treated, control = everything["treated"], everything["control"]
    assert (treated["saves"]["successes"], treated["saves"]["n"]) == (1, 1)
    assert (treated["responses"]["successes"], treated["responses"]["n"]) == (1, 1)
    assert treated["median_days_to_recovery"] == 9
    assert (control["saves"]["successes"], control["saves"]["n"]) == (0, 1)
    assert everything["uplift"]["difference"] == 1.0 and everything["uplift"]["small_sample"]
    table = CliRunner().invoke(cli, ["report", "--by", "trigger"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert table.exit_code == 0 and "Low health score" in table.output and "small sample" in table.output, table.output


def test_config_diff_replays_history_under_the_proposed_rules(client, auth_headers, runtime, database_url, tmp_path):
    send(client, auth_headers, history_batch("acct_edge", seats=10, active_days=range(30, 80)))
    send(client, auth_headers, history_batch("acct_fine", seats=4, active_days=range(0, 80)))
    drain(runtime)
    proposed = tmp_path / "stricter.yaml"
    proposed.write_text(
        "scoring:\n  alerts:\n    inactive_days: 45\n  tiers: {healthy: 95, monitor: 90, at_risk: 70, critical: 50}\n"
    )
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli, ["config", "diff", str(proposed), "--days", "20", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert "scoring.alerts.inactive_days" in report["changed"] and "scoring.tiers.healthy" in report["changed"]
    assert report["versions"]["old"] != report["versions"]["new"]
    assert report["tier_changes"] >= 1, "stricter bands move at least the healthy account down"
    assert report["triggers"]["inactive"]["new"] < report["triggers"]["inactive"]["old"]
    assert set(report["indicators"]) == {"old", "new"}
    table = CliRunner().invoke(cli, ["config", "diff", str(proposed), "--days", "20"], env=env)
    assert table.exit_code == 0 and "would end in another tier" in table.output, table.output
