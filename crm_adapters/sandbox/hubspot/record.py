"""One CRM object as the portal stores it (`Record`), and its JSON for the control API's state dump."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_adapters.sandbox.hubspot.timestamps import iso


@dataclass
class Record:
    """One CRM object. `history` keeps every write per property (newest last) so tests can count writes."""

    id: str
    object_type: str
    properties: dict[str, str]
    created_at: datetime
    updated_at: datetime
    history: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    archived: bool = False


def record_dump(record: Record) -> dict[str, Any]:
    """The record with its write count per property (custom and standard properties alike)."""
    return {
        "id": record.id,
        "properties": dict(record.properties),
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
        "archived": record.archived,
        "writes": {name: len(values) for name, values in record.history.items()},
    }
