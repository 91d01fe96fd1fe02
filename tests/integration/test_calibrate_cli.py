"""`healthloop calibrate` on stored renewals and scores: a proposal only when it is reliably better on
held-out accounts, no proposal on coin flips, a refusal that names what it needs, no pre-start day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner

from connector.cli.main import cli
from connector.config.yaml_config import load_config
from connector.store.models import Account, AccountScore, Renewal

pytestmark = pytest.mark.integration

CLOSE = datetime.now(UTC).date() - timedelta(days=5)


def _store(runtime, accounts: int, *, seed: int, told: bool, signed_up: date | None = None) -> None:
    """One renewal per account closing on CLOSE, its signals 31 days before; with `told`, losses have low
    activity, otherwise they are a coin flip nothing in the signals knows."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = signed_up or CLOSE - timedelta(days=500)
    with runtime.sessions.begin() as session:
        for k in range(accounts):
            lost = k % 3 == 0 if told else rng.random() < 1 / 3
            activity = (rng.uniform(5, 40) if lost else rng.uniform(50, 95)) if told else rng.uniform(0, 100)
            signals = {"activity": activity, "engagement": rng.uniform(0, 100), "milestones": rng.uniform(0, 100),
                       "recency": rng.uniform(0, 100)}  # fmt: skip
            account = f"acct_{k}"
            session.add(
                Account(account_id=account, signed_up_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
                        traits={}, first_seen_at=now, updated_at=now)
            )  # fmt: skip
            session.add(
                AccountScore(
                    account_id=account, day=CLOSE - timedelta(days=31), score=50, tier="at_risk", weights={},
                    signals={name: {"value": value} for name, value in signals.items()}, reason="",
                    config_version="test", scored_at=now,
                )
            )  # fmt: skip
            session.add(
                Renewal(source="import", external_id=f"{account}:{CLOSE}", account_id=account, close_date=CLOSE,
                        status="lost" if lost else "won", updated_at=now)
            )  # fmt: skip


def test_calibrate_proposes_a_reliable_improvement_and_never_changes_the_config(runtime, database_url, tmp_path):
    _store(runtime, 300, seed=8, told=True)
    out = tmp_path / "proposed.yaml"
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli, ["calibrate", "--step", "0.1", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "held out: 5 groups of accounts" in result.output and "proposed - live: +" in result.output
    assert "verdict: reliable improvement" in result.output and "+    activity:" in result.output
    assert "(n=300, 100 lost, 300 accounts)" in result.output and "stratified by tenure" in result.output
    assert load_config(out).scoring.weights.activity > 0.4
    assert "live config is unchanged" in result.output
    data = orjson.loads(CliRunner().invoke(cli, ["calibrate", "--step", "0.1", "--json"], env=env).output)
    assert data["status"] == "improvement" and data["samples"]["lost"] == 100
    comparison = data["comparison"]
    assert comparison["difference"]["low"] > 0 and comparison["proposed"]["value"] > comparison["live"]["value"]
    for estimate in (comparison["live"], comparison["proposed"]):
        assert {"value", "low", "high", "n", "positives", "accounts"} <= set(estimate)
    assert {"precision", "recall", "flagged"} <= set(comparison["at_risk_flags"]["live"])
    assert min(data["proposal"]["tier_counts"].values()) >= 1


def test_calibrate_on_coin_flip_outcomes_says_no_reliable_improvement_and_writes_nothing(
    runtime, database_url, tmp_path
):
    _store(runtime, 300, seed=2, told=False)
    out = tmp_path / "proposed.yaml"
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli, ["calibrate", "--step", "0.1", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "verdict: no reliable improvement" in result.output and "no proposal" in result.output
    assert not out.exists() and "nothing written" in result.output
    data = orjson.loads(CliRunner().invoke(cli, ["calibrate", "--step", "0.1", "--json"], env=env).output)
    assert data["status"] == "no_reliable_improvement" and data["proposal"] is None
    assert data["comparison"]["difference"]["low"] <= 0


def test_calibrate_refuses_too_few_lost_renewals_naming_the_number_needed(runtime, database_url):
    _store(runtime, 60, seed=3, told=True)
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli, ["calibrate"], env=env)
    assert result.exit_code == 1
    assert "calibrate refused" in result.output and "it needs at least" in result.output
    data = orjson.loads(CliRunner().invoke(cli, ["calibrate", "--json"], env=env).stdout)
    assert data["status"] == "refused" and data["requirement"]["lost_needed"] > data["samples"]["lost"] == 20


def test_calibrate_never_reads_a_score_dated_before_the_accounts_start(runtime, database_url):
    _store(runtime, 300, seed=8, told=True, signed_up=CLOSE - timedelta(days=10))
    env = {"HEALTHLOOP_DATABASE_URL": database_url}
    data = orjson.loads(CliRunner().invoke(cli, ["calibrate", "--json"], env=env).stdout)
    assert data["status"] == "refused" and data["samples"]["renewals"] == 0


def test_an_accounts_first_renewal_is_told_apart_from_later_ones(runtime, database_url):
    """acct_a signed up 100 days before its first renewal and renews again a year later; acct_b's only
    renewal on record closes 500 days after signup, so it is not its first."""
    now = datetime.now(UTC)
    first_close = CLOSE - timedelta(days=365)
    with runtime.sessions.begin() as session:
        for account, signed_up in (
            ("acct_a", first_close - timedelta(days=100)),
            ("acct_b", CLOSE - timedelta(days=500)),
        ):
            session.add(Account(account_id=account, signed_up_at=datetime.combine(signed_up, datetime.min.time(), UTC),
                                traits={}, first_seen_at=now, updated_at=now))  # fmt: skip
        renewals = (("acct_a", first_close), ("acct_a", CLOSE), ("acct_b", CLOSE))
        for account, close in renewals:
            session.add(
                AccountScore(account_id=account, day=close - timedelta(days=30), score=50, tier="at_risk", weights={},
                             signals={"activity": {"value": 50}}, reason="", config_version="test", scored_at=now)
            )  # fmt: skip
            session.add(Renewal(source="import", external_id=f"{account}:{close}", account_id=account, close_date=close,
                                status="won", updated_at=now))  # fmt: skip
    data = orjson.loads(
        CliRunner().invoke(cli, ["calibrate", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url}).stdout
    )
    assert data["samples"]["by_tenure"] == {"first": {"renewals": 1, "lost": 0}, "later": {"renewals": 2, "lost": 0}}
