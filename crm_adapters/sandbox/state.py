"""The sandbox portal's memory: records, property definitions, associations, owners, sequences, tokens.

One re-entrant lock guards everything, so a batch call can validate all of its inputs and then apply
them as one step, as HubSpot does (one bad input fails the whole batch before anything is written).
Values are kept as HubSpot keeps them: strings, with datetimes normalized to ISO 8601 UTC.
"""

from __future__ import annotations

import itertools
import json
import math
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_adapters.sandbox import hubspot_catalog as catalog
from crm_adapters.sandbox.errors import SandboxError, not_found

OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "notes": "0-46", "tasks": "0-27"}
_TYPE_ALIASES = {name: name for name in OBJECT_TYPE_IDS} | {"company": "companies", "contact": "contacts"}
_TYPE_ALIASES |= {"deal": "deals", "note": "notes", "task": "tasks"}
_TYPE_ALIASES |= {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}
MAX_STRING_LENGTH = 65_536


def canonical_type(name: str) -> str:
    """HubSpot accepts `companies`, `company` and `0-2` for the same object type."""
    found = _TYPE_ALIASES.get(name.lower())
    if found is None:
        raise SandboxError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")
    return found


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """HubSpot's timestamp format: UTC, millisecond precision, trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_instant(value: str) -> datetime | None:
    """Epoch milliseconds or ISO 8601 (a bare date is midnight UTC); None when neither."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        try:
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


