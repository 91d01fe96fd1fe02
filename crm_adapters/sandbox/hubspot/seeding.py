"""A portal's seed data: the default owners and sequences of a fresh portal, and the bulk-create payload
of `POST /_sandbox/seed` (owners, property groups and definitions, objects with associations, sequences).
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.errors import SandboxError
from crm_adapters.sandbox.hubspot import association_types
from crm_adapters.sandbox.hubspot.object_types import canonical_type
from crm_adapters.sandbox.hubspot.state import SandboxState

_SEEDED_OBJECT_TYPES = ("companies", "contacts", "deals", "tasks", "notes")
_DEFAULT_OWNERS = (
    ("ana.csm@example.com", "Ana", "Lima"),
    ("ben.csm@example.com", "Ben", "Okafor"),
    ("carla.vp@example.com", "Carla", "Diaz"),
)
_DEFAULT_SEQUENCES = (("Re-engagement: at risk", 0), ("Onboarding nudge", 0), ("Executive save", 2))


def seed_defaults(state: SandboxState) -> None:
    """A fresh portal's users: three owners, and sequences owned by two of them."""
    owners = [state.add_owner(*owner) for owner in _DEFAULT_OWNERS]
    for name, owner_index in _DEFAULT_SEQUENCES:
        state.add_sequence(name, owners[owner_index]["userId"])


def seed(state: SandboxState, payload: dict[str, Any]) -> dict[str, Any]:
    """Bulk-create from JSON (see the README of `healthloop sandbox`); returns the ids in input order.

    Objects are `{properties, associations?, associate?: {companies: [index, ...]}}` or flat property maps;
    `associate` points at records created earlier in the same payload, by their index.
    """
    created: dict[str, Any] = {}
    with state.lock:
        for object_type, groups in (payload.get("groups") or {}).items():
            for group in groups:
                state.create_group(canonical_type(object_type), group)
        for object_type, definitions in (payload.get("properties") or {}).items():
            for definition in definitions:
                state.create_property(canonical_type(object_type), definition)
        owners = [
            state.add_owner(str(o["email"]), str(o.get("firstName", "")), str(o.get("lastName", "")))
            for o in payload.get("owners") or []
        ]
        created["owners"] = [{"id": o["id"], "userId": o["userId"], "email": o["email"]} for o in owners]
        for object_type in _SEEDED_OBJECT_TYPES:
            ids: list[str] = []
            for index, item in enumerate(payload.get(object_type) or []):
                if not isinstance(item, dict):
                    raise SandboxError(400, "VALIDATION_ERROR", f"{object_type}[{index}] must be an object")
                properties = item.get("properties", item)
                associations = list(item.get("associations") or [])
                for to_type, indexes in (item.get("associate") or {}).items():
                    target = canonical_type(to_type)
                    type_id = association_types.default_type_id(object_type, target)
                    for position in indexes:
                        to_id = created[target][int(position)]
                        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
                        associations.append({"to": {"id": to_id}, "types": [spec]})
                ids.append(state.create(object_type, properties, associations, trusted=True).id)
            created[object_type] = ids
        sequences = []
        for item in payload.get("sequences") or []:
            user_id = item.get("userId")
            if user_id is None and item.get("ownerEmail"):
                owner = next((o for o in state.owners.values() if o["email"] == item["ownerEmail"]), None)
                if owner is None:
                    raise SandboxError(400, "VALIDATION_ERROR", f"no owner with email {item['ownerEmail']}")
                user_id = owner["userId"]
            if user_id is None:
                user_id = next(iter(state.owners.values()))["userId"]
            sequences.append(state.add_sequence(str(item["name"]), user_id))
        created["sequences"] = [s["id"] for s in sequences]
    return created
