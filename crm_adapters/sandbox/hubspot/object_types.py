"""The portal's object types, their numeric ids (`0-2` is companies) and the names HubSpot accepts for each."""

from __future__ import annotations

from crm_adapters.sandbox.errors import SandboxError

OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "notes": "0-46", "tasks": "0-27"}
_TYPE_ALIASES = {name: name for name in OBJECT_TYPE_IDS} | {"company": "companies", "contact": "contacts"}
_TYPE_ALIASES |= {"deal": "deals", "note": "notes", "task": "tasks"}
_TYPE_ALIASES |= {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}


def canonical_type(name: str) -> str:
    """HubSpot accepts `companies`, `company` and `0-2` for the same object type."""
    found = _TYPE_ALIASES.get(name.lower())
    if found is None:
        raise SandboxError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")
    return found
