"""After `crm provision` created or changed a field, the records hold nothing of what healthloop last wrote into
it (a field deleted and made again is empty; one that changed type may have dropped its values): forget those
values in `crm_records.synced_values`, so the next sync writes them to every record again."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import CrmRecord


def forget_synced(sessions: sessionmaker[Session], crm: str, names: Sequence[str]) -> int:
    """Drop `names` from every record's synced values for `crm`; returns how many records will get them again."""
    wanted = set(names)
    if not wanted:
        return 0
    forgotten = 0
    with sessions.begin() as session:
        rows = session.execute(select(CrmRecord.account_id, CrmRecord.synced_values).where(CrmRecord.crm == crm)).all()
        for account_id, synced in rows:
            if wanted & set(synced or {}):
                kept = {name: value for name, value in synced.items() if name not in wanted}
                session.execute(
                    update(CrmRecord)
                    .where(CrmRecord.crm == crm, CrmRecord.account_id == account_id)
                    .values(synced_values=kept)
                )
                forgotten += 1
    return forgotten
