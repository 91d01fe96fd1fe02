"""Tier episodes for the playbook: when each account's current run of days in one tier began, and the last
day each tier's play was decided for it (`scoring.playbook.tier_play_due`: once per tier episode)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.store.models import AccountScore, Intervention
from connector.store.sql import chunks, in_list


def tier_episodes(
    session: Session, account_ids: Sequence[str], as_of: date, previous_tier: dict[str, str]
) -> tuple[dict[str, date], dict[str, dict[str, date]]]:
    """(account -> first day of its `previous_tier`'s ongoing run before `as_of`, account -> tier -> last day
    that tier's play was decided up to `as_of`). Days without a score do not break a run."""
    since: dict[str, date] = {}
    plays: dict[str, dict[str, date]] = defaultdict(dict)
    scores = AccountScore.__table__.c
    for chunk in chunks(list(account_ids)):
        runs: dict[str, list[tuple[str, date, date]]] = defaultdict(list)
        for account_id, tier, first, last in session.execute(
            select(scores.account_id, scores.tier, func.min(scores.day), func.max(scores.day))
            .where(in_list(session, scores.account_id, chunk), scores.day < as_of)
            .group_by(scores.account_id, scores.tier)
        ):
            runs[account_id].append((tier, first, last))
        for account_id, tiers in runs.items():
            current = previous_tier.get(account_id)
            other = [last for tier, _, last in tiers if tier != current]
            since[account_id] = max(other) + timedelta(days=1) if other else min(first for _, first, _ in tiers)
        for account_id, tier, last in session.execute(
            select(Intervention.account_id, Intervention.tier, func.max(Intervention.created_at))
            .where(in_list(session, Intervention.account_id, chunk), Intervention.tier_play.is_(True))
            .group_by(Intervention.account_id, Intervention.tier)
        ):
            if last.date() <= as_of:
                plays[account_id][tier] = last.date()
    return since, plays
