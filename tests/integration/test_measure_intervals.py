"""Every AUC, precision and recall that backtest, config diff and report print comes with its 95% interval
and the counts it rests on, in the terminal and in JSON; and no day before an account's start is judged
(by the replays) or counted (from stored rows)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner

from connector.cli.main import cli
from connector.store.models import Account, AccountScore, Renewal
from tests.integration.segment_calls import TODAY, drain, history_batch, send

pytestmark = pytest.mark.integration

INTERVAL = re.compile(r"\d\.\d\d \[\d\.\d\d-\d\.\d\d\] \(n=\d+, \d+ lost, \d+ accounts\)")
RATE = re.compile(r"\d+% \[\d+%-\d+%\] \(\d+/\d+\)")


def _new_account(account: str, days_old: int) -> list[dict]:
    """`history_batch`, but the account signed up `days_old` days ago and was active every day since."""
    calls = history_batch(account, seats=4, active_days=range(0, days_old))
    signed_up = (TODAY - timedelta(days=days_old)).isoformat()
    calls[0]["timestamp"] = signed_up
    calls[0]["traits"]["created_at"] = signed_up
    return calls


@pytest.fixture
def renewals(client, auth_headers, runtime, database_url, tmp_path):
    """Two lost and two won accounts with history, their renewals imported."""
    for k in range(2):
        send(client, auth_headers, history_batch(f"acct_lost{k}", seats=10, active_days=range(30 + k, 100)))
        send(client, auth_headers, history_batch(f"acct_kept{k}", seats=5, active_days=range(0, 100)))
    drain(runtime)
    outcomes = tmp_path / "outcomes.csv"
    day = TODAY.date()
    outcomes.write_text(
        "account_id,date,outcome\n" + "".join(f"acct_lost{k},{day},churned\nacct_kept{k},{day},won\n" for k in range(2))
    )
    env = {"HEALTHLOOP_DATABASE_URL": database_url, "COLUMNS": "200"}  # wide enough that no table cell wraps
    assert CliRunner().invoke(cli, ["outcomes", "import", str(outcomes)], env=env).exit_code == 0
    return env


def _assert_indicators_carry_intervals(section: dict) -> None:
    assert section["renewals"] == {"closed": 4, "lost": 2}
    for row in section["indicators"]:
        assert (row["renewals"], row["lost"]) == (4, 2)
        for rate in (row["precision"], row["recall"]):
            assert {"successes", "n", "value", "low", "high"} <= rate.keys()
            assert (rate["low"] is None) == (rate["n"] == 0)
    for row in section["score_auc"]:
        assert {"auc", "low", "high", "n", "lost", "won", "accounts", "method"} <= row.keys()
        assert row["n"] == row["lost"] + row["won"] == 4 and row["accounts"] == 4
        assert row["low"] <= row["auc"] <= row["high"]


def test_backtest_prints_every_figure_with_its_interval_and_counts(renewals):
    start = (TODAY - timedelta(days=100)).date().isoformat()
    report = orjson.loads(CliRunner().invoke(cli, ["backtest", "--from", start, "--json"], env=renewals).output)
    _assert_indicators_carry_intervals(report)
    table = CliRunner().invoke(cli, ["backtest", "--from", start], env=renewals)
    assert table.exit_code == 0, table.output
    assert INTERVAL.search(table.output) and RATE.search(table.output), table.output


def test_config_diff_prints_accuracy_with_intervals_and_the_paired_auc_change(renewals, tmp_path):
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text("scoring:\n  weights: {activity: 0.1, engagement: 0.1, milestones: 0.1, recency: 0.7}\n")
    result = CliRunner().invoke(cli, ["config", "diff", str(proposed), "--days", "100", "--json"], env=renewals)
    report = orjson.loads(result.output)
    for side in ("old", "new"):
        _assert_indicators_carry_intervals(report["indicators"][side])
    change = report["score_auc_change"][0]
    assert change["days_before"] == 30 and change["old"]["n"] == change["new"]["n"] == 4
    assert {"difference", "low", "high", "se", "method"} <= change.keys()
    assert change["difference"] == pytest.approx(change["new"]["value"] - change["old"]["value"])
    table = CliRunner().invoke(cli, ["config", "diff", str(proposed), "--days", "100"], env=renewals)
    assert table.exit_code == 0, table.output
    assert "change" in table.output and INTERVAL.search(table.output) and RATE.search(table.output)


def test_report_json_terminal_and_html_carry_indicator_intervals(renewals, tmp_path):
    first, last = (TODAY - timedelta(days=100)).date().isoformat(), TODAY.date().isoformat()
    filled = CliRunner().invoke(cli, ["score", "--all", "--from", first, "--to", last], env=renewals)
    assert filled.exit_code == 0, filled.output
    report = orjson.loads(CliRunner().invoke(cli, ["report", "--json"], env=renewals).output)
    _assert_indicators_carry_intervals(report["indicators"])
    page = tmp_path / "report.html"
    table = CliRunner().invoke(cli, ["report", "--by", "all", "--html", str(page)], env=renewals)
    assert table.exit_code == 0, table.output
    assert "indicator accuracy against 4 closed renewal(s), 2 lost" in table.output
    assert INTERVAL.search(table.output), table.output
    html = page.read_text()
    assert "Indicator accuracy and lead time" in html and html.count('class="chart"') >= 3


def test_backtest_and_config_diff_never_judge_days_before_an_account_started(
    client, auth_headers, runtime, database_url, tmp_path
):
    send(client, auth_headers, _new_account("acct_new", days_old=20))
    drain(runtime)
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    start = (TODAY - timedelta(days=60)).date().isoformat()
    report = orjson.loads(CliRunner().invoke(cli, ["backtest", "--from", start, "--json"], env=env).output)
    judged = sum(row["account_days"] for row in report["tiers"].values())
    assert 20 <= judged <= 21, "the 20 or 21 days since signup are judged, not the 40 before"
    proposed = tmp_path / "same.yaml"
    proposed.write_text("scoring:\n  alerts: {inactive_days: 10}\n")
    diff = orjson.loads(
        CliRunner().invoke(cli, ["config", "diff", str(proposed), "--days", "60", "--json"], env=env).output
    )
    assert all(
        row["old"] == 0 for trigger, row in diff["triggers"].items() if trigger in ("inactive", "inactivity_winback")
    )


def test_stored_scores_dated_before_an_accounts_start_are_not_counted(runtime, database_url):
    now = datetime.now(UTC)
    close = now.date() - timedelta(days=2)
    with runtime.sessions.begin() as session:
        for account, signed_up_days_before_close, lost in (
            ("acct_early", 200, True), ("acct_late", 10, True), ("acct_kept", 200, False), ("acct_kept2", 200, False),
        ):  # fmt: skip
            signed_up = datetime.combine(close - timedelta(days=signed_up_days_before_close), datetime.min.time(), UTC)
            session.add(
                Account(account_id=account, signed_up_at=signed_up, traits={}, first_seen_at=now, updated_at=now)
            )
            session.add_all(
                AccountScore(
                    account_id=account, day=close - timedelta(days=back), score=20 if lost else 90, tier="critical",
                    signals={}, weights={}, reason="", config_version="test", scored_at=now,
                )
                for back in range(25, 35)
            )  # fmt: skip
            session.add(Renewal(source="import", external_id=f"{account}:r", account_id=account, close_date=close,
                                status="lost" if lost else "won", updated_at=now))  # fmt: skip
    report = orjson.loads(
        CliRunner().invoke(cli, ["report", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url}).output
    )
    at_30 = report["indicators"]["score_auc"][0]
    assert (at_30["n"], at_30["lost"], at_30["won"]) == (3, 1, 2), "acct_late's pre-signup scores are not read"
