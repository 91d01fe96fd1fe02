"""Look at stored accounts (`healthloop accounts show|list`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.health.churn_model import current_model
from connector.store.models import (
    Account,
    AccountAlias,
    AccountScore,
    AccountUser,
    Alert,
    DailyRollup,
    Event,
    Intervention,
    Ticket,
)
from scoring.churn import FEATURE_LABELS
from scoring.model import ChurnModel


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def account_summary(session: Session, account_id: str, today: date | None = None) -> dict[str, Any] | None:
    """Everything we know about one account, as plain JSON-ready data (`recent_days`: the last 7 UTC days)."""
    today = today or datetime.now(UTC).date()
    account = session.get(Account, account_id)
    if account is None:
        return None
    users = session.scalars(
        select(AccountUser.user_id).where(AccountUser.account_id == account_id).order_by(AccountUser.user_id)
    ).all()
    event_count, last_event_at = session.execute(
        select(func.count(), func.max(Event.timestamp)).where(Event.account_id == account_id)
    ).one()
    tickets_total, tickets_open = session.execute(
        select(
            func.count(),
            func.count().filter(Ticket.status.not_in(["solved", "closed"])),
        ).where(Ticket.account_id == account_id)
    ).one()
    aliases = session.execute(
        select(AccountAlias.source, AccountAlias.external_id).where(AccountAlias.account_id == account_id)
    ).all()
    recent = session.scalars(
        select(DailyRollup)
        .where(DailyRollup.account_id == account_id, DailyRollup.day > today - timedelta(days=7))
        .order_by(DailyRollup.day.desc())
    ).all()
    return {
        "account_id": account.account_id,
        "name": account.name,
        "plan": account.plan,
        "licensed_seats": account.licensed_seats,
        "renewal_date": _iso(account.renewal_date),
        "mrr": account.mrr,
        "signed_up_at": _iso(account.signed_up_at),
        "domain": account.domain,
        "crm_match_key": account.crm_match_key or account.account_id,
        "traits": account.traits,
        "users": list(users),
        "event_count": event_count,
        "last_event_at": _iso(last_event_at),
        "tickets": {"total": tickets_total, "open": tickets_open},
        "aliases": {source: external_id for source, external_id in aliases},
        "recent_days": [
            {
                "day": r.day.isoformat(),
                "events": r.events,
                "active_users": r.active_users,
                "tickets_opened": r.tickets_opened,
            }
            for r in recent
        ],
        "first_seen_at": _iso(account.first_seen_at),
        **health_summary(session, account_id, today),
    }


def health_summary(session: Session, account_id: str, today: date) -> dict[str, Any]:
    """Latest score, signals, open triggers, recent interventions and 90 days of score history."""
    latest = session.scalars(
        select(AccountScore)
        .where(AccountScore.account_id == account_id, AccountScore.day <= today)
        .order_by(AccountScore.day.desc())
        .limit(1)
    ).first()
    history = session.execute(
        select(AccountScore.day, AccountScore.score)
        .where(AccountScore.account_id == account_id, AccountScore.day > today - timedelta(days=90))
        .order_by(AccountScore.day)
    ).all()
    alerts = session.scalars(
        select(Alert).where(Alert.account_id == account_id, Alert.cleared_on.is_(None)).order_by(Alert.fired_at)
    ).all()
    interventions = session.scalars(
        select(Intervention)
        .where(Intervention.account_id == account_id)
        .order_by(Intervention.created_at.desc(), Intervention.id.desc())
        .limit(20)
    ).all()
    return {
        "score": latest.score if latest else None,
        "tier": latest.tier if latest else None,
        "trend": {"delta": latest.trend_delta, "direction": latest.trend_direction} if latest else None,
        "signals": {name: value.get("value") for name, value in latest.signals.items()} if latest else {},
        "signal_explanations": {name: value.get("explanation") for name, value in latest.signals.items()}
        if latest
        else {},
        "reason": latest.reason if latest else None,
        "churn": _churn(latest, current_model(session)),
        "scored_on": _iso(latest.day) if latest else None,
        "config_version": latest.config_version if latest else None,
        "open_triggers": [
            {
                "id": a.trigger_id,
                "fired_at": _iso(a.fired_at),
                "fired_on": _iso(a.fired_on),
                "evidence": a.evidence,
                "explanation": a.explanation,
            }
            for a in alerts
        ],
        "interventions": [
            {
                "id": i.id,
                "key": i.key,
                "trigger_id": i.trigger_id,
                "trigger_ids": i.trigger_ids,
                "tier": i.tier,
                "action": i.action,
                "channels": i.channels,
                "owner": i.owner,
                "priority": i.priority,
                "due_at": _iso(i.due_at),
                "subject": i.subject,
                "status": i.status,
                "slack_status": i.slack_status,
                "created_at": _iso(i.created_at),
            }
            for i in interventions
        ],
        "score_history": [{"date": day.isoformat(), "score": score} for day, score in history],
    }


def list_accounts(session: Session, limit: int) -> list[dict[str, Any]]:
    """Accounts with their event counts, most recently active first."""
    counts = (
        select(Event.account_id, func.count().label("events"), func.max(Event.timestamp).label("last"))
        .where(Event.account_id.is_not(None))
        .group_by(Event.account_id)
        .subquery()
    )
    rows = session.execute(
        select(Account.account_id, Account.name, Account.plan, counts.c.events, counts.c.last)
        .outerjoin(counts, counts.c.account_id == Account.account_id)
        .order_by(counts.c.last.desc().nulls_last(), Account.account_id)
        .limit(limit)
    ).all()
    return [
        {"account_id": a, "name": n, "plan": p, "event_count": e or 0, "last_event_at": _iso(last)}
        for a, n, p, e, last in rows
    ]


def _churn(latest: AccountScore | None, model: ChurnModel | None) -> dict[str, Any] | None:
    """The learned churn probability of the latest day, with what raises it (None unless a model is in use)."""
    if latest is None or latest.churn_probability is None or model is None:
        return None
    drivers = latest.churn_drivers or {}
    return {
        "probability": round(latest.churn_probability, 4),
        "horizon_days": model.horizon_days,
        "model_version": model.version,
        "drivers": [{"input": name, "label": FEATURE_LABELS.get(name, name), "push": v} for name, v in drivers.items()],
    }
