"""The sandbox Salesforce org: sObject describes, records and how they are written, plus its settings,
sessions and API usage.

One re-entrant lock guards the org, so an sObject Collections call can apply its records and roll them
all back (allOrNone) as one step. Values are stored as the REST API returns them (dates `YYYY-MM-DD`,
datetimes `2026-11-30T12:00:00.000+0000`, numbers as floats) and typed for SOQL when read. Ids are
18-character Salesforce ids with the real key prefixes and the case-safe checksum suffix, so the
15-character form of an id resolves too. What runs against the org lives beside it and takes it as an
argument: `queries` (SOQL), `sobject_collections`, `custom_fields`, `cadences`, `seeding`.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from crm_adapters.sandbox.salesforce import record_rules, settings
from crm_adapters.sandbox.salesforce.access import OrgAccess
from crm_adapters.sandbox.salesforce.catalog import (
    KEY_PREFIXES,
    OPPORTUNITY_STAGES,
    SALES_ENGAGEMENT_OBJECTS,
    TASK_STATUSES,
)
from crm_adapters.sandbox.salesforce.cursors import QueryCursors
from crm_adapters.sandbox.salesforce.describes import standard_describes, tooling_describes
from crm_adapters.sandbox.salesforce.errors import MultipleMatches, SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import API_VERSION, make_id, normalize_id, now_text
from crm_adapters.sandbox.salesforce.journal import Journal
from crm_adapters.sandbox.salesforce.record import SfRecord
from crm_adapters.sandbox.salesforce.settings import SalesforceCredentials, SalesforceSettings
from crm_adapters.sandbox.salesforce.values import same, stored_value


class SalesforceOrg:
    """Everything the sandbox org holds. Public methods take the lock; callers may hold it around several."""

    def __init__(
        self,
        credentials: SalesforceCredentials | None = None,
        settings: SalesforceSettings | None = None,
        *,
        seed_defaults: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.credentials = credentials or SalesforceCredentials()
        self.settings = settings or SalesforceSettings()
        self.seed_defaults = seed_defaults
        self.access = OrgAccess(self.settings)
        self.reset()

    def reset(self) -> None:
        """Forget all data and API usage (sessions, credentials and settings stay); the defaults come back."""
        with self.lock:
            self._numbers = itertools.count(1)
            self.describes = standard_describes()
            self.tooling = tooling_describes()
            self.records: dict[str, dict[str, SfRecord]] = {name: {} for name in self.describes}
            self.tooling_records: dict[str, dict[str, SfRecord]] = {name: {} for name in self.tooling}
            self.cursors = QueryCursors()
            self._journal: Journal | None = None
            self.access.forget_calls()
            for api_name, closed, default in TASK_STATUSES:
                values = {"ApiName": api_name, "MasterLabel": api_name, "IsClosed": closed, "IsDefault": default}
                self._insert_raw("TaskStatus", values)
            for order, (api_name, probability, closed, won, forecast) in enumerate(OPPORTUNITY_STAGES, 1):
                values = {"ApiName": api_name, "MasterLabel": api_name, "IsActive": True, "IsClosed": closed}
                values |= {"IsWon": won, "DefaultProbability": float(probability), "ForecastCategoryName": forecast}
                self._insert_raw("OpportunityStage", values | {"SortOrder": order})
            user = {"Username": self.credentials.username, "FirstName": "Integration", "LastName": "User"}
            self.integration_user_id = self.create("User", user | {"Email": "integration@example.com"}, trusted=True).id
            if self.seed_defaults:
                for first, last in (("Ana", "Lima"), ("Ben", "Okafor")):
                    email = f"{first.lower()}.csm@example.com"
                    self.create("User", {"FirstName": first, "LastName": last, "Email": email}, trusted=True)
                for name in ("Re-engagement: at risk", "Executive save"):
                    self.create("ActionCadence", {"Name": name, "State": "Active"}, trusted=True)

    def _insert_raw(self, sobject: str, values: dict[str, Any]) -> None:
        record_id = make_id(KEY_PREFIXES[sobject], next(self._numbers))
        self.records[sobject][record_id] = SfRecord(record_id, sobject, {"Id": record_id} | values)

    def next_id(self, sobject: str) -> str:
        """A new id with `sobject`'s key prefix (records and Tooling records share one sequence)."""
        return make_id(KEY_PREFIXES[sobject], next(self._numbers))

    # ---- settings and API usage ---------------------------------------------------------------

    def api_usage(self) -> tuple[int, int]:
        """(REST calls in the rolling 24 hours, the daily limit)."""
        return self.access.usage()

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings (page_size, daily_limit, session_ttl_seconds, sales_engagement) or credentials."""
        with self.lock:
            for key, value in changes.items():
                settings.apply_change(self.settings, self.credentials, key, value)
                if key == "username":
                    self.records["User"][self.integration_user_id].values["Username"] = value
            return self.settings_snapshot()

    def settings_snapshot(self) -> dict[str, Any]:
        return settings.snapshot(self.settings, self.credentials, *self.api_usage())

    # ---- describe -----------------------------------------------------------------------------

    def sobject_name(self, name: str, *, tooling: bool = False) -> str | None:
        """The canonical name of a visible sObject (case-insensitive); None when the org has no such object."""
        catalog = self.tooling if tooling else self.describes
        found = next((key for key in catalog if key.lower() == name.lower()), None)
        if found in SALES_ENGAGEMENT_OBJECTS and not self.settings.sales_engagement:
            return None
        return found

    def require_sobject(self, name: str, *, tooling: bool = False) -> str:
        found = self.sobject_name(name, tooling=tooling)
        if found is None:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return found

    def field(self, sobject: str, name: str, *, tooling: bool = False) -> dict[str, Any] | None:
        fields = (self.tooling if tooling else self.describes)[sobject]["fields"]
        found = fields.get(name)
        if found is None:
            found = next((d for key, d in fields.items() if key.lower() == name.lower()), None)
        return found

    def describe(self, sobject: str) -> dict[str, Any]:
        with self.lock:
            meta = self.describes[self.require_sobject(sobject)]
            body = {key: value for key, value in meta.items() if key != "fields"}
            name = meta["name"]
            body["urls"] = {"sobject": f"/services/data/v{API_VERSION}/sobjects/{name}"}
            return body | {"fields": copy.deepcopy(list(meta["fields"].values()))}

    def global_describe(self) -> list[dict[str, Any]]:
        with self.lock:
            names = [name for name in self.describes if self.sobject_name(name)]
            return [{k: v for k, v in self.describes[name].items() if k != "fields"} for name in names]

    # ---- records ------------------------------------------------------------------------------

    def find(self, record_id: str) -> SfRecord | None:
        """Any record (deleted too) with this 15- or 18-character id."""
        full = normalize_id(record_id)
        if full is None:
            return None
        for sobject, prefix in KEY_PREFIXES.items():
            if full.startswith(prefix) and sobject in self.records:
                return self.records[sobject].get(full)
        return None

    def get(self, sobject: str, record_id: str) -> SfRecord:
        """The live record for a single-record route: 404 NOT_FOUND, or ENTITY_IS_DELETED once deleted."""
        with self.lock:
            record = self.find(record_id)
            if record is None or record.sobject != sobject:
                raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
            if record.deleted:
                raise SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
            return record

    def create(self, sobject: str, values: dict[str, Any], *, trusted: bool = False) -> SfRecord:
        with self.lock:
            self._check_operation(sobject, "createable", "insert", trusted)
            changes = self._prepare(sobject, values, creating=True, trusted=trusted)
            record_id = self.next_id(sobject)
            moment = now_text()
            fields = self.describes[sobject]["fields"]
            base = {name: (False if d["type"] == "boolean" else None) for name, d in fields.items()}
            base |= {"Id": record_id, "IsDeleted": False, "CreatedDate": moment, "LastModifiedDate": moment}
            user = getattr(self, "integration_user_id", None)
            base |= {"SystemModstamp": moment, "CreatedById": user, "LastModifiedById": user}
            base |= record_rules.defaults(sobject, fields, changes, user, self._stage)
            record = SfRecord(record_id, sobject, {k: v for k, v in base.items() if k in fields})
            self._commit(record, changes, created=True)
            self.records[sobject][record_id] = record
            if self._journal is not None:
                self._journal.created(record_id)
            return record

    def update(self, record: SfRecord, values: dict[str, Any], *, trusted: bool = False) -> SfRecord:
        with self.lock:
            self._check_operation(record.sobject, "updateable", "update", trusted)
            changes = self._prepare(record.sobject, values, creating=False, trusted=trusted)
            if self._journal is not None:
                self._journal.changing(record)
            self._commit(record, changes, created=False)
            return record

    def delete(self, record: SfRecord) -> None:
        with self.lock:
            self._check_operation(record.sobject, "deletable", "delete", False)
            if record.deleted:
                raise SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
            if self._journal is not None:
                self._journal.changing(record)
            record.deleted = True
            record.values["IsDeleted"] = True
            record.values["LastModifiedDate"] = record.values["SystemModstamp"] = now_text()

    @contextmanager
    def journaled(self) -> Iterator[Journal]:
        """Hold the lock and record every write until the block ends, so the caller can undo them all."""
        with self.lock:
            self._journal = journal = Journal()
            try:
                yield journal
            finally:
                self._journal = None

    def rollback(self, journal: Journal) -> None:
        journal.undo(self.find, self.records)

    def by_external_id(self, sobject: str, id_field: str, value: str) -> tuple[dict[str, Any], list[SfRecord]]:
        """(field definition, live records whose external id `id_field` equals `value`)."""
        with self.lock:
            definition = self.field(sobject, id_field)
            if definition is None or not (definition["externalId"] or definition["type"] == "id"):
                raise SalesforceApiError(
                    404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {id_field}"
                )
            if definition["type"] == "id":
                return definition, [self.get(sobject, value)]
            key = stored_value(definition, value, self.find)
            live = [r for r in self.records[sobject].values() if not r.deleted]
            return definition, [r for r in live if same(r.values.get(definition["name"]), key)]

    def upsert(self, sobject: str, id_field: str, value: str, values: dict[str, Any]) -> tuple[SfRecord, bool]:
        """Update the one record whose external id `id_field` equals `value`, or create it: (record, created)."""
        with self.lock:
            definition, found = self.by_external_id(sobject, id_field, value)
            if len(found) > 1:
                raise MultipleMatches(sobject, [r.id for r in found])
            body = {k: v for k, v in values.items() if k.lower() != definition["name"].lower()}
            if found:
                return self.update(found[0], body), False
            key = stored_value(definition, value, self.find)
            return self.create(sobject, body | {definition["name"]: key}), True

    def finish_tracker(
        self, tracker_id: str, *, reason: str = "NoMoreSteps", disposition: str | None = None, state: str = "Complete"
    ) -> SfRecord:
        """End a cadence tracker as Sales Engagement would (control API: simulate a cadence finishing)."""
        with self.lock:
            record = self.get("ActionCadenceTracker", tracker_id)
            values = {"State": state, "CompletionReason": reason, "CompletionDisposition": disposition}
            return self.update(record, values | {"IsTrackerActive": state not in ("Complete", "Error")}, trusted=True)

    def _check_operation(self, sobject: str, flag: str, verb: str, trusted: bool) -> None:
        if not trusted and not self.describes[sobject][flag]:
            raise SalesforceApiError(
                400, "INVALID_TYPE_FOR_OPERATION", f"entity type {sobject} does not support {verb}"
            )

    def _prepare(self, sobject: str, values: dict[str, Any], *, creating: bool, trusted: bool) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise SalesforceApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object with field values")
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name == "attributes":
                continue
            definition = self.field(sobject, name)
            if definition is None:
                raise SalesforceApiError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}", [name]
                )
            canonical = definition["name"]
            allowed = definition["createable"] if creating else definition["updateable"]
            if not (trusted or allowed):
                action = "create" if creating else "update"
                raise SalesforceApiError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to {action} fields: {canonical}. Please check the security settings of this field and "
                    "verify that it is Read/Write for your profile or permission set.",
                    [canonical],
                )
            changes[canonical] = stored_value(definition, raw, self.find)
        return changes

    def _commit(self, record: SfRecord, changes: dict[str, Any], *, created: bool) -> None:
        """Merge, derive read-only fields, check required and unique fields, then write."""
        merged = dict(record.values) | changes
        previous = {} if created else record.values
        record_rules.derive(
            record.sobject, merged, previous, changes, created=created, stage=self._stage, find=self.find
        )
        fields = self.describes[record.sobject]["fields"]
        record_rules.check_required(fields, merged)
        record_rules.check_unique(fields, changes, merged, record.id, self.records[record.sobject])
        if not created:
            merged["LastModifiedDate"] = merged["SystemModstamp"] = now_text()
        record.values = merged

    def _stage(self, name: Any) -> dict[str, Any] | None:
        return next((r.values for r in self.records["OpportunityStage"].values() if r.values["ApiName"] == name), None)

    # ---- inspection ---------------------------------------------------------------------------

    def dump(self, sobject: str | None = None) -> dict[str, Any]:
        """Records per object (deleted ones flagged), custom fields, settings and usage, as JSON-ready data."""
        with self.lock:
            names = [self.require_sobject(sobject)] if sobject else [n for n in self.records if self.sobject_name(n)]
            objects = {
                name: [r.values | {"IsDeleted": r.deleted} for r in self.records[name].values()]
                for name in names
                if name not in ("TaskStatus", "OpportunityStage") or sobject
            }
            if sobject:
                return {names[0]: objects[names[0]]}
            custom = [dict(r.values) for r in self.tooling_records["CustomField"].values()]
            return {"objects": objects, "customFields": custom, "settings": self.settings_snapshot()}
