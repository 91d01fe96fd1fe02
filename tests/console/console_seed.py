"""Demo-like data for the console's tests, written straight into a real database (SQLite or PostgreSQL).

`seed` stores `accounts` accounts with two weeks of daily scores, open alerts, plays and CRM records,
plus one account with a known story (STORY) whose chart contents are known in advance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import (
    Account,
    AccountScore,
    Alert,
    CrmRecord,
    DailyRollup,
    Intervention,
    Renewal,
    Ticket,
    TicketDelivery,
)

STORY = "acct_story"
STORY_HISTORY_DAYS = 120
STORY_INTERVENTIONS_IN_90_DAYS = 3
STORY_OUTCOMES_IN_90_DAYS = 3
"""A task completed, a recovery to the next tier, a renewal won."""
FAILING = "acct_003"
UNMATCHED = "acct_004"
TIERS = ((80, "healthy"), (60, "monitor"), (40, "at_risk"), (20, "critical"), (0, "churning"))


@dataclass(frozen=True)
class Seeded:
    accounts: int
    today: date


def tier_of(score: int) -> str:
    return next(tier for low, tier in TIERS if score >= low)


def score_of(n: int) -> int:
    """Account n's latest score: spread over every tier."""
    return 5 + (n * 37) % 95


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _score_row(account_id: str, day: date, score: int, now: datetime, delta: int | None = None) -> AccountScore:
    signals = {name: {"value": float(score), "explanation": f"{name} explained"} for name in
               ("activity", "engagement", "milestones", "recency")}  # fmt: skip
    return AccountScore(
        account_id=account_id, day=day, score=score, tier=tier_of(score), trend_delta=delta,
        trend_direction=None if delta is None else ("declining" if delta < 0 else "stable"), signals=signals,
        weights={}, reason=f"score {score}", config_version="test", scored_at=now,
    )  # fmt: skip


def _intervention(account_id: str, key: str, tier: str, owner: str, created: datetime, **extra: object) -> Intervention:
    return Intervention(
        account_id=account_id, key=key, trigger_id=extra.pop("trigger_id", None), trigger_ids=[], tier=tier,
        action=f"play for {tier}", channels=["email"], owner=owner, priority="high", due_at=created + timedelta(days=1),
        subject=f"{account_id}: {tier}", body="story", created_at=created, status="pending", **extra,
    )  # fmt: skip


def seed(sessions: sessionmaker[Session], accounts: int = 60, today: date | None = None) -> Seeded:
    today = today or datetime.now(UTC).date()
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for n in range(accounts):
            account_id = f"acct_{n:03d}"
            score = score_of(n)
            session.add(
                Account(
                    account_id=account_id, name=f"Company {n:03d}", plan="pro" if n % 2 else "starter",
                    licensed_seats=10, renewal_date=today + timedelta(days=30 + n),
                    mrr=None if n % 5 == 0 else float(100 * n), domain=f"company{n:03d}.example",
                    traits={}, first_seen_at=now - timedelta(days=200), updated_at=now,
                )
            )  # fmt: skip
            for back in range(13, -1, -1):
                past = min(100, score + back)
                session.add(
                    _score_row(account_id, today - timedelta(days=back), past, now, delta=-7 if back == 0 else None)
                )
            if score < 60:
                session.add(Alert(account_id=account_id, trigger_id="low_score", fired_on=today - timedelta(days=3),
                                  fired_at=now, evidence={"score": score}, explanation="score is low",
                                  config_version="test"))  # fmt: skip
                owner = "escalation" if tier_of(score) in ("critical", "churning") else "csm"
                session.add(_intervention(account_id, f"tier:{tier_of(score)}", tier_of(score), owner,
                                          now - timedelta(days=3)))  # fmt: skip
            if n % 7 == 0:
                session.add(Alert(account_id=account_id, trigger_id="inactive", fired_on=today - timedelta(days=2),
                                  fired_at=now, evidence={"days_inactive": 15}, explanation="quiet for 15 days",
                                  config_version="test"))  # fmt: skip
            error = "PROPERTY_DOESNT_EXIST: healthloop_score" if n == 3 else None
            session.add(CrmRecord(crm="hubspot", account_id=account_id, record_id=None if n == 4 else str(9000 + n),
                                  resolved_at=now, synced_values={}, synced_story={}, synced_at=now,
                                  last_error=error))  # fmt: skip
        _story(session, today, now)
        _tickets(session, now)
    return Seeded(accounts + 1, today)


