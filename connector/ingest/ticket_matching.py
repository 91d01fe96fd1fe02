"""Find the account a support ticket belongs to, now or when the account's traits arrive later.

Order of evidence, strongest first: our own account id in the payload; the support tool's
organization id (through `account_aliases`, filled from group traits); our own user id
(Intercom's `external_id`); the requester's exact email on a known user; the requester's
email domain when exactly one account has it and it is not a shared mail provider.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from connector.config.yaml_config import Config
from connector.events import TicketEvent
from connector.ingest.traits import normalize_domain
from connector.store.models import Account, AccountAlias, Ticket, User


def _domain_of(email: str | None, config: Config) -> str | None:
    if not email or "@" not in email:
        return None
    domain = normalize_domain(email)
    if domain is None or domain in {d.lower() for d in config.tickets.free_email_domains}:
        return None
    return domain


def match_ticket(session: Session, ticket: TicketEvent, config: Config) -> tuple[str | None, str | None]:
    """(account id, how it was matched), or (None, None) when nothing ties it to an account."""
    if ticket.account_id:
        return ticket.account_id, "account_id"
    if ticket.organization_id:
        account = session.scalar(
            select(AccountAlias.account_id).where(
                AccountAlias.source == ticket.source, AccountAlias.external_id == ticket.organization_id
            )
        )
        if account:
            return account, "organization"
    if ticket.user_id:
        account = session.scalar(select(User.account_id).where(User.user_id == ticket.user_id))
        if account:
            return account, "user"
    if ticket.requester_email:
        accounts = session.scalars(
            select(User.account_id)
            .where(User.email == ticket.requester_email.lower(), User.account_id.is_not(None))
            .distinct()
            .limit(2)
        ).all()
        if len(accounts) == 1:
            return accounts[0], "user_email"
    domain = _domain_of(ticket.requester_email, config) if config.tickets.match_by_email_domain else None
    if domain:
        accounts = session.scalars(select(Account.account_id).where(Account.domain == domain).limit(2)).all()
        if len(accounts) == 1:
            return accounts[0], "domain"
    return None, None


def rematch_unmatched_tickets(session: Session, account: Account, config: Config) -> set[tuple[str, date]]:
    """Attach stored unmatched tickets that this account's organization ids or domain now explain."""
    aliases = session.execute(
        select(AccountAlias.source, AccountAlias.external_id).where(AccountAlias.account_id == account.account_id)
    ).all()
    conditions = [and_(Ticket.source == source, Ticket.organization_id == org) for source, org in aliases]
    if account.domain and config.tickets.match_by_email_domain and _domain_of(f"x@{account.domain}", config):
        conditions.append(func.lower(Ticket.requester_email).like(f"%@{account.domain}"))
    if not conditions:
        return set()
    tickets = Ticket.__table__
    matched = session.execute(
        update(tickets)
        .where(tickets.c.account_id.is_(None), or_(*conditions))
        .values(account_id=account.account_id, match_method="rematched")
        .returning(tickets.c.opened_at, tickets.c.state_at)
    ).all()
    return {(account.account_id, (opened or seen).astimezone(UTC).date()) for opened, seen in matched}
