"""The sandbox portal's memory: records, property definitions, associations, owners, sequences, enrollments.

One re-entrant lock guards everything, so a batch call can validate all of its inputs and then apply
them as one step, as HubSpot does (one bad input fails the whole batch before anything is written).
The rules live beside it: `values` (property values), `property_rules`, `pipelines`, `association_types`,
`outreach` (owners, sequences, enrollments), `associations`, `unique_index`; OAuth tokens are in `tokens`.
"""

from __future__ import annotations

import itertools
import threading
from datetime import datetime
from typing import Any

from crm_adapters.sandbox.errors import SandboxError, not_found
from crm_adapters.sandbox.hubspot import association_types, catalog, outreach, pipelines, property_rules
from crm_adapters.sandbox.hubspot.associations import AssociationLinks
from crm_adapters.sandbox.hubspot.object_types import OBJECT_TYPE_IDS
from crm_adapters.sandbox.hubspot.record import Record, record_dump
from crm_adapters.sandbox.hubspot.timestamps import iso, now
from crm_adapters.sandbox.hubspot.tokens import AccessTokens, OAuthApp
from crm_adapters.sandbox.hubspot.unique_index import UniqueIndex
from crm_adapters.sandbox.hubspot.values import InvalidValue, normalize_value, validation_error


