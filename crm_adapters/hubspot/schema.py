"""Provision and check the HubSpot schema healthloop writes into: the property group, the mapped
company properties, the match property, and the unique idempotency keys on tasks and notes.

Safe to run twice and from two workers at once: existing definitions are left alone (an
enumeration only gains the options it lacks), and a 409 from a create means someone else made it.
"""

from __future__ import annotations

from typing import Any

from crm_adapters.base import FieldCheck, FieldMapping, ProvisionResult
from crm_adapters.errors import CrmConfigError
from crm_adapters.hubspot import fields
from crm_adapters.hubspot.calls import HubSpotCalls, HubSpotFatalError


class HubSpotSchema:
    def __init__(self, calls: HubSpotCalls, *, task_key_property: str, note_key_property: str) -> None:
        self.calls = calls
        self.task_key_property = task_key_property
        self.note_key_property = note_key_property

    def provision(self, mapping: FieldMapping) -> ProvisionResult:
        group_created = self.ensure_group("companies", mapping.group, mapping.group_label)
        live = self.properties("companies")
        created: list[str] = []
        updated: list[str] = []
        existing: list[str] = []
        migrated: list[str] = []
        messages: list[str] = []
        for spec in mapping.fields:
            current = live.get(spec.name)
            if current is None:
                self.create_property("companies", fields.property_create_body(spec, mapping.group))
                created.append(spec.name)
            elif fields.needs_checkboxes(spec, current) and not fields.is_read_only(current):
                body = fields.checkbox_body(spec, current)
                was = f"{current.get('type')}/{current.get('fieldType')}"
                self.calls.api(
                    "properties.update", "crm.properties.core_api", "update", "companies", spec.name, body, write=True
                )
                migrated.append(spec.name)
                messages.append(
                    f"{spec.name} was {was} and is now a multi-select (checkboxes, one option per value): CSMs can "
                    "filter views and reports on each value; the values already written are kept"
                )
            elif (
                spec.kind in fields.OPTION_KINDS
                and current.get("type") == "enumeration"
                and fields.missing_options(spec, current)
            ):
                body = fields.options_update_body(spec, current)
                self.calls.api(
                    "properties.update", "crm.properties.core_api", "update", "companies", spec.name, body, write=True
                )
                updated.append(spec.name)
            else:
                existing.append(spec.name)
        for object_type, name, label, description in self._key_properties(mapping):
            props = live if object_type == "companies" else self.properties(object_type)
            shown = name if object_type == "companies" else f"{object_type}.{name}"
            if name in props:
                existing.append(shown)
                continue
            if object_type != "companies":
                self.ensure_group(object_type, mapping.group, mapping.group_label)
            self.create_property(object_type, fields.unique_key_body(name, label, mapping.group, description))
            created.append(shown)
        return ProvisionResult(
            group_created, tuple(created), tuple(updated), tuple(existing), tuple(migrated), tuple(messages)
        )

    def _key_properties(self, mapping: FieldMapping) -> list[tuple[str, str, str, str]]:
        """(object type, name, label, description) of the unique properties healthloop relies on."""
        keys = [
            ("tasks", self.task_key_property, "healthloop intervention", "One task per healthloop intervention"),
            ("notes", self.note_key_property, "healthloop note", "One note per healthloop event"),
        ]
        if mapping.match_by == "account_id":
            match = (
                "companies",
                mapping.match_field,
                "healthloop account id",
                "The product account id healthloop matches this company on",
            )
            keys.insert(0, match)
        return keys

    def check(self, mapping: FieldMapping) -> list[FieldCheck]:
        live = self.properties("companies")
        checks = [fields.check_property(spec, live.get(spec.name)) for spec in mapping.fields]
        match = mapping.match_spec()
        unique = mapping.match_by == "account_id"
        checks.append(fields.check_property(match, live.get(mapping.match_field), unique=unique))
        return checks

    def properties(self, object_type: str) -> dict[str, dict[str, Any]]:
        response = self.calls.api("properties.list", "crm.properties.core_api", "get_all", object_type)
        return {prop["name"]: prop for prop in (response.body or {}).get("results", [])}

    def ensure_group(self, object_type: str, name: str, label: str) -> bool:
        """Create the property group unless it exists. True if this call created it."""
        try:
            self.calls.api("groups.read", "crm.properties.groups_api", "get_by_name", object_type, name)
            return False
        except HubSpotFatalError as exc:
            if exc.status != 404:
                raise
        body = {"name": name, "label": label, "displayOrder": -1}
        try:
            self.calls.api("groups.create", "crm.properties.groups_api", "create", object_type, body, write=True)
        except HubSpotFatalError as exc:
            if exc.status != 409:
                raise CrmConfigError(f"cannot create property group {name} on {object_type}: {exc.message}") from None
            return False
        return True

    def create_property(self, object_type: str, body: dict[str, Any]) -> None:
        try:
            self.calls.api("properties.create", "crm.properties.core_api", "create", object_type, body, write=True)
        except HubSpotFatalError as exc:
            if exc.status != 409:  # 409: another worker created it meanwhile, which is what we wanted
                raise CrmConfigError(f"cannot create {object_type} property {body['name']}: {exc.message}") from None
