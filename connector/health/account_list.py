"""The accounts list the console shows (and exports as CSV): filters, sort, search and pagination in SQL.

Every row is one account with its latest score (`latest_scores`, kept by triggers on the score
history), so a page over 100,000 accounts costs a handful of statements: the page, its count, and
the page's open triggers, play owners and recent scores (one statement each, never one per row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from connector.store.models import Account, AccountScore, Alert, Intervention, LatestScore
from connector.store.sql import chunks, in_list
from scoring.rules import TierBands

SortKey = Literal["score", "name", "trend", "mrr", "renewal", "revenue_at_risk"]
SORTS: dict[str, str] = {
    "score": "score",
    "name": "name",
    "trend": "7-day trend",
    "mrr": "MRR",
    "renewal": "renewal date",
    "revenue_at_risk": "revenue at risk",
}
OWNERS = ("csm", "escalation", "executive")
"""Who a play is assigned to (the playbook's owner roles)."""
SPARKLINE_DAYS = 14
PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class AccountQuery:
    """What the person asked for: filters, search, sort and page (all optional)."""

    tier: str | None = None
    trigger: str | None = None
    owner: str | None = None
    search: str | None = None
    sort: SortKey = "score"
    descending: bool = False
    page: int = 1
    per_page: int = 50


@dataclass
class AccountRow:
    account_id: str
    name: str | None
    score: int | None
    tier: str | None
    trend_delta: int | None
    trend_direction: str | None
    scored_on: date | None
    mrr: float | None
    renewal_date: date | None
    revenue_at_risk: float | None
    open_triggers: list[str] = field(default_factory=list)
    play_owner: str | None = None
    recent_scores: list[tuple[date, int]] = field(default_factory=list)


@dataclass
class AccountPage:
    rows: list[AccountRow]
    total: int
    """Accounts matching the filters (all pages)."""
    query: AccountQuery
    tier_counts: dict[str, int]
    """Accounts per latest tier, over every account (filters aside)."""
    unscored: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def revenue_at_risk(tiers: TierBands) -> Any:
    """Annual revenue (MRR x 12) of an account scored below the Monitor band (At Risk or worse), else 0;
    unknown (null) when its MRR is unknown."""
    return case((LatestScore.score < tiers.monitor, Account.mrr * 12), else_=literal(0.0))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _filtered(query: AccountQuery, tiers: TierBands, scored_only: bool = False) -> Select[Any]:
    """The accounts matching `query` (with `scored_only`, only those with a score: an inner join)."""
    at_risk = revenue_at_risk(tiers).label("revenue_at_risk")
    statement = select(
        Account.account_id,
        Account.name,
        LatestScore.score,
        LatestScore.tier,
        LatestScore.trend_delta,
        LatestScore.trend_direction,
        LatestScore.day,
        Account.mrr,
        Account.renewal_date,
        at_risk,
    ).select_from(Account)
    if query.tier or scored_only:
        statement = statement.join(LatestScore, LatestScore.account_id == Account.account_id)
        if query.tier:
            statement = statement.where(LatestScore.tier == query.tier)
    else:
        statement = statement.outerjoin(LatestScore, LatestScore.account_id == Account.account_id)
    if query.trigger:
        open_alerts = select(Alert.account_id).where(Alert.trigger_id == query.trigger, Alert.cleared_on.is_(None))
        statement = statement.where(Account.account_id.in_(open_alerts))
    if query.owner:
        newer = aliased(Intervention)
        latest_play = select(Intervention.account_id).where(
            Intervention.owner == query.owner,
            ~select(newer.id).where(newer.account_id == Intervention.account_id, newer.id > Intervention.id).exists(),
        )
        statement = statement.where(Account.account_id.in_(latest_play))
    if query.search and query.search.strip():
        pattern = _like(query.search.strip())
        statement = statement.where(
            or_(
                func.lower(Account.account_id).like(pattern, escape="\\"),
                func.lower(Account.name).like(pattern, escape="\\"),
                func.lower(Account.domain).like(pattern, escape="\\"),
            )
        )
    return statement


def _ordered(statement: Select[Any], query: AccountQuery, tiers: TierBands) -> Select[Any]:
    column: Any = {
        "score": LatestScore.score,
        "name": func.lower(func.coalesce(Account.name, Account.account_id)),
        "trend": LatestScore.trend_delta,
        "mrr": Account.mrr,
        "renewal": Account.renewal_date,
        "revenue_at_risk": revenue_at_risk(tiers),
    }[query.sort]
    primary = column.desc() if query.descending else column.asc()
    tie = Account.account_id.desc() if query.descending else Account.account_id.asc()
    # Rows without the value (unscored, no MRR, no renewal date) come last whichever way.
    return statement.order_by(primary.nulls_last(), tie)


def _by_score(statement: Select[Any], query: AccountQuery) -> Select[Any]:
    """The scored accounts in score order, read along the (score, account_id) index instead of sorting them all."""
    if query.descending:
        return statement.order_by(LatestScore.score.desc(), LatestScore.account_id.desc())
    return statement.order_by(LatestScore.score.asc(), LatestScore.account_id.asc())


def list_page(session: Session, query: AccountQuery, tiers: TierBands, today: date) -> AccountPage:
    """One page of accounts as `query` asks, with what each row shows."""
    tier_counts = dict(session.execute(select(LatestScore.tier, func.count()).group_by(LatestScore.tier)).all())
    accounts = session.scalar(select(func.count()).select_from(Account)) or 0
    scored = sum(tier_counts.values())
    filtered = _filtered(query, tiers)
    offset = (max(1, query.page) - 1) * query.per_page
    narrowed = bool(query.trigger or query.owner)
    if query.search:
        # A search scans every account once: the count of matches comes with the page, in the same pass.
        counted = filtered.add_columns(func.count().over().label("matches"))
        found = session.execute(_ordered(counted, query, tiers).limit(query.per_page).offset(offset)).all()
        total = found[0][-1] if found else _count(session, filtered)
        rows = [AccountRow(*row[:-1]) for row in found]
    else:
        with_score = _filtered(query, tiers, scored_only=True)
        # Without a trigger or owner filter, the tier counts already read answer both counts.
        total = _count(session, filtered) if narrowed else tier_counts.get(query.tier, 0) if query.tier else accounts
        page = _ordered(filtered, query, tiers)
        if query.sort == "score":
            # Unscored accounts sort last: a page that ends before them is read from the scored accounts alone.
            scored_total = total if query.tier else _count(session, with_score) if narrowed else scored
            if offset + query.per_page <= scored_total:
                page = _by_score(with_score, query)
        rows = [AccountRow(*row) for row in session.execute(page.limit(query.per_page).offset(offset))]
    decorate(session, rows, today)
    return AccountPage(rows, total, query, tier_counts, max(0, accounts - scored))


def _count(session: Session, statement: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def iter_rows(session: Session, query: AccountQuery, tiers: TierBands, today: date) -> Iterator[AccountRow]:
    """Every matching account in the page's order (the CSV export), read 500 at a time."""
    statement = _ordered(_filtered(query, tiers), query, tiers)
    batch: list[AccountRow] = []
    for row in session.execute(statement.execution_options(yield_per=500)):
        batch.append(AccountRow(*row))
        if len(batch) == 500:
            decorate(session, batch, today, sparkline=False)
            yield from batch
            batch = []
    decorate(session, batch, today, sparkline=False)
    yield from batch


def decorate(session: Session, rows: Sequence[AccountRow], today: date, sparkline: bool = True) -> None:
    """Fill each row's open triggers, play owner and (for the page) recent scores: one statement each."""
    ids = [row.account_id for row in rows]
    if not ids:
        return
    triggers: dict[str, list[str]] = defaultdict(list)
    owners: dict[str, str] = {}
    recent: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for chunk in chunks(ids):
        for account_id, trigger_id in session.execute(
            select(Alert.account_id, Alert.trigger_id)
            .where(in_list(session, Alert.account_id, chunk), Alert.cleared_on.is_(None))
            .order_by(Alert.fired_on, Alert.trigger_id)
        ):
            if trigger_id not in triggers[account_id]:
                triggers[account_id].append(trigger_id)
        latest = (
            select(Intervention.account_id, func.max(Intervention.id).label("id"))
            .where(in_list(session, Intervention.account_id, chunk))
            .group_by(Intervention.account_id)
            .subquery()
        )
        owners |= dict(
            session.execute(
                select(Intervention.account_id, Intervention.owner).join(latest, latest.c.id == Intervention.id)
            ).all()
        )
        if sparkline:
            for account_id, day, score in session.execute(
                select(AccountScore.account_id, AccountScore.day, AccountScore.score)
                .where(
                    in_list(session, AccountScore.account_id, chunk),
                    AccountScore.day > today - timedelta(days=SPARKLINE_DAYS),
                )
                .order_by(AccountScore.day)
            ):
                recent[account_id].append((day, score))
    for row in rows:
        row.open_triggers = triggers.get(row.account_id, [])
        row.play_owner = owners.get(row.account_id)
        row.recent_scores = recent.get(row.account_id, [])