class SandboxState:
    """Everything a sandbox portal holds. Public methods take the lock; callers may hold it around several."""

    def __init__(self, oauth: OAuthApp | None = None) -> None:
        self.lock = threading.RLock()
        self.oauth = oauth or OAuthApp()
        self.tokens = AccessTokens(self.oauth)
        self.reset()

    def reset(self) -> None:
        """Forget all data (issued OAuth tokens and configuration stay valid); standard definitions come back."""
        with self.lock:
            self._ids = itertools.count(10_001)
            self._owner_ids = itertools.count(70_000_001)
            self._user_ids = itertools.count(9_000_001)
            self._sequence_ids = itertools.count(500_001)
            self._enrollment_ids = itertools.count(800_001)
            self.records: dict[str, dict[str, Record]] = {name: {} for name in OBJECT_TYPE_IDS}
            self.properties = {name: catalog.standard_properties(name, iso(now())) for name in OBJECT_TYPE_IDS}
            self.groups = {name: catalog.standard_groups(name) for name in OBJECT_TYPE_IDS}
            self._unique = UniqueIndex()
            self.associations = AssociationLinks()
            self.owners: dict[str, dict[str, Any]] = {}
            self.pipelines = {"deals": pipelines.deal_pipelines(iso(now()))}
            self.sequences: dict[str, dict[str, Any]] = {}
            self.enrollments: dict[str, dict[str, Any]] = {}

    # ---- property definitions -----------------------------------------------------------------

    def property_definition(self, object_type: str, name: str) -> dict[str, Any]:
        definition = self.properties[object_type].get(name)
        if definition is None or definition["archived"]:
            raise SandboxError(
                404,
                "OBJECT_NOT_FOUND",
                f"Property {name} does not exist",
                context={"objectType": [object_type], "propertyName": [name]},
            )
        return definition

    def create_property(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            definition = property_rules.validate_property_create(body, self.groups[object_type], iso(now()))
            if definition["name"] in self.properties[object_type]:
                raise SandboxError(
                    409,
                    "OBJECT_ALREADY_EXISTS",
                    f"A property named '{definition['name']}' already exists.",
                    context={"name": [definition["name"]]},
                )
            self.properties[object_type][definition["name"]] = definition
            return definition

    def update_property(self, object_type: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            definition = self.property_definition(object_type, name)
            property_rules.apply_property_update(definition, body, self.groups[object_type], iso(now()))
            return definition

    def create_group(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            group = property_rules.validate_group_create(body)
            if group["name"] in self.groups[object_type]:
                raise SandboxError(
                    409, "OBJECT_ALREADY_EXISTS", f"A property group named '{group['name']}' already exists."
                )
            self.groups[object_type][group["name"]] = group
            return group

    def unique_properties(self, object_type: str) -> set[str]:
        names = {name for name, d in self.properties[object_type].items() if d.get("hasUniqueValue")}
        # Contact email is not flagged unique in its definition, yet HubSpot enforces and looks it up as unique.
        return names | ({"email"} if object_type == "contacts" else set()) | {"hs_object_id"}

    # ---- records ------------------------------------------------------------------------------

    def find(self, object_type: str, key: str, id_property: str | None = None) -> Record | None:
        """The live record whose id (or unique `id_property`) equals `key`."""
        with self.lock:
            if id_property in (None, "", "hs_object_id"):
                found = self.records[object_type].get(str(key))
                return None if found is None or found.archived else found
            if id_property not in self.unique_properties(object_type):
                raise SandboxError(
                    400,
                    "VALIDATION_ERROR",
                    f"Property {id_property!r} cannot be used as idProperty: it is not a unique identifier "
                    f"property of {object_type} (create it with hasUniqueValue: true).",
                )
            record_id = self._unique.holder(object_type, id_property, key)
            return None if record_id is None else self.find(object_type, record_id)

    def get(self, object_type: str, key: str, id_property: str | None = None) -> Record:
        found = self.find(object_type, key, id_property)
        if found is None:
            raise not_found(object_type, key)
        return found

    def live_records(self, object_type: str) -> list[Record]:
        with self.lock:
            return [r for r in self.records[object_type].values() if not r.archived]

    def prepare(
        self, object_type: str, values: dict[str, Any], *, record: Record | None = None, trusted: bool = False
    ) -> dict[str, str]:
        """Validate and normalize a write; raise one VALIDATION_ERROR naming every bad property."""
        with self.lock:
            if not isinstance(values, dict):
                raise SandboxError(400, "VALIDATION_ERROR", "properties must be an object of name -> string value")
            normalized: dict[str, str] = {}
            problems: list[tuple[str, str, str]] = []
            for name, raw in values.items():
                try:
                    normalized[name] = self._normalize(object_type, name, raw, trusted=trusted)
                except InvalidValue as exc:
                    problems.append((name, exc.code, exc.message))
            if record is None:
                for name in catalog.REQUIRED_ON_CREATE.get(object_type, ()):
                    if not normalized.get(name) and name not in {problem[0] for problem in problems}:
                        problems.append((name, "REQUIRED_PROPERTY", f"Property {name} is required on create"))
            if object_type == "deals":
                current = record.properties.get("pipeline") if record else None
                problems += pipelines.check_deal_stage(self.pipelines["deals"], normalized, current)
            if problems:
                raise validation_error(problems)
            self._check_unique(object_type, normalized, record)
            return normalized

    def create(
        self,
        object_type: str,
        values: dict[str, Any],
        associations: list[dict[str, Any]] | None = None,
        *,
        trusted: bool = False,
    ) -> Record:
        with self.lock:
            normalized = self.prepare(object_type, values, trusted=trusted)
            links = self.check_inline_associations(object_type, associations or [])
            moment = now()
            record = Record(str(next(self._ids)), object_type, {}, moment, moment)
            self.records[object_type][record.id] = record
            self._write(record, normalized, moment, created=True)
            for to_type, to_id, kinds in links:
                self.associate(object_type, record.id, to_type, to_id, kinds)
            return record

    def update(self, record: Record, values: dict[str, Any], *, trusted: bool = False) -> Record:
        with self.lock:
            normalized = self.prepare(record.object_type, values, record=record, trusted=trusted)
            self._write(record, normalized, now())
            return record

    def archive(self, object_type: str, object_id: str) -> None:
        with self.lock:
            record = self.get(object_type, object_id)
            record.archived = True
            record.updated_at = now()
            self._unique.release(object_type, record.id)

    def _write(self, record: Record, values: dict[str, str], moment: datetime, *, created: bool = False) -> None:
        written = set(values)  # history counts the caller's writes, not the values HubSpot derives from them
        values = self._with_derived(record, values, moment, created=created)
        unique = self.unique_properties(record.object_type) - {"hs_object_id"}
        for name, value in values.items():
            if name in unique:
                self._unique.move(record.object_type, name, record.properties.get(name), value, record.id)
            if value == "":
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
            if name in written:
                record.history.setdefault(name, []).append((value, moment))
        record.updated_at = moment

    def _with_derived(
        self, record: Record, values: dict[str, str], moment: datetime, *, created: bool
    ) -> dict[str, str]:
        """The write plus what HubSpot sets itself: deal closed flags, a task's completion date, ids, timestamps."""
        if record.object_type == "deals" and "dealstage" in values:
            pipeline = values.get("pipeline") or record.properties.get("pipeline")
            values = values | pipelines.deal_closed_flags(self.pipelines["deals"], pipeline, values["dealstage"])
        completing = record.object_type == "tasks" and values.get("hs_task_status") == "COMPLETED"
        if completing and record.properties.get("hs_task_status") != "COMPLETED":
            values = {"hs_task_completion_date": iso(moment)} | values
        values = values | {"hs_object_id": record.id, "hs_lastmodifieddate": iso(moment)}
        if created:
            values |= {"createdate": iso(record.created_at)}
        if record.object_type == "contacts":
            values |= {"lastmodifieddate": iso(moment)}
        return values

    def _normalize(self, object_type: str, name: str, raw: Any, *, trusted: bool) -> str:
        definition = self.properties[object_type].get(name)
        return normalize_value(
            definition, name, raw, trusted=trusted, allowed_options=lambda: self._options(object_type, name)
        )

    def _options(self, object_type: str, name: str) -> list[str] | None:
        """The values an enumeration property takes here; None for `dealstage` (checked against its pipeline)."""
        if name == "hubspot_owner_id":
            return list(self.owners)
        if name == "pipeline" and object_type == "deals":
            return [pipeline["id"] for pipeline in self.pipelines["deals"]]
        if name == "dealstage" and object_type == "deals":
            return None
        return [option["value"] for option in self.properties[object_type][name]["options"]]

    def _check_unique(self, object_type: str, values: dict[str, str], record: Record | None) -> None:
        for name in self.unique_properties(object_type) - {"hs_object_id"}:
            value = values.get(name)
            if not value:
                continue
            holder = self._unique.holder(object_type, name, value)
            if holder is not None and (record is None or holder != record.id):
                raise SandboxError(
                    409,
                    "CONFLICT",
                    f"A {object_type} record with {name}={value!r} already exists. Existing ID: {holder}",
                    context={"id": [holder], "propertyName": [name]},
                )

    # ---- associations -------------------------------------------------------------------------

    def check_inline_associations(
        self, object_type: str, associations: list[dict[str, Any]]
    ) -> list[tuple[str, str, list[tuple[str, int]]]]:
        """Resolve create-time `[{to:{id}, types:[...]}]` to (type, id, kinds) of records that exist."""
        links = []
        for item in associations:
            to_type, to_id, kinds = association_types.inline_link(object_type, item)
            if self.find(to_type, to_id) is None:
                raise not_found(to_type, to_id)
            links.append((to_type, to_id, kinds))
        return links

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, kinds: list[tuple[str, int]]) -> None:
        """Store an association and its inverse (HubSpot always keeps both directions)."""
        with self.lock:
            self.associations.add(from_type, from_id, to_type, to_id, kinds)

    def associated(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[tuple[str, int]]]:
        """to id -> kinds of the live records `from_id` links to, lowest id first."""
        with self.lock:
            links = self.associations.of(from_type, from_id, to_type)
            return {to_id: kinds for to_id, kinds in links.items() if self.find(to_type, to_id) is not None}

    # ---- owners, sequences, enrollments ---------------------------------------------------------

    def add_owner(self, email: str, first_name: str = "", last_name: str = "") -> dict[str, Any]:
        with self.lock:
            owner_id, user_id = str(next(self._owner_ids)), next(self._user_ids)
            owner = outreach.new_owner(owner_id, user_id, email, first_name, last_name, iso(now()))
            self.owners[owner["id"]] = owner
            return owner

    def owner_by_user(self, user_id: str) -> dict[str, Any] | None:
        return next((o for o in self.owners.values() if str(o["userId"]) == str(user_id)), None)

    def add_sequence(self, name: str, user_id: int | str) -> dict[str, Any]:
        with self.lock:
            outreach.check_user(self.owner_by_user(str(user_id)), user_id)
            sequence = outreach.new_sequence(str(next(self._sequence_ids)), name, str(user_id), iso(now()))
            self.sequences[sequence["id"]] = sequence
            return sequence

    def enroll(self, user_id: str, contact_id: str, sequence_id: str, sender_email: str) -> dict[str, Any]:
        """Enroll a contact; refuse what HubSpot refuses (unknown user/sequence/contact, wrong inbox, re-enrolling)."""
        with self.lock:
            owner = outreach.check_user(self.owner_by_user(user_id), user_id)
            sequence = outreach.check_sequence(self.sequences.get(str(sequence_id)), sequence_id)
            outreach.check_sender(owner, user_id, sender_email)
            contact = self.get("contacts", str(contact_id))
            outreach.check_not_enrolled(contact.id, self.enrollments.get(contact.id))
            enrollment_id = str(next(self._enrollment_ids))
            email = contact.properties.get("email", "")
            enrollment = outreach.new_enrollment(enrollment_id, contact.id, email, sequence, user_id, iso(now()))
            self.enrollments[contact.id] = enrollment
            return enrollment

    # ---- inspection ---------------------------------------------------------------------------

    def dump(self, object_type: str | None = None) -> dict[str, Any]:
        """Everything as JSON-ready data (custom properties only; the standard ones never change)."""
        with self.lock:
            types = [object_type] if object_type else list(OBJECT_TYPE_IDS)
            objects = {name: [record_dump(r) for r in self.records[name].values()] for name in types}
            if object_type:
                return {object_type: objects[object_type]}
            return {
                "objects": objects,
                "customProperties": {
                    name: [d for d in definitions.values() if not d["hubspotDefined"]]
                    for name, definitions in self.properties.items()
                },
                "associations": self.associations.dump(),
                "owners": list(self.owners.values()),
                "pipelines": self.pipelines,
                "sequences": list(self.sequences.values()),
                "enrollments": list(self.enrollments.values()),
            }