def _story(session: Session, today: date, now: datetime) -> None:
    """Monitor for two months, At Risk for ten days (a play), back to Monitor: recovered, task done, renewal won."""
    session.add(Account(account_id=STORY, name="Story Inc", plan="enterprise", licensed_seats=25,
                        renewal_date=today + timedelta(days=200), mrr=5000.0, domain="story.example",
                        traits={}, first_seen_at=now - timedelta(days=400), updated_at=now))  # fmt: skip
    for back in range(STORY_HISTORY_DAYS - 1, -1, -1):
        score = 72 if back > 60 else 50 if back > 50 else 65
        session.add(_score_row(STORY, today - timedelta(days=back), score, now))
        if back < 28:
            users = {f"u{k}": 3 for k in range(back % 5 + 1)}
            session.add(DailyRollup(account_id=STORY, day=today - timedelta(days=back), events=10, page_views=0,
                                    active_users=len(users), event_counts={}, user_counts=users, tickets_opened=0,
                                    computed_at=now))  # fmt: skip
    session.add(_intervention(STORY, "trigger:score_drop:a", "at_risk", "csm", _at(today - timedelta(days=60)),
                              trigger_id="score_drop", crm_status="created", task_status="COMPLETED",
                              task_completed_at=_at(today - timedelta(days=55))))  # fmt: skip
    session.add(_intervention(STORY, "tier:monitor:b", "monitor", "csm", _at(today - timedelta(days=30)),
                              crm_status="created", task_status="NOT_STARTED"))  # fmt: skip
    session.add(_intervention(STORY, "tier:monitor:c", "monitor", "csm", _at(today - timedelta(days=10)),
                              control=True))  # fmt: skip
    session.add(Renewal(source="import", external_id=f"{STORY}:r1", account_id=STORY, name="renewal",
                        close_date=today - timedelta(days=20), status="won", amount=60000.0,
                        updated_at=now))  # fmt: skip
    session.add(Alert(account_id=STORY, trigger_id="score_drop", fired_on=today - timedelta(days=60),
                      fired_at=_at(today - timedelta(days=60)), cleared_on=today - timedelta(days=50),
                      evidence={"drop": 22, "window_days": 7}, explanation="dropped 22 points in 7 days",
                      config_version="test"))  # fmt: skip
    session.add(CrmRecord(crm="hubspot", account_id=STORY, record_id="4242", resolved_at=now, synced_values={},
                          synced_story={}, synced_at=now))  # fmt: skip


def _tickets(session: Session, now: datetime) -> None:
    session.add(Ticket(source="zendesk", external_id="T-1", account_id=STORY, match_method="organization",
                       subject="Export times out", priority="high", status="open", opened_at=now - timedelta(days=2),
                       tags=[], state_at=now, first_received_at=now))  # fmt: skip
    session.add(Ticket(source="zendesk", external_id="T-2", account_id=None, organization_id="999",
                       requester_email="pat@gmail.com", subject="Who are we?", tags=[], state_at=now,
                       first_received_at=now))  # fmt: skip
    for k, outcome in enumerate(("handled", "handled", "ignored", "unsupported")):
        session.add(TicketDelivery(source="zendesk", delivery_id=f"d{k}", event_type=f"zen:event-type:{outcome}",
                                   outcome=outcome, received_at=now - timedelta(hours=k * 30), payload={}))  # fmt: skip
