"""What arrived from each ticket source and what could not be tied to an account (and why), for the
console's Integrations page. Reads only; a fixed number of statements per call."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.ingest.traits import normalize_domain
from connector.store.models import Account, AccountAlias, Event, Ticket, TicketDelivery, User
from connector.store.sql import in_list

WINDOWS = {"24 h": timedelta(hours=24), "7 d": timedelta(days=7)}


def delivery_stats(session: Session, now: datetime) -> dict[str, dict[str, Any]]:
    """Per ticket source: the last delivery, deliveries by outcome over 24 h and 7 d, unsupported event types."""
    stats: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"last_delivery": None, "windows": {w: {} for w in WINDOWS}, "unsupported": []}
    )
    for source, last in session.execute(
        select(TicketDelivery.source, func.max(TicketDelivery.received_at)).group_by(TicketDelivery.source)
    ):
        stats[source]["last_delivery"] = last
    week = now - WINDOWS["7 d"]
    day = now - WINDOWS["24 h"]
    rows = session.execute(
        select(
            TicketDelivery.source,
            TicketDelivery.outcome,
            func.count(),
            func.count().filter(TicketDelivery.received_at >= day),
        )
        .where(TicketDelivery.received_at >= week)
        .group_by(TicketDelivery.source, TicketDelivery.outcome)
    )
    for source, outcome, in_week, in_day in rows:
        stats[source]["windows"]["7 d"][outcome] = in_week
        if in_day:
            stats[source]["windows"]["24 h"][outcome] = in_day
    for source, event_type, count, last in session.execute(
        select(TicketDelivery.source, TicketDelivery.event_type, func.count(), func.max(TicketDelivery.received_at))
        .where(TicketDelivery.outcome == "unsupported")
        .group_by(TicketDelivery.source, TicketDelivery.event_type)
        .order_by(TicketDelivery.source, TicketDelivery.event_type)
    ):
        stats[source]["unsupported"].append({"event_type": event_type, "count": count, "last": last})
    return dict(stats)


def last_product_event(session: Session) -> datetime | None:
    """When the newest stored product event arrived (read through the primary key, not a scan)."""
    return session.scalar(select(Event.received_at).order_by(Event.id.desc()).limit(1))


def unmatched_tickets(session: Session, config: Config, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
    """(unmatched tickets in all, the newest `limit` with the reason each did not match an account)."""
    total = session.scalar(select(func.count()).where(Ticket.account_id.is_(None))) or 0
    tickets = session.scalars(
        select(Ticket).where(Ticket.account_id.is_(None)).order_by(Ticket.state_at.desc()).limit(limit)
    ).all()
    if not tickets:
        return total, []
    orgs = {(t.source, t.organization_id) for t in tickets if t.organization_id}
    known_orgs = {
        (s, e)
        for s, e in session.execute(
            select(AccountAlias.source, AccountAlias.external_id).where(
                in_list(session, AccountAlias.external_id, sorted({o for _, o in orgs}))
            )
        )
    }
    emails = sorted({t.requester_email.lower() for t in tickets if t.requester_email})
    accounts_by_email: dict[str, set[str | None]] = defaultdict(set)
    for email, account_id in session.execute(
        select(User.email, User.account_id).where(in_list(session, User.email, emails))
    ):
        accounts_by_email[email.lower()].add(account_id)
    free = {d.lower() for d in config.tickets.free_email_domains}
    domains = sorted({d for d in (normalize_domain(e) for e in emails) if d and d not in free})
    accounts_by_domain: dict[str, int] = dict(
        session.execute(
            select(Account.domain, func.count())
            .where(in_list(session, Account.domain, domains))
            .group_by(Account.domain)
        ).all()
    )
    result = []
    for t in tickets:
        reasons = _reasons(t, config, known_orgs, accounts_by_email, accounts_by_domain, free)
        result.append(
            {
                "source": t.source,
                "external_id": t.external_id,
                "subject": t.subject,
                "organization_id": t.organization_id,
                "requester_email": t.requester_email,
                "received_at": t.first_received_at,
                "reasons": reasons,
            }
        )
    return total, result


def _reasons(
    t: Ticket,
    config: Config,
    known_orgs: set[tuple[str, str]],
    accounts_by_email: dict[str, set[str | None]],
    accounts_by_domain: dict[str, int],
    free: set[str],
) -> list[str]:
    reasons = []
    trait = config.tickets.organization_traits.get(t.source, f"{t.source}_organization_id")
    if t.organization_id and (t.source, t.organization_id) not in known_orgs:
        reasons.append(f"no account has {t.source} organization {t.organization_id} (group trait `{trait}`)")
    if t.requester_id:
        reasons.append(f"requester user {t.requester_id} belongs to no account yet")
    email = (t.requester_email or "").lower()
    if email:
        owners = {a for a in accounts_by_email.get(email, set()) if a}
        if not owners:
            reasons.append(f"no user with email {email} belongs to an account")
        elif len(owners) > 1:
            reasons.append(f"{email} is a user of {len(owners)} accounts")
        domain = normalize_domain(email)
        if not config.tickets.match_by_email_domain:
            reasons.append("matching by email domain is off (tickets.match_by_email_domain)")
        elif domain in free:
            reasons.append(f"{domain} is a shared mail provider, never matched by domain")
        elif domain and accounts_by_domain.get(domain, 0) == 0:
            reasons.append(f"no account has the domain {domain}")
        elif domain and accounts_by_domain.get(domain, 0) > 1:
            reasons.append(f"{accounts_by_domain[domain]} accounts share the domain {domain}")
    if not reasons:
        reasons.append("the ticket carries no account id, organization, user or requester email")
    return reasons
