"""One stored record of the org (`SfRecord`) and the `attributes` block the REST API puts on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class SfRecord:
    """A record as the org stores it: values in REST form, deleted ones kept (queryAll still sees them)."""

    id: str
    sobject: str
    values: dict[str, Any]
    deleted: bool = False


def attributes(record: SfRecord, prefix: str) -> dict[str, str]:
    """`{type, url}` with the record's URL under `prefix` (`/services/data/vNN.0/`, or its `tooling/`)."""
    return {"type": record.sobject, "url": f"{prefix}sobjects/{record.sobject}/{record.id}"}