@dataclass
class OAuthApp:
    """The one OAuth app the sandbox accepts refresh-token grants for."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    ttl_seconds: int = 1800


class RequestLog:
    """Counts of requests per `METHOD route` and per status, for tests and benchmarks to assert on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self.by_route[route] += 1
            self.by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self.by_route.values()),
                "rate_limited": self.by_status[429],
                "server_errors": sum(count for status, count in self.by_status.items() if status >= 500),
                "by_route": dict(sorted(self.by_route.items())),
                "by_status": {str(status): count for status, count in sorted(self.by_status.items())},
            }

    def clear(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.by_status.clear()


class SandboxState:
    """Everything a sandbox portal holds. Public methods take the lock; callers may hold it around several."""

    def __init__(self, oauth: OAuthApp | None = None) -> None:
        self.lock = threading.RLock()
        self.oauth = oauth or OAuthApp()
        self.requests = RequestLog()
        self._access_tokens: dict[str, datetime] = {}
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
            self._unique_index: dict[tuple[str, str], dict[str, str]] = {}
            # (from_type, from_id, to_type) -> {to_id: {(category, type_id)}}
            self.associations: dict[tuple[str, str, str], dict[str, set[tuple[str, int]]]] = {}
            self.owners: dict[str, dict[str, Any]] = {}
            self.pipelines = {"deals": catalog.deal_pipelines(iso(now()))}
            self.sequences: dict[str, dict[str, Any]] = {}
            self.enrollments: dict[str, dict[str, Any]] = {}

    # ---- OAuth tokens -------------------------------------------------------------------------

    def issue_access_token(self) -> dict[str, Any]:
        with self.lock:
            token = "sandbox-at-" + secrets.token_urlsafe(24)
            self._access_tokens[token] = now() + timedelta(seconds=self.oauth.ttl_seconds)
            return {
                "access_token": token,
                "refresh_token": self.oauth.refresh_token,
                "expires_in": self.oauth.ttl_seconds,
                "token_type": "bearer",
            }

    def access_token_status(self, token: str) -> str:
        """`valid`, `expired` (issued by the OAuth endpoint, past its lifetime) or `unknown`."""
        with self.lock:
            expires = self._access_tokens.get(token)
            if expires is None:
                return "unknown"
            return "valid" if expires > now() else "expired"

    def expire_access_tokens(self) -> None:
        with self.lock:
            expired = now() - timedelta(seconds=1)
            self._access_tokens = dict.fromkeys(self._access_tokens, expired)

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
            definition = catalog.validate_property_create(body, self.groups[object_type], iso(now()))
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
            catalog.apply_property_update(definition, body, self.groups[object_type], iso(now()))
            return definition

    def create_group(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            group = catalog.validate_group_create(body)
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
            record_id = self._unique_index.get((object_type, id_property), {}).get(_unique_key(id_property, key))
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
                except _InvalidValue as exc:
                    problems.append((name, exc.code, exc.message))
            if record is None:
                for name in catalog.REQUIRED_ON_CREATE.get(object_type, ()):
                    if not normalized.get(name) and name not in {problem[0] for problem in problems}:
                        problems.append((name, "REQUIRED_PROPERTY", f"Property {name} is required on create"))
            if object_type == "deals":
                problems += self._check_deal_stage(normalized, record)
            if problems:
                raise _validation_error(problems)
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
            for index_key, index in self._unique_index.items():
                if index_key[0] == object_type:
                    for value in [v for v, rid in index.items() if rid == record.id]:
                        del index[value]

    def _write(self, record: Record, values: dict[str, str], moment: datetime, *, created: bool = False) -> None:
        written = set(values)  # history counts the caller's writes, not the values HubSpot derives from them
        if record.object_type == "deals" and "dealstage" in values:
            pipeline = values.get("pipeline") or record.properties.get("pipeline")
            values = values | self._deal_closed_flags(pipeline, values)
        completing = record.object_type == "tasks" and values.get("hs_task_status") == "COMPLETED"
        if completing and record.properties.get("hs_task_status") != "COMPLETED":
            values = {"hs_task_completion_date": iso(moment)} | values
        values = values | {"hs_object_id": record.id, "hs_lastmodifieddate": iso(moment)}
        if created:
            values |= {"createdate": iso(record.created_at)}
        if record.object_type == "contacts":
            values |= {"lastmodifieddate": iso(moment)}
        unique = self.unique_properties(record.object_type)
        for name, value in values.items():
            if name in unique and name != "hs_object_id":
                index = self._unique_index.setdefault((record.object_type, name), {})
                old = record.properties.get(name)
                if old is not None:
                    index.pop(_unique_key(name, old), None)
                if value != "":
                    index[_unique_key(name, value)] = record.id
            if value == "":
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
            if name in written:
                record.history.setdefault(name, []).append((value, moment))
        record.updated_at = moment

    def _normalize(self, object_type: str, name: str, raw: Any, *, trusted: bool) -> str:
        definition = self.properties[object_type].get(name)
        if definition is None or definition["archived"]:
            raise _InvalidValue("PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
        if definition["modificationMetadata"]["readOnlyValue"] and not trusted:
            raise _InvalidValue("READ_ONLY_VALUE", f'Property "{name}" is read-only; its value cannot be set')
        value = _as_text(raw)
        if value == "":
            return ""
        kind = definition["type"]
        if kind == "number":
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise _InvalidValue("INVALID_INTEGER", f"{value} is not a valid number for {name}")
            return value.strip()
        if kind == "bool":
            if value.lower() not in ("true", "false"):
                raise _InvalidValue("INVALID_BOOLEAN", f"{value} is not a valid boolean (use 'true' or 'false')")
            return value.lower()
        if kind in ("datetime", "date"):
            return _normalize_time(name, kind, value)
        if kind == "enumeration":
            self._check_option(object_type, definition, value)
            return value
        if len(value) > MAX_STRING_LENGTH:
            raise _InvalidValue("INVALID_STRING_LENGTH", f"{name} is longer than {MAX_STRING_LENGTH} characters")
        return value

    def _check_option(self, object_type: str, definition: dict[str, Any], value: str) -> None:
        name = definition["name"]
        if name == "hubspot_owner_id":
            allowed = list(self.owners)
        elif name == "pipeline" and object_type == "deals":
            allowed = [pipeline["id"] for pipeline in self.pipelines["deals"]]
        elif name == "dealstage" and object_type == "deals":
            return  # checked against the record's pipeline in _check_deal_stage
        else:
            allowed = [option["value"] for option in definition["options"]]
        chosen = value.split(";") if definition["fieldType"] == "checkbox" else [value]
        for item in chosen:
            if item not in allowed:
                raise _InvalidValue(
                    "INVALID_OPTION", f"{item} was not one of the allowed options for {name}: {', '.join(allowed)}"
                )

    def _check_deal_stage(self, values: dict[str, str], record: Record | None) -> list[tuple[str, str, str]]:
        if "dealstage" not in values or not values["dealstage"]:
            return []
        current = record.properties.get("pipeline") if record else None
        pipeline_id = values.get("pipeline") or current or "default"
        values.setdefault("pipeline", pipeline_id)
        pipeline = next((p for p in self.pipelines["deals"] if p["id"] == pipeline_id), None)
        stages = [stage["id"] for stage in pipeline["stages"]] if pipeline else []
        if values["dealstage"] not in stages:
            message = f"{values['dealstage']} is not a valid stage of pipeline {pipeline_id}: {', '.join(stages)}"
            return [("dealstage", "INVALID_OPTION", message)]
        return []

    def _deal_closed_flags(self, pipeline_id: str | None, values: dict[str, str]) -> dict[str, str]:
        pipeline = next((p for p in self.pipelines["deals"] if p["id"] == (pipeline_id or "default")), None)
        stage = next((s for s in (pipeline or {}).get("stages", []) if s["id"] == values["dealstage"]), None)
        metadata = stage["metadata"] if stage else {}
        closed = metadata.get("isClosed") == "true"
        won = closed and metadata.get("probability") == "1.0"
        return {"hs_is_closed": str(closed).lower(), "hs_is_closed_won": str(won).lower()}

    def _check_unique(self, object_type: str, values: dict[str, str], record: Record | None) -> None:
        for name in self.unique_properties(object_type) - {"hs_object_id"}:
            value = values.get(name)
            if not value:
                continue
            holder = self._unique_index.get((object_type, name), {}).get(_unique_key(name, value))
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
        """Resolve create-time `[{to:{id}, types:[...]}]` to (type, id, kinds); the type id implies the type."""
        links = []
        for item in associations:
            to_id = str(((item or {}).get("to") or {}).get("id", ""))
            kinds = [_association_kind(spec) for spec in (item or {}).get("types") or []]
            if not kinds:
                raise SandboxError(400, "VALIDATION_ERROR", "each association needs at least one entry in types")
            to_type = None
            for category, type_id in kinds:
                to_type = catalog.association_target(object_type, category, type_id)
                if to_type is None:
                    raise SandboxError(
                        400,
                        "VALIDATION_ERROR",
                        f"{category} association type {type_id} is not valid from {object_type}",
                    )
            assert to_type is not None
            if self.find(to_type, to_id) is None:
                raise not_found(to_type, to_id)
            links.append((to_type, to_id, kinds))
        return links

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, kinds: list[tuple[str, int]]) -> None:
        """Store an association and its inverse (HubSpot always keeps both directions)."""
        with self.lock:
            for category, type_id in kinds:
                self.associations.setdefault((from_type, from_id, to_type), {}).setdefault(to_id, set()).add(
                    (category, type_id)
                )
                inverse = catalog.inverse_type_id(from_type, to_type, type_id)
                self.associations.setdefault((to_type, to_id, from_type), {}).setdefault(from_id, set()).add(
                    (category, inverse)
                )

    def associated(self, from_type: str, from_id: str, to_type: str) -> dict[str, list[tuple[str, int]]]:
        with self.lock:
            links = self.associations.get((from_type, from_id, to_type), {})
            return {
                to_id: sorted(kinds)
                for to_id, kinds in sorted(links.items(), key=lambda item: int(item[0]))
                if self.find(to_type, to_id) is not None
            }

    # ---- owners, sequences ----------------------------------------------------------------------

    def add_owner(self, email: str, first_name: str = "", last_name: str = "") -> dict[str, Any]:
        with self.lock:
            stamp = iso(now())
            owner = {
                "id": str(next(self._owner_ids)),
                "email": email,
                "firstName": first_name,
                "lastName": last_name,
                "userId": (user_id := next(self._user_ids)),
                "userIdIncludingInactive": user_id,
                "type": "PERSON",
                "teams": [],
                "archived": False,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            self.owners[owner["id"]] = owner
            return owner

    def owner_by_user(self, user_id: str) -> dict[str, Any] | None:
        return next((o for o in self.owners.values() if str(o["userId"]) == str(user_id)), None)

    def add_sequence(self, name: str, user_id: int | str) -> dict[str, Any]:
        with self.lock:
            if self.owner_by_user(str(user_id)) is None:
                raise SandboxError(400, "VALIDATION_ERROR", f"userId {user_id} is not a user of this portal")
            stamp = iso(now())
            sequence = {
                "id": str(next(self._sequence_ids)),
                "name": name,
                "userId": str(user_id),
                "folderId": None,
                "createdAt": stamp,
                "updatedAt": stamp,
                "steps": [],
            }
            self.sequences[sequence["id"]] = sequence
            return sequence

    def enroll(self, user_id: str, contact_id: str, sequence_id: str, sender_email: str) -> dict[str, Any]:
        """Enroll a contact; refuse what HubSpot refuses (unknown user/sequence/contact, wrong inbox, re-enrolling)."""
        with self.lock:
            owner = self.owner_by_user(user_id)
            if owner is None:
                raise SandboxError(400, "VALIDATION_ERROR", f"userId {user_id} is not a user of this portal")
            sequence = self.sequences.get(str(sequence_id))
            if sequence is None:
                raise SandboxError(404, "OBJECT_NOT_FOUND", f"Sequence {sequence_id} does not exist")
            if sender_email.lower() != owner["email"].lower():
                raise SandboxError(
                    400,
                    "VALIDATION_ERROR",
                    f"senderEmail {sender_email} is not a connected inbox of user {user_id}; "
                    f"use that user's inbox ({owner['email']}).",
                    context={"senderEmail": [sender_email]},
                )
            contact = self.get("contacts", str(contact_id))
            active = self.enrollments.get(contact.id)
            if active is not None and active["state"] == "ACTIVE":
                raise SandboxError(
                    400,
                    "VALIDATION_ERROR",
                    f"Contact {contact.id} is already enrolled in sequence {active['sequenceId']}; "
                    "a contact can be in one sequence at a time.",
                    sub_category="SequenceError.CONTACT_ALREADY_ENROLLED",
                )
            stamp = iso(now())
            enrollment = {
                "id": str(next(self._enrollment_ids)),
                "toEmail": contact.properties.get("email", ""),
                "enrolledAt": stamp,
                "updatedAt": stamp,
                "sequenceId": sequence["id"],
                "sequenceName": sequence["name"],
                "enrolledBy": str(user_id),
                "contactId": contact.id,
                "state": "ACTIVE",
            }
            self.enrollments[contact.id] = enrollment
            return enrollment

    # ---- inspection ---------------------------------------------------------------------------

    def dump(self, object_type: str | None = None) -> dict[str, Any]:
        """Everything as JSON-ready data (custom properties only; the standard ones never change)."""
        with self.lock:
            types = [object_type] if object_type else list(OBJECT_TYPE_IDS)
            objects = {name: [_record_dump(r) for r in self.records[name].values()] for name in types}
            if object_type:
                return {object_type: objects[object_type]}
            return {
                "objects": objects,
                "customProperties": {
                    name: [d for d in definitions.values() if not d["hubspotDefined"]]
                    for name, definitions in self.properties.items()
                },
                "associations": [
                    {"fromType": f, "fromId": fid, "toType": t, "toId": tid, "types": sorted(kinds)}
                    for (f, fid, t), links in self.associations.items()
                    for tid, kinds in links.items()
                ],
                "owners": list(self.owners.values()),
                "pipelines": self.pipelines,
                "sequences": list(self.sequences.values()),
                "enrollments": list(self.enrollments.values()),
            }


class _InvalidValue(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _validation_error(problems: list[tuple[str, str, str]]) -> SandboxError:
    # HubSpot embeds the per-property verdicts as JSON inside the message; clients grep it for the error code.
    verdicts = [{"isValid": False, "message": msg, "error": code, "name": name} for name, code, msg in problems]
    return SandboxError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(verdicts),
        errors=[
            {"message": msg, "code": code, "in": name, "context": {"propertyName": [name]}}
            for name, code, msg in problems
        ],
    )


def _as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | float | str):
        return str(raw)
    raise _InvalidValue("INVALID_TYPE", f"{json.dumps(raw)} is not a string value")


def _normalize_time(name: str, kind: str, value: str) -> str:
    moment = parse_instant(value)
    if moment is None:
        raise _InvalidValue(
            "INVALID_DATE" if kind == "date" else "INVALID_DATETIME",
            f"{value} is not a valid {kind} for {name}: use epoch milliseconds or ISO 8601",
        )
    if kind == "datetime":
        return iso(moment)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise _InvalidValue(
            "INVALID_DATE",
            f"{value} is not midnight UTC; date property {name} takes midnight-UTC epoch milliseconds or YYYY-MM-DD",
        )
    return moment.date().isoformat()


def _unique_key(name: str, value: str) -> str:
    return value.lower() if name == "email" else value


def _association_kind(spec: Any) -> tuple[str, int]:
    try:
        return str(spec["associationCategory"]), int(spec["associationTypeId"])
    except (KeyError, TypeError, ValueError):
        raise SandboxError(
            400, "VALIDATION_ERROR", "association types need associationCategory and an integer associationTypeId"
        ) from None


def _record_dump(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "properties": dict(record.properties),
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
        "archived": record.archived,
        "writes": {name: len(values) for name, values in record.history.items()},
    }
