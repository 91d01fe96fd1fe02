"""Seed data for the org: the bulk-create payload of `POST /_sandbox/salesforce/seed` (custom fields,
users, cadences, accounts, contacts, opportunities, tasks), with links to records seeded earlier by index.
"""

from __future__ import annotations

from typing import Any

from crm_adapters.sandbox.salesforce.custom_fields import create_custom_field
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.org import SalesforceOrg


def seed(org: SalesforceOrg, payload: dict[str, Any]) -> dict[str, list[str]]:
    """Bulk-create from JSON; `AccountIndex`/`ContactIndex`/`OwnerIndex` point at records seeded earlier."""
    groups = {"users": "User", "cadences": "ActionCadence", "accounts": "Account", "contacts": "Contact"}
    groups |= {"opportunities": "Opportunity", "tasks": "Task"}
    unknown = set(payload) - set(groups) - {"custom_fields"}
    if unknown:
        raise SalesforceApiError(
            400, "INVALID_INPUT", f"seed takes {', '.join(['custom_fields', *groups])}; not {sorted(unknown)}"
        )
    created: dict[str, list[str]] = {"custom_fields": []}
    links = {"AccountIndex": ("accounts", "AccountId"), "ContactIndex": ("contacts", "WhoId")}
    links |= {"OwnerIndex": ("users", "OwnerId"), "WhatIndex": ("accounts", "WhatId")}
    with org.lock:
        for body in payload.get("custom_fields") or []:
            created["custom_fields"].append(create_custom_field(org, body).id)
        for group, sobject in groups.items():
            created[group] = []
            for index, item in enumerate(payload.get(group) or []):
                if not isinstance(item, dict):
                    raise SalesforceApiError(400, "INVALID_INPUT", f"{group}[{index}] must be an object")
                values = {k: v for k, v in item.items() if k not in links}
                for key, (source, target) in links.items():
                    if key in item:
                        values[target] = created[source][int(item[key])]
                if sobject == "Task" and "AccountId" in values:
                    values["WhatId"] = values.pop("AccountId")
                if sobject == "ActionCadence":
                    values.setdefault("State", "Active")
                created[group].append(org.create(sobject, values, trusted=True).id)
    return created
