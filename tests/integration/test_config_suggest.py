"""`healthloop config suggest` on a stored history with event names that are not Segment's defaults,
on SQLite and PostgreSQL: what it picks, that `config check` takes the file, and when it declines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from connector.cli.main import cli
from connector.config.yaml_config import load_config
from tests.integration.usage_history import LAST_DAY, NOISE, ODD_NAMES, seed_history

pytestmark = pytest.mark.integration


def suggest(database_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["config", "suggest", *args], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def proposal(engine, database_url, tmp_path) -> tuple[Path, dict]:
    seed_history(engine)
    path = tmp_path / "suggested.yaml"
    suggest(database_url, "--out", str(path))
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))["scoring"]


def test_config_check_accepts_the_suggested_file_and_it_means_what_it_says(proposal):
    path, _ = proposal
    result = CliRunner().invoke(cli, ["config", "check", str(path), "--quiet"])
    assert result.exit_code == 0 and "valid" in result.output, result.output
    events = load_config(path).scoring.events
    assert events.logins == ["User Logged In"] and events.signups == ["User Signed Up"]
    assert sorted(events.setup_completed) == ["Bank Account Connected", "Setup Completed"], "done, and a step"
    assert events.onboarding_completed == [], "no name says onboarding is complete"


def test_non_use_is_told_apart_by_name_and_the_daily_background_event_by_data(proposal):
    _, scoring = proposal
    events = scoring["events"]
    assert set(events["ignored"]) == {"Signed Out", "Email Opened", NOISE}
    assert NOISE not in events["meaningful"] and "Signed Out" not in events["meaningful"]
    assert {"Invoice Sent", "Board Created", "User Logged In", "Bank Account Connected"} <= set(events["meaningful"])


def test_key_features_are_the_ones_some_active_accounts_use_and_others_do_not(proposal):
    _, scoring = proposal
    features = scoring["events"]["key_features"]
    assert "Board Created" in features
    for left_out in ("Dashboard Viewed", "Report Exported", "User Logged In", "Bank Account Connected", NOISE):
        assert left_out not in features, left_out


def test_the_core_feature_is_what_retained_accounts_use_and_leavers_mostly_did_not(proposal):
    _, scoring = proposal
    assert scoring["events"]["core_feature"] == "Invoice Sent"


def test_milestones_are_the_early_steps_of_retained_accounts_in_their_order_with_observed_due_days(proposal):
    path, scoring = proposal
    milestones = {m["event"]: m for m in scoring["milestones"]}
    assert set(milestones) == {
        "Bank Account Connected", "Setup Completed", "Invoice Sent", "Board Created", "Teammate Invited",
    }, "not the sign-up, the login, the background event, nor the dashboard every account sees on day one"  # fmt: skip
    order = [m["event"] for m in scoring["milestones"]]
    assert order.index("Bank Account Connected") < order.index("Invoice Sent") < order.index("Teammate Invited")
    seeded_range = {"Bank Account Connected": (1, 3), "Setup Completed": (1, 5), "Invoice Sent": (2, 8),
                    "Board Created": (3, 20), "Teammate Invited": (5, 15)}  # fmt: skip
    for event, (low, high) in seeded_range.items():
        assert low <= milestones[event]["due_days"] <= high, (event, milestones[event])
    text = path.read_text(encoding="utf-8")
    assert "retained accounts" in text and "median day" in text, "each milestone carries its evidence"


def test_every_value_carries_its_evidence_in_numbers(proposal):
    path, _ = proposal
    text = path.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.strip().startswith("- Invoice Sent"))
    assert "# " in line and " accounts, on " in line and "%" in line, line
    assert f"{LAST_DAY}" in text, "the summary names the stored range"
    assert "retained: " in text and "won their latest renewal" in text, "it says which evidence judged retention"


def test_event_names_yaml_would_misread_come_back_unchanged(proposal):
    _, scoring = proposal
    meaningful = scoring["events"]["meaningful"]
    for name in ODD_NAMES:
        assert name in meaningful, name
    assert all(isinstance(name, str) for name in meaningful), "no name turned into a bool, list or mapping"


def test_running_it_twice_writes_the_same_file(proposal, database_url, tmp_path):
    path, _ = proposal
    again = tmp_path / "again.yaml"
    suggest(database_url, "--out", str(again))
    assert again.read_bytes() == path.read_bytes()
    assert suggest(database_url) == path.read_text(encoding="utf-8")


def test_no_journey_is_suggested_when_too_few_retained_accounts_walked_all_of_it(proposal):
    _, scoring = proposal
    assert scoring["journeys"] == [], "half the stayers skipped a step; the default journey's events never occur"


def test_a_journey_is_suggested_when_enough_retained_accounts_walked_all_of_it(engine, database_url, tmp_path):
    seed_history(engine, every_step=True)
    path = tmp_path / "journey.yaml"
    suggest(database_url, "--out", str(path))
    (journey,) = load_config(path).scoring.journeys
    assert journey.start_event == "User Signed Up"
    milestones = [m.event for m in load_config(path).scoring.milestones]
    assert journey.steps == milestones and journey.steps[:2] == ["Bank Account Connected", "Setup Completed"]
    assert 1 <= journey.stuck_after_days <= 21, "no wait is longer than the seeded span of first days (0-20)"


def test_with_enough_losses_on_record_the_core_feature_is_the_one_that_tells_them_apart(engine, database_url):
    # Every retained account sends invoices, and so did 3 of the 10 that left; no leaver ever invited a
    # teammate while most retained accounts did: recorded losses make the invitation the telling feature.
    seed_history(engine, churn_recorded=10)
    report = orjson.loads(suggest(database_url, "--json"))
    (core,) = report["events"]["core_feature"]["suggested"]
    assert core["value"] == "Teammate Invited"
    assert core["numbers"]["of_lost"] == 10 and core["numbers"]["lost"] == 0
    assert core["numbers"]["retained"] / core["numbers"]["of_retained"] > 0.5
    assert "lost or churned" in core["evidence"]


def test_a_database_too_small_to_judge_says_so_and_keeps_every_default(engine, database_url, tmp_path):
    seed_history(engine, accounts=12)
    path = tmp_path / "small.yaml"
    suggest(database_url, "--out", str(path))
    text = path.read_text(encoding="utf-8")
    assert "not enough data to suggest anything: only 12 accounts with stored activity (need 20)" in text
    assert yaml.safe_load(text) is None, "every key is commented out, so the defaults apply"
    assert "# key_features: [Report Created" in text, "the defaults are shown for editing"
    check = CliRunner().invoke(cli, ["config", "check", str(path), "--quiet"])
    assert check.exit_code == 0, check.output


def test_an_empty_database_says_there_is_nothing_to_judge(database_url):
    assert "no track events stored" in suggest(database_url)
