"""Which CRM record each account is: looked up in batches by the match key (or domain) and kept, so only accounts
never resolved, or missing for a while, cost a lookup."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from connector.crm.sync_report import SyncReport
from connector.store.bulk import insert_ignore_many
from connector.store.models import CrmRecord
from crm_adapters.base import AccountKey, CrmAdapter, FieldMapping


class Resolving(Protocol):
    """What resolving needs of a sync run (`CrmSync` has it)."""

    sessions: sessionmaker[Session]
    adapter: CrmAdapter
    mapping: FieldMapping
    crm: str
    now: datetime


RESOLVE_AGAIN_AFTER = timedelta(hours=1)
"""An account without a CRM record is looked up again after this long (the record may be created)."""


def resolve_records(
    sync: Resolving,
    account_ids: list[str],
    records: dict[str, CrmRecord],
    accounts: dict[str, Any],
    report: SyncReport,
    dry_run: bool,
) -> dict[str, str]:
    """account_id -> record id, looking up only accounts never resolved (or missing for a while)."""
    known: dict[str, str] = {}
    wanted = []
    for account_id in account_ids:
        record = records.get(account_id)
        if record is not None and record.record_id:
            known[account_id] = record.record_id
        elif record is None or record.resolved_at is None or record.resolved_at < sync.now - RESOLVE_AGAIN_AFTER:
            wanted.append(account_id)
        else:
            report.unmatched.append(account_id)
    if not wanted:
        return known
    keys = []
    for account_id in wanted:
        account = accounts.get(account_id)
        match_key = (account.crm_match_key if account is not None else None) or account_id
        keys.append(AccountKey(match_key, account.domain if account is not None else None))
    by_key = sync.adapter.resolve(keys, sync.mapping)
    found: dict[str, str | None] = {}
    for account_id, key in zip(wanted, keys, strict=True):
        record_id = by_key.get(key.account_id)
        found[account_id] = record_id
        if record_id:
            known[account_id] = record_id
        else:
            report.unmatched.append(account_id)
    if not dry_run:
        with sync.sessions.begin() as session:
            insert_ignore_many(
                session,
                CrmRecord.__table__,
                ("crm", "account_id", "record_id", "resolved_at", "synced_values", "synced_story"),
                [(sync.crm, account_id, record_id, sync.now, {}, {}) for account_id, record_id in found.items()],
                # A known row keeps what it last got; only the lookup result changes.
                replace=(("crm", "account_id"), ("record_id", "resolved_at")),
            )
    return known
