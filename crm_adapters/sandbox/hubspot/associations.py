"""The links between records: (from type, from id, to type) -> {to id: {(category, type id)}}, both ways.

HubSpot always keeps an association and its inverse; whether the records still exist is for the caller
(`SandboxState.associated` hides archived ones).
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.hubspot.association_types import inverse_type_id


class AssociationLinks:
    """Every association the portal holds, with the type ids it was made with."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, str, str], dict[str, set[tuple[str, int]]]] = {}

    def add(self, from_type: str, from_id: str, to_type: str, to_id: str, kinds: list[tuple[str, int]]) -> None:
        """Store an association and its inverse."""
        for category, type_id in kinds:
            self._links.setdefault((from_type, from_id, to_type), {}).setdefault(to_id, set()).add((category, type_id))
            inverse = inverse_type_id(from_type, to_type, type_id)
            self._links.setdefault((to_type, to_id, from_type), {}).setdefault(from_id, set()).add((category, inverse))

    def of(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[tuple[str, int]]]:
        """to id -> sorted kinds, lowest id first (archived targets included)."""
        links = self._links.get((from_type, from_id, to_type), {})
        return {to_id: sorted(kinds) for to_id, kinds in sorted(links.items(), key=lambda item: int(item[0]))}

    def dump(self) -> list[dict[str, Any]]:
        return [
            {"fromType": f, "fromId": fid, "toType": t, "toId": tid, "types": sorted(kinds)}
            for (f, fid, t), links in self._links.items()
            for tid, kinds in links.items()
        ]
