"""`healthloop learn`: a churn probability is used only when it ranks held-out accounts better than the score."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import orjson
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli.main import cli
from connector.config.yaml_config import Config
from connector.health.churn_model import current_model
from connector.health.scores import score_accounts
from connector.measure.learn import fit, load_samples
from connector.store.bulk import insert_ignore_many
from connector.store.db import make_sessionmaker
from connector.store.models import Account, AccountScore, ChurnModel, DailyRollup, Renewal

TODAY = datetime.now(UTC).date()
DAYS = 150


def _book(engine, *, accounts: int, predictable: bool, churn_share: float, seed: int = 5) -> None:  # type: ignore[no-untyped-def]
    """Accounts with daily use; the busy ones seldom churn when `predictable`, at random otherwise. Stored
    scores are noise, so only what the accounts did can tell churners apart."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows, rollups, scores, renewals = [], [], [], []
    for n in range(accounts):
        account = f"acct_{n:04d}"
        busy = rng.random()
        hazard = churn_share * (2 * (1 - busy) if predictable else 1.0)
        churn_on = TODAY - timedelta(days=rng.randint(5, DAYS - 40)) if rng.random() < hazard else None
        rows.append(
            (account, f"Account {n}", 3, {}, now, now, datetime.combine(TODAY - timedelta(days=DAYS + 60), time(), UTC))
        )
        for back in range(DAYS + 60, 0, -1):
            day = TODAY - timedelta(days=back)
            if churn_on is not None and day >= churn_on:
                break
            events = int(rng.random() < 0.2 + 0.7 * busy) * rng.randint(1, 1 + int(10 * busy))
            if events:
                counts = {"Report Created": events}
                rollups.append((account, day, events, 0, 1, counts, {"u1": events}, 0, now))
            signals = {name: {"value": rng.uniform(0, 100), "explanation": ""} for name in ("activity", "recency")}
            scores.append((account, day, rng.randint(0, 100), "monitor", signals, {}, "noise", "test", now))
        # Every account renewed before the history began: its outcomes are tracked from then on.
        tracked = TODAY - timedelta(days=DAYS + 30)
        renewals.append(("import", f"{account}:{tracked}", account, tracked, "won", now))
        if churn_on is not None:
            renewals.append(("import", f"{account}:{churn_on}", account, churn_on, "churned", now))
        else:  # the stayers' renewals are on record too (learn judges only accounts whose fate is known)
            renewed = TODAY - timedelta(days=rng.randint(1, 60))
            renewals.append(("import", f"{account}:{renewed}", account, renewed, "won", now))
    with make_sessionmaker(engine).begin() as session:
        insert_ignore_many(
            session,
            Account.__table__,
            ("account_id", "name", "licensed_seats", "traits", "first_seen_at", "updated_at", "signed_up_at"),
            rows,
        )
        insert_ignore_many(
            session,
            DailyRollup.__table__,
            ("account_id", "day", "events", "page_views", "active_users", "event_counts", "user_counts",
             "tickets_opened", "computed_at"),
            rollups,
        )  # fmt: skip
        insert_ignore_many(
            session,
            AccountScore.__table__,
            ("account_id", "day", "score", "tier", "signals", "weights", "reason", "config_version", "scored_at"),
            scores,
        )
        insert_ignore_many(
            session,
            Renewal.__table__,
            ("source", "external_id", "account_id", "close_date", "status", "updated_at"),
            renewals,
        )


def _learn(engine):  # type: ignore[no-untyped-def]
    with make_sessionmaker(engine)() as session:
        return fit(load_samples(session, Config().scoring, TODAY))


def test_a_probability_that_ranks_held_out_accounts_better_is_used_and_scored(engine, database_url):  # type: ignore[no-untyped-def]
    _book(engine, accounts=400, predictable=True, churn_share=0.35)
    result = CliRunner().invoke(cli, ["learn", "--json"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert report["status"] == "active", report
    assert report["difference"]["low"] > 0 and report["probability"]["auc"] > report["score"]["auc"]
    assert report["churned"] >= report["needed"]["churned"]
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        assert current_model(session) is not None
        scored = score_accounts(session, ["acct_0001", "acct_0002"], TODAY, Config().scoring, datetime.now(UTC))
    for result_ in scored.values():
        churn = result_.assessment.churn
        assert churn is not None and 0 <= churn.probability <= 1 and churn.horizon_days == 30
    with sessions() as session:
        stored = session.scalars(select(AccountScore.churn_probability).where(AccountScore.day == TODAY)).all()
    assert stored and all(p is not None for p in stored)


def test_a_probability_no_better_than_the_score_is_stored_but_not_used(engine):  # type: ignore[no-untyped-def]
    _book(engine, accounts=400, predictable=False, churn_share=0.35)
    learned = _learn(engine)
    assert learned.status == "not_better", learned.reason
    assert learned.comparison is not None and learned.comparison.low is not None and learned.comparison.low <= 0


def test_too_few_churns_are_refused_naming_how_many_are_needed(engine, database_url):  # type: ignore[no-untyped-def]
    _book(engine, accounts=60, predictable=True, churn_share=0.05)
    result = CliRunner().invoke(cli, ["learn"], env={"HEALTHLOOP_DATABASE_URL": database_url})
    assert result.exit_code == 1
    assert "too few to tell a better ranking from chance" in result.output and "are needed" in result.output
    with make_sessionmaker(engine)() as session:
        assert session.scalars(select(ChurnModel)).first() is None


def test_observations_never_include_an_account_after_it_was_lost(engine):  # type: ignore[no-untyped-def]
    _book(engine, accounts=120, predictable=True, churn_share=0.4)
    with make_sessionmaker(engine)() as session:
        samples = load_samples(session, Config().scoring, TODAY)
        lost = dict(
            session.execute(select(Renewal.account_id, Renewal.close_date).where(Renewal.status != "won")).all()
        )
    assert samples
    assert all(s.day <= lost[s.account_id] for s in samples if s.account_id in lost)
    assert all(date.fromisoformat(str(s.day)) <= TODAY - timedelta(days=30) for s in samples)


def test_an_account_is_observed_only_once_its_outcomes_were_tracked_whatever_its_fate(engine):  # type: ignore[no-untyped-def]
    # A churn always leaves a record; a stayer whose first renewal is still ahead has none. Choosing accounts
    # by a record dated after the observation would keep the churners among them and drop the stayers.
    _book(engine, accounts=60, predictable=True, churn_share=0.4)
    with make_sessionmaker(engine).begin() as session:
        first = session.scalars(select(Renewal).where(Renewal.status == "churned")).first()
        assert first is not None
        untracked = first.account_id
        session.execute(
            Renewal.__table__.delete().where(Renewal.account_id == untracked, Renewal.status == "won")
        )  # its only record is now the churn
    with make_sessionmaker(engine)() as session:
        samples = load_samples(session, Config().scoring, TODAY)
    assert samples
    assert not any(s.account_id == untracked for s in samples), "nothing after the loss, nothing before tracking"
