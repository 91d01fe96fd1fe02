"""Every task has an owner: `crm check` finds the records that have none when no default or escalation owner
is configured (before any task is made), and `healthloop status` warns about it from what is stored."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.config.crm_section import CrmConfig
from connector.store.models import Account, AccountScore, CrmRecord, Intervention
from crm_adapters.base import AccountKey, CrmAdapter, FieldCheck

NO_OWNER_ERROR = "no owner"
"""How a task that could not be made for want of an owner starts its stored error."""
FIX = (
    "set crm.owners.default (or escalation) to an owner id, so tasks of records without an owner go there; "
    "or give those records an owner in the CRM"
)
SHOWN = 5


def task_owner(config: CrmConfig, role: str, record_owner: str | None) -> str | None:
    """Who gets a task of a playbook row owned by `role` (`CrmConfig.owner_order`, first found wins): None when
    neither the record nor the configuration has anyone."""
    for step in config.owner_order(role):
        if step == "record":
            if record_owner:
                return record_owner
        else:
            return config.owners[step]  # type: ignore[index]
    return None


def owner_check(sessions: sessionmaker[Session] | None, adapter: CrmAdapter, config: CrmConfig) -> FieldCheck:
    """One `crm check` row: can every task get an owner? Reads the owners of the records the scored accounts
    have (those never looked up are looked up now; nothing is stored). No database: only the configuration."""
    if config.has_fallback_owner():
        fallback = "default" if "default" in config.owners else "escalation"
        return FieldCheck("owner:fallback", config.owners[fallback], True)  # type: ignore[index]
    known = _records_and_owners(sessions, adapter, config) if sessions is not None else None
    if known is None:
        return FieldCheck(
            "owner:fallback", "-", True, "no_fallback_owner",
            "no default or escalation owner is configured: a record without an owner would get no task",
            FIX, warning=True,
        )  # fmt: skip
    records, names = known
    owners = adapter.record_owners(sorted(records))
    orphans = sorted(names.get(records[rid], records[rid]) for rid in records if not owners.get(rid))
    if not orphans:
        return FieldCheck("owner:fallback", "-", True)
    listed = ", ".join(orphans[:SHOWN]) + (f" and {len(orphans) - SHOWN} more" if len(orphans) > SHOWN else "")
    return FieldCheck(
        "owner:fallback", "-", False, "no_owner",
        f"{len(orphans)} record(s) have no owner and crm.owners has no default or escalation owner, so their "
        f"tasks could not be made: {listed}",
        FIX,
    )  # fmt: skip


def _records_and_owners(
    sessions: sessionmaker[Session], adapter: CrmAdapter, config: CrmConfig
) -> tuple[dict[str, str], dict[str, str]] | None:
    """(record id -> account id, account id -> name) for the scored accounts that have a record."""
    mapping = config.mapping(adapter.name)
    with sessions() as session:
        known = dict(
            session.execute(
                select(CrmRecord.record_id, CrmRecord.account_id).where(
                    CrmRecord.crm == adapter.name, CrmRecord.record_id.is_not(None)
                )
            ).all()
        )
        looked_up = set(session.scalars(select(CrmRecord.account_id).where(CrmRecord.crm == adapter.name)))
        scored = select(AccountScore.account_id).distinct().subquery()
        unknown = session.execute(
            select(Account.account_id, Account.crm_match_key, Account.domain, Account.name).join(
                scored, scored.c.account_id == Account.account_id
            )
        ).all()
    names = {row.account_id: row.name or row.account_id for row in unknown}
    wanted = [row for row in unknown if row.account_id not in looked_up]
    if wanted:
        keys = [AccountKey(row.crm_match_key or row.account_id, row.domain) for row in wanted]
        found = adapter.resolve(keys, mapping)
        for row, key in zip(wanted, keys, strict=True):
            if key.account_id in found:
                known[found[key.account_id]] = row.account_id
    return (known, names) if known else None


def owner_warning(session: Session, crm: str, config: CrmConfig) -> str | None:
    """`healthloop status`: tasks waiting for an owner, or no owner to fall back on (None: all is well)."""
    if crm == "none":
        return None
    no_owner = Intervention.crm_error.like(f"{NO_OWNER_ERROR}%")
    waiting = session.scalar(select(func.count()).where(Intervention.crm_status == "failed", no_owner))
    if waiting:
        return f"{waiting} task(s) wait for an owner: {FIX}"
    if not config.has_fallback_owner():
        return (
            "no default or escalation owner in crm.owners: a record without an owner would get no task "
            "(`healthloop crm check` lists such records)"
        )
    return None
