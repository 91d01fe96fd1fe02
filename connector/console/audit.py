"""The console's action log: who did what, when, and how it went (sign-ins and refusals included)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import ConsoleAction


def record(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    role: str | None,
    action: str,
    outcome: str = "ok",
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    """Store one action in its own transaction (a refused or failed action is still logged)."""
    with sessions.begin() as session:
        session.add(
            ConsoleAction(
                at=datetime.now(UTC),
                actor=actor,
                role=role,
                action=action,
                target=target,
                outcome=outcome,
                detail=detail or {},
                remote_addr=remote_addr,
            )
        )


def recent(session: Session, page: int = 1, per_page: int = 50) -> tuple[int, list[ConsoleAction]]:
    """(actions in all, one page of them, newest first)."""
    total = session.scalar(select(func.count()).select_from(ConsoleAction)) or 0
    rows = session.scalars(
        select(ConsoleAction).order_by(ConsoleAction.id.desc()).limit(per_page).offset((max(1, page) - 1) * per_page)
    ).all()
    return total, list(rows)


def refusals_since(session: Session, action: str, remote_addr: str | None, since: datetime) -> int:
    """How many times `action` was refused for this address since `since` (sign-in throttling)."""
    return (
        session.scalar(
            select(func.count()).where(
                ConsoleAction.at >= since,
                ConsoleAction.action == action,
                ConsoleAction.outcome == "refused",
                ConsoleAction.remote_addr == remote_addr,
            )
        )
        or 0
    )


def latest(session: Session, action: str) -> ConsoleAction | None:
    """The newest successful `action` (e.g. the last CRM mapping check, whose result the page shows)."""
    return session.scalar(
        select(ConsoleAction)
        .where(ConsoleAction.action == action, ConsoleAction.outcome == "ok")
        .order_by(ConsoleAction.id.desc())
        .limit(1)
    )
