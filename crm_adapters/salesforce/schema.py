"""Salesforce Account (and Task key) fields: describe, Tooling API provisioning, mapping checks.

A field created here is invisible to describe until field-level security is granted to the
integration user, so provisioning twice meets it as a duplicate and counts it as existing, and
`check` says "missing" with the FLS fix.
"""

from __future__ import annotations

from typing import Any

from simple_salesforce import format_soql

from crm_adapters.base import FieldCheck, FieldKind, FieldMapping, FieldSpec, ProvisionResult
from crm_adapters.errors import CrmConfigError
from crm_adapters.salesforce import fields
from crm_adapters.salesforce.calls import SalesforceCalls, SalesforceFatalError


class SalesforceSchema:
    def __init__(self, calls: SalesforceCalls, *, task_key_field: str) -> None:
        self.calls = calls
        self.task_key_field = task_key_field
        self._describes: dict[str, dict[str, dict[str, Any]]] = {}
        self._kinds: dict[str, FieldKind] = {}
        """Field name -> kind, from the mappings seen (written values are encoded by kind)."""

    def learn(self, mapping: FieldMapping) -> None:
        self._kinds |= {spec.name: spec.kind for spec in mapping.fields}

    def describe(self, object_name: str, *, fresh: bool = False) -> dict[str, dict[str, Any]]:
        """field name -> describe field of an object (only the fields the integration user can see)."""
        if fresh or object_name not in self._describes:
            body = self.calls.restful(f"{object_name.lower()}.describe", f"sobjects/{object_name}/describe")
            self._describes[object_name] = {str(f["name"]): f for f in (body or {}).get("fields") or []}
        return self._describes[object_name]

    def provision(self, mapping: FieldMapping) -> ProvisionResult:
        """Create the missing custom fields through the Tooling API and add missing picklist values.

        Salesforce has no property groups (group_created is always False). A field created here is
        invisible to describe until field-level security is granted, so a second run meets it as a
        DUPLICATE_DEVELOPER_NAME and counts it as existing.
        """
        self.learn(mapping)
        live = self.describe("Account", fresh=True)
        created: list[str] = []
        updated: list[str] = []
        existing: list[str] = []
        messages: list[str] = []
        for spec in mapping.fields:
            current = live.get(spec.name)
            if current is None:
                fields.require_custom(spec.name)
                made = self._create_field("Account", spec.name, fields.field_metadata(spec))
                (created if made else existing).append(spec.name)
            elif (
                spec.kind in fields.OPTION_KINDS
                and current.get("type") in ("picklist", "multipicklist")
                and fields.missing_values(spec, current)
            ):
                if self._add_picklist_values("Account", spec.name, fields.missing_values(spec, current), spec):
                    updated.append(spec.name)
                else:
                    existing.append(spec.name)
            else:
                existing.append(spec.name)
                check = fields.check_field(spec, current)
                if check.warning:
                    messages.append(f"{spec.name} stays as it is: {check.detail}; to change it, {check.fix}")
        keys = [("Task", self.task_key_field, "healthloop key", "One task per healthloop intervention or note")]
        if mapping.match_by == "account_id":
            keys.insert(0, ("Account", mapping.match_field, "healthloop account id", "The product account id"))
        for object_name, name, label, description in keys:
            shown = name if object_name == "Account" else f"{object_name}.{name}"
            if name in self.describe(object_name, fresh=object_name != "Account"):
                existing.append(shown)
                continue
            fields.require_custom(name)
            made = self._create_field(object_name, name, fields.key_field_metadata(label, description))
            (created if made else existing).append(shown)
        self._describes.clear()
        return ProvisionResult(False, tuple(created), tuple(updated), tuple(existing), messages=tuple(messages))

    def _create_field(self, object_name: str, name: str, metadata: dict[str, Any]) -> bool:
        """POST tooling/sobjects/CustomField. True if created, False if it existed already."""
        body = fields.create_body(object_name, name, metadata)
        try:
            self.calls.tooling("customfield.create", "sobjects/CustomField", method="POST", data=body, write=True)
        except SalesforceFatalError as exc:
            if exc.error_code in ("DUPLICATE_DEVELOPER_NAME", "DUPLICATE_VALUE") or "already" in exc.message.lower():
                return False  # another worker, or an earlier run whose field lacks FLS for us
            raise CrmConfigError(
                f"cannot create {object_name}.{name}: {exc.message}; the integration user needs "
                "'Customize Application' (or create the field in Setup)",
                status=exc.status,
                category=exc.category,
            ) from None
        return True

    def _add_picklist_values(self, object_name: str, name: str, values: list[str], spec: FieldSpec) -> bool:
        """Append values to a custom picklist (Tooling: read its Metadata, PATCH it back with the additions)."""
        if not fields.is_custom(name):
            return False  # a standard picklist: `check` reports the missing values and the fix
        developer_name = name.removesuffix("__c").split("__")[-1]
        soql = format_soql(
            "SELECT Id FROM CustomField WHERE TableEnumOrId = {} AND DeveloperName = {}", object_name, developer_name
        )
        rows = self.calls.tooling_query("customfield.find", soql)
        if not rows:
            return False
        # Metadata is read per record: a Tooling query may select it only when it returns one row.
        current = self.calls.tooling("customfield.read", f"sobjects/CustomField/{rows[0]['Id']}")
        metadata = fields.with_added_values((current or {}).get("Metadata") or {}, values, spec)
        try:
            self.calls.tooling(
                "customfield.update", f"sobjects/CustomField/{rows[0]['Id']}", method="PATCH",
                data={"Metadata": metadata}, write=True,
            )  # fmt: skip
        except SalesforceFatalError as exc:
            raise CrmConfigError(
                f"cannot add picklist values {', '.join(values)} to {object_name}.{name}: {exc.message}; "
                "add them in Setup",
                status=exc.status,
                category=exc.category,
            ) from None
        return True

    def check(self, mapping: FieldMapping) -> list[FieldCheck]:
        self.learn(mapping)
        live = self.describe("Account", fresh=True)
        checks = [fields.check_field(spec, live.get(spec.name)) for spec in mapping.fields]
        match = mapping.match_spec()
        checks.append(fields.check_field(match, live.get(mapping.match_field), match=True))
        return checks

    def kinds_for(self, names: set[str]) -> dict[str, FieldKind | None]:
        """How to encode each written field: from a seen mapping, else from the live describe."""
        unknown = [name for name in names if name not in self._kinds]
        live = self.describe("Account") if unknown else {}
        return {name: self._kinds.get(name) or fields.kind_of(live.get(name) or {}) for name in names}
