"""The sandbox Salesforce org: sObject describes, records, sessions, API usage, custom fields and cadences.

One re-entrant lock guards the org, so an sObject Collections call can apply its records and roll them
all back (allOrNone) as one step. Values are stored as the REST API returns them (dates `YYYY-MM-DD`,
datetimes `2026-11-30T12:00:00.000+0000`, numbers as floats) and typed for SOQL when read. Ids are
18-character Salesforce ids with the real key prefixes and the case-safe checksum suffix, so the
15-character form of an id resolves too.
"""

from __future__ import annotations

import copy
import itertools
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm_adapters.sandbox import soql
from crm_adapters.sandbox.salesforce_catalog import (
    CUSTOMIZABLE,
    KEY_PREFIXES,
    OPPORTUNITY_STAGES,
    SALES_ENGAGEMENT_OBJECTS,
    TASK_STATUSES,
    field_from_metadata,
    standard_describes,
    tooling_describes,
)
from crm_adapters.sandbox.salesforce_ids import (
    API_VERSION,
    ORG_ID,
    MultipleMatches,
    SalesforceApiError,
    make_id,
    normalize_id,
    now_text,
    parse_instant,
)

_TEXT_TYPES = {"string", "textarea", "email", "url", "phone", "combobox", "picklist", "multipicklist"}
_NUMBER_TYPES = {"double", "currency", "percent", "int"}
_ROLLED_BACK = "Record rolled back because not all records were valid and the request was using AllOrNone header"


@dataclass
class SalesforceCredentials:
    """What the token endpoint accepts. Sandbox defaults, not secrets: they only open this local org."""

    username: str = "sandbox@example.com"
    password: str = "sandbox-password"
    security_token: str = "sandbox-security-token"
    consumer_key: str = "sandbox-consumer-key"
    consumer_secret: str = "sandbox-consumer-secret"
    refresh_token: str = "sandbox-refresh-token"
    jwt_public_key: str | None = None  # PEM; JWT bearer grants are refused until one is registered


@dataclass
class SalesforceSettings:
    """Org behaviour the control API can change; defaults are a stock Enterprise org's."""

    page_size: int = 2000
    daily_limit: int = 15_000
    session_ttl_seconds: int = 7200
    sales_engagement: bool = True


@dataclass
class SfRecord:
    id: str
    sobject: str
    values: dict[str, Any]
    deleted: bool = False


@dataclass
class _Path:
    """A resolved SELECT/WHERE field: plain (`Name`) or one relationship hop (`Account.Name`)."""

    field: str
    kind: str
    reference: str | None = None
    relationship: str | None = None


@dataclass
class _Cursor:
    records: list[dict[str, Any]]
    page_size: int
    created: float = field(default_factory=time.monotonic)


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
        self._sessions: dict[str, datetime] = {}
        self._calls: deque[float] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget all data and API usage (sessions, credentials and settings stay); the defaults come back."""
        with self.lock:
            self._numbers = itertools.count(1)
            self.describes = standard_describes()
            self.tooling = tooling_describes()
            self.records: dict[str, dict[str, SfRecord]] = {name: {} for name in self.describes}
            self.tooling_records: dict[str, dict[str, SfRecord]] = {name: {} for name in self.tooling}
            self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
            self._journal: list[tuple[str, str, Any]] | None = None
            self._calls.clear()
            for api_name, closed, default in TASK_STATUSES:
                self._insert_raw("TaskStatus", {"ApiName": api_name, "MasterLabel": api_name, "IsClosed": closed})
                self._last_values()["IsDefault"] = default
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
        self._last = record_id, sobject

    def _last_values(self) -> dict[str, Any]:
        record_id, sobject = self._last
        return self.records[sobject][record_id].values

    # ---- sessions and API usage ---------------------------------------------------------------

    def issue_session(self) -> str:
        with self.lock:
            token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(40)}"
            self._sessions[token] = datetime.now(UTC) + timedelta(seconds=self.settings.session_ttl_seconds)
            return token

    def session_status(self, token: str) -> str:
        """`valid`, `expired` or `unknown`."""
        with self.lock:
            expires = self._sessions.get(token)
            if expires is None:
                return "unknown"
            return "valid" if expires > datetime.now(UTC) else "expired"

    def expire_sessions(self) -> None:
        with self.lock:
            self._sessions = dict.fromkeys(self._sessions, datetime.now(UTC) - timedelta(seconds=1))

    def count_call(self) -> tuple[bool, int, int]:
        """Meter one REST call against the rolling 24-hour allocation: (allowed, used, limit)."""
        with self.lock:
            moment = time.time()
            while self._calls and self._calls[0] <= moment - 86_400:
                self._calls.popleft()
            limit = self.settings.daily_limit
            if len(self._calls) >= limit:
                return False, len(self._calls), limit
            self._calls.append(moment)
            return True, len(self._calls), limit

    def api_usage(self) -> tuple[int, int]:
        with self.lock:
            return len(self._calls), self.settings.daily_limit

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings (page_size, daily_limit, session_ttl_seconds, sales_engagement) or credentials."""
        with self.lock:
            for key, value in changes.items():
                if key in SalesforceSettings.__dataclass_fields__:
                    wanted = bool if key == "sales_engagement" else int
                    if not isinstance(value, wanted) or (wanted is int and (isinstance(value, bool) or value < 1)):
                        raise SalesforceApiError(400, "INVALID_INPUT", f"{key} must be a positive integer or boolean")
                    setattr(self.settings, key, value)
                elif key in SalesforceCredentials.__dataclass_fields__:
                    if value is not None and not isinstance(value, str):
                        raise SalesforceApiError(400, "INVALID_INPUT", f"{key} must be a string")
                    setattr(self.credentials, key, value)
                    if key == "username":
                        self.records["User"][self.integration_user_id].values["Username"] = value
                else:
                    raise SalesforceApiError(400, "INVALID_INPUT", f"unknown Salesforce sandbox setting {key!r}")
            return self.settings_snapshot()

    def settings_snapshot(self) -> dict[str, Any]:
        used, limit = self.api_usage()
        public = asdict(self.credentials)
        public["jwt_public_key"] = bool(public["jwt_public_key"])
        return asdict(self.settings) | {"api_usage": {"used": used, "max": limit}, "credentials": public}

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

    def _collection_target(self, sobject: str, record_id: Any) -> SfRecord:
        full = normalize_id(record_id)
        if full is None or not full.startswith(KEY_PREFIXES[sobject]):
            raise SalesforceApiError(400, "MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {record_id}")
        record = self.find(full)
        if record is None:
            raise SalesforceApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        if record.deleted:
            raise SalesforceApiError(400, "ENTITY_IS_DELETED", "entity is deleted")
        return record

    def create(self, sobject: str, values: dict[str, Any], *, trusted: bool = False) -> SfRecord:
        with self.lock:
            self._check_operation(sobject, "createable", "insert", trusted)
            changes = self._prepare(sobject, values, creating=True, trusted=trusted)
            record_id = make_id(KEY_PREFIXES[sobject], next(self._numbers))
            moment = now_text()
            fields = self.describes[sobject]["fields"]
            base = {name: (False if d["type"] == "boolean" else None) for name, d in fields.items()}
            base |= {"Id": record_id, "IsDeleted": False, "CreatedDate": moment, "LastModifiedDate": moment}
            user = getattr(self, "integration_user_id", None)
            base |= {"SystemModstamp": moment, "CreatedById": user, "LastModifiedById": user}
            base |= self._defaults(sobject, changes)
            record = SfRecord(record_id, sobject, {k: v for k, v in base.items() if k in fields})
            self._commit(record, changes, created=True)
            self.records[sobject][record_id] = record
            if self._journal is not None:
                self._journal.append(("create", record_id, None))
            return record

    def update(self, record: SfRecord, values: dict[str, Any], *, trusted: bool = False) -> SfRecord:
        with self.lock:
            self._check_operation(record.sobject, "updateable", "update", trusted)
            changes = self._prepare(record.sobject, values, creating=False, trusted=trusted)
            if self._journal is not None:
                self._journal.append(("update", record.id, (copy.deepcopy(record.values), record.deleted)))
            self._commit(record, changes, created=False)
            return record

    def delete(self, record: SfRecord) -> None:
        with self.lock:
            self._check_operation(record.sobject, "deletable", "delete", False)
            if record.deleted:
                raise SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
            if self._journal is not None:
                self._journal.append(("update", record.id, (copy.deepcopy(record.values), record.deleted)))
            record.deleted = True
            record.values["IsDeleted"] = True
            record.values["LastModifiedDate"] = record.values["SystemModstamp"] = now_text()

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
            key = self._normalize(sobject, definition, value)
            live = [r for r in self.records[sobject].values() if not r.deleted]
            return definition, [r for r in live if _same(r.values.get(definition["name"]), key)]

    def upsert(self, sobject: str, id_field: str, value: str, values: dict[str, Any]) -> tuple[SfRecord, bool]:
        """Update the one record whose external id `id_field` equals `value`, or create it: (record, created)."""
        with self.lock:
            definition, found = self.by_external_id(sobject, id_field, value)
            if len(found) > 1:
                raise MultipleMatches(sobject, [r.id for r in found])
            body = {k: v for k, v in values.items() if k.lower() != definition["name"].lower()}
            if found:
                return self.update(found[0], body), False
            key = self._normalize(sobject, definition, value)
            return self.create(sobject, body | {definition["name"]: key}), True

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
            changes[canonical] = self._normalize(sobject, definition, raw)
        return changes

    def _defaults(self, sobject: str, changes: dict[str, Any]) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        fields = self.describes[sobject]["fields"]
        if "OwnerId" in fields:
            defaults["OwnerId"] = getattr(self, "integration_user_id", None)
        for name, definition in fields.items():
            chosen = [v["value"] for v in definition["picklistValues"] if v["defaultValue"]]
            if chosen:
                defaults[name] = chosen[0]
            if definition["custom"] and definition["type"] == "boolean":
                defaults[name] = definition["defaultValue"] is True
        if sobject == "User":
            defaults |= {"IsActive": True, "Username": changes.get("Email"), "Alias": "user"}
        if sobject == "Opportunity" and "Probability" not in changes:
            stage = self._stage(changes.get("StageName"))
            defaults["Probability"] = stage["DefaultProbability"] if stage else None
        return defaults

    def _commit(self, record: SfRecord, changes: dict[str, Any], *, created: bool) -> None:
        """Merge, derive read-only fields, check required and unique fields, then write."""
        merged = dict(record.values) | changes
        previous = {} if created else record.values
        sobject = record.sobject
        if sobject == "Task":
            status = next((s for s in TASK_STATUSES if s[0] == merged.get("Status")), None)
            merged["IsClosed"] = bool(status and status[1])
            if merged["IsClosed"] and not previous.get("IsClosed"):
                merged["CompletedDateTime"] = now_text()
            elif not merged["IsClosed"]:
                merged["CompletedDateTime"] = None
            merged["IsHighPriority"] = merged.get("Priority") == "High"
            merged["AccountId"] = self._task_account(merged)
        elif sobject == "Opportunity":
            stage = self._stage(merged.get("StageName"))
            if stage is not None:
                merged["IsClosed"], merged["IsWon"] = stage["IsClosed"], stage["IsWon"]
                merged["ForecastCategoryName"] = stage["ForecastCategoryName"]
                if not created and "StageName" in changes and "Probability" not in changes:
                    merged["Probability"] = stage["DefaultProbability"]
        elif sobject in ("Contact", "User"):
            merged["Name"] = " ".join(part for part in (merged.get("FirstName"), merged.get("LastName")) if part)
        fields = self.describes[sobject]["fields"]
        missing = [
            name
            for name, d in fields.items()
            if d["createable"] and not d["nillable"] and d["type"] != "boolean" and merged.get(name) in (None, "")
        ]
        if missing:
            raise SalesforceApiError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )
        for name, definition in fields.items():
            # Only a value being written can newly clash (and scanning every record per save made
            # a 200-record collection cost O(records) each).
            if definition["unique"] and name in changes and merged.get(name) is not None:
                clash = next(
                    (
                        other
                        for other in self.records[sobject].values()
                        if other.id != record.id and not other.deleted and _same(other.values.get(name), merged[name])
                    ),
                    None,
                )
                if clash is not None:
                    raise SalesforceApiError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {name} duplicates value on record with id: {clash.id}",
                        [name],
                    )
        if not created:
            merged["LastModifiedDate"] = merged["SystemModstamp"] = now_text()
        record.values = merged

    def _stage(self, name: Any) -> dict[str, Any] | None:
        return next((r.values for r in self.records["OpportunityStage"].values() if r.values["ApiName"] == name), None)

    def _task_account(self, values: dict[str, Any]) -> str | None:
        for key in ("WhatId", "WhoId"):
            linked = self.find(values[key]) if values.get(key) else None
            if linked is None:
                continue
            if linked.sobject == "Account":
                return linked.id
            if linked.values.get("AccountId"):
                return str(linked.values["AccountId"])
        return None

    def _normalize(self, sobject: str, definition: dict[str, Any], raw: Any) -> Any:
        """A written value in stored form, or the error Salesforce gives for it."""
        name, kind = definition["name"], definition["type"]
        if raw is None or (raw == "" and kind not in ("string", "textarea")):
            return False if kind == "boolean" else None
        if kind == "boolean":
            if isinstance(raw, bool) or raw in ("true", "false"):
                return raw in (True, "true")
            raise _parse_error(kind, raw)
        if kind in _NUMBER_TYPES:
            return _number(definition, raw)
        if isinstance(raw, bool | dict | list):
            raise _parse_error(kind, raw)
        text = str(raw)
        if kind == "date":
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise _parse_error(kind, raw) from None
        if kind == "datetime":
            moment = parse_instant(text)
            if moment is None:
                raise _parse_error(kind, raw)
            return now_text(moment)
        if kind in ("id", "reference"):
            return self._reference(sobject, definition, text)
        if definition["length"] and len(text) > definition["length"]:
            raise SalesforceApiError(
                400,
                "STRING_TOO_LONG",
                f"{definition['label']}: data value too large: {text[:40]} (max length={definition['length']})",
                [name],
            )
        if kind == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            raise SalesforceApiError(
                400, "INVALID_EMAIL_ADDRESS", f"{definition['label']}: invalid email address: {text}", [name]
            )
        if kind == "picklist" and definition["restrictedPicklist"]:
            active = {v["value"] for v in definition["picklistValues"] if v["active"]}
            if text not in active:
                raise SalesforceApiError(
                    400,
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{definition['label']}: bad value for restricted picklist field: {text}",
                    [name],
                )
        return text

    def _reference(self, sobject: str, definition: dict[str, Any], text: str) -> str:
        full = normalize_id(text)
        targets = definition["referenceTo"]
        if full is None or not any(full.startswith(KEY_PREFIXES[t]) for t in targets):
            raise SalesforceApiError(
                400,
                "FIELD_INTEGRITY_EXCEPTION" if full else "MALFORMED_ID",
                f"{definition['label']}: id value of incorrect type: {text}",
                [definition["name"]],
            )
        target = self.find(full)
        if target is None or target.deleted:
            raise SalesforceApiError(
                400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [definition["name"]]
            )
        return full

    # ---- sObject Collections ------------------------------------------------------------------

    def save_collection(self, items: list[Any], all_or_none: bool, *, creating: bool) -> list[dict[str, Any]]:
        """SaveResults in request order; with allOrNone, any failure rolls every write of the call back."""
        with self.lock:
            self._journal = []
            results: list[dict[str, Any]] = []
            try:
                for item in items:
                    try:
                        record = self._save_one(item, creating=creating)
                        results.append({"id": record.id, "success": True, "errors": []})
                    except SalesforceApiError as exc:
                        results.append({"success": False, "errors": [exc.record_error()]})
                if all_or_none and not all(result["success"] for result in results):
                    self._rollback()
                    rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": _ROLLED_BACK}
                    results = [
                        r
                        if not r["success"]
                        else {"id": r["id"], "success": False, "errors": [rolled | {"fields": []}]}
                        for r in results
                    ]
            finally:
                self._journal = None
            return results

    def _save_one(self, item: Any, *, creating: bool) -> SfRecord:
        if not isinstance(item, dict):
            raise SalesforceApiError(400, "JSON_PARSER_ERROR", "each record must be a JSON object")
        kind = (item.get("attributes") or {}).get("type") if isinstance(item.get("attributes"), dict) else None
        sobject = self.sobject_name(kind) if isinstance(kind, str) else None
        if sobject is None:
            raise SalesforceApiError(
                400, "INVALID_TYPE", f"sObject type {kind!r} is not supported: set attributes.type on every record"
            )
        record_id = next((v for k, v in item.items() if k.lower() == "id"), None)
        values = {k: v for k, v in item.items() if k != "attributes" and k.lower() != "id"}
        if creating:
            if record_id is not None:
                raise SalesforceApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            return self.create(sobject, values)
        if record_id is None:
            raise SalesforceApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        return self.update(self._collection_target(sobject, record_id), values)

    def delete_collection(self, ids: list[str], all_or_none: bool) -> list[dict[str, Any]]:
        with self.lock:
            self._journal = []
            results: list[dict[str, Any]] = []
            try:
                for record_id in ids:
                    try:
                        record = self.find(record_id)
                        if record is None:
                            sobject = next((s for s, p in KEY_PREFIXES.items() if record_id.startswith(p)), "Account")
                            record = self._collection_target(sobject, record_id)
                        self.delete(record)
                        results.append({"id": record.id, "success": True, "errors": []})
                    except SalesforceApiError as exc:
                        results.append({"success": False, "errors": [exc.record_error()]})
                if all_or_none and not all(result["success"] for result in results):
                    self._rollback()
                    rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": _ROLLED_BACK, "fields": []}
                    results = [r if not r["success"] else r | {"success": False, "errors": [rolled]} for r in results]
            finally:
                self._journal = None
            return results

    def _rollback(self) -> None:
        for action, record_id, saved in reversed(self._journal or []):
            record = self.find(record_id)
            if record is None:
                continue
            if action == "create":
                del self.records[record.sobject][record_id]
            else:
                record.values, record.deleted = saved

    # ---- SOQL ---------------------------------------------------------------------------------

    def query(
        self, text: str, *, include_deleted: bool = False, tooling: bool = False, version: str = API_VERSION
    ) -> tuple[int, list[dict[str, Any]]]:
        """(totalSize, rendered records) for a SOQL statement."""
        with self.lock:
            try:
                parsed = soql.parse(text)
                sobject = self.sobject_name(parsed.sobject, tooling=tooling)
                if sobject is None:
                    raise soql.SoqlError(
                        "INVALID_TYPE",
                        f"sObject type '{parsed.sobject}' is not supported. If you are attempting to use a custom "
                        "object, be sure to append the '__c' after the entity name. Please reference your WSDL or "
                        "the describe call for the appropriate names.",
                    )
                selected = [self._path(sobject, name, tooling) for name in parsed.fields]
                where_paths: dict[str, _Path] = {}
                self._check_condition(sobject, parsed.where, where_paths, tooling)
                order = [(item, self._path(sobject, item.field, tooling)) for item in parsed.order_by]
                store = self.tooling_records if tooling else self.records
                found = []
                for record in store[sobject].values():
                    if record.deleted and not include_deleted:
                        continue
                    getter = self._getter(record, where_paths)
                    if soql.matches(parsed.where, getter):
                        found.append(record)
            except soql.SoqlError as exc:
                raise SalesforceApiError(400, exc.code, exc.message) from None
            for item, path in reversed(order):
                found.sort(key=lambda r, i=item, p=path: soql.sort_key(i, self._value(r, p)), reverse=item.descending)
            end = None if parsed.limit is None else parsed.offset + parsed.limit
            found = found[parsed.offset : end]
            if parsed.count_only:
                return len(found), []
            prefix = f"/services/data/v{version}/" + ("tooling/" if tooling else "")
            return len(found), [self._render(record, selected, prefix) for record in found]

    def _path(self, sobject: str, name: str, tooling: bool) -> _Path:
        head, _, tail = name.partition(".")
        if not tail:
            definition = self.field(sobject, name, tooling=tooling)
            if definition is not None:
                return _Path(definition["name"], definition["type"])
        elif "." not in tail and not tooling:
            fields = self.describes[sobject]["fields"].values()
            reference = next((d for d in fields if (d["relationshipName"] or "").lower() == head.lower()), None)
            if reference is not None:
                for target in reference["referenceTo"]:
                    definition = self.field(target, tail) if target in self.describes else None
                    if definition is not None:
                        kind = definition["type"]
                        return _Path(definition["name"], kind, reference["name"], reference["relationshipName"])
        raise soql.SoqlError(
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom field, be sure "
            "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for "
            "the appropriate names.",
        )

    def _check_condition(self, sobject: str, condition: Any, paths: dict[str, _Path], tooling: bool) -> None:
        if condition is None:
            return
        if isinstance(condition, soql.BoolOp):
            for operand in condition.operands:
                self._check_condition(sobject, operand, paths, tooling)
            return
        path = self._path(sobject, condition.field, tooling)
        if path.kind == "textarea" and path.reference is None:
            definition = self.field(sobject, path.field, tooling=tooling) or {}
            if not definition.get("filterable", True):
                raise soql.SoqlError("INVALID_FIELD", f"field '{path.field}' can not be filtered in a query call")
        for literal in condition.values:
            soql.check_literal(condition.field, path.kind, literal)
        paths[condition.field] = path

    def _value(self, record: SfRecord, path: _Path) -> Any:
        values = record.values
        if path.reference is not None:
            linked = self.find(values.get(path.reference) or "")
            if linked is None:
                return None
            values = linked.values
        return _typed(path.kind, values.get(path.field))

    def _getter(self, record: SfRecord, paths: dict[str, _Path]) -> soql.Getter:
        return lambda name: (paths[name].kind, self._value(record, paths[name]))

    def _render(self, record: SfRecord, selected: list[_Path], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": _attributes(record, prefix)}
        for path in selected:
            if path.reference is None:
                out[path.field] = record.values.get(path.field)
                continue
            linked = self.find(record.values.get(path.reference) or "")
            if linked is None:
                out[path.relationship or ""] = None
                continue
            nested = out.get(path.relationship or "") or {"attributes": _attributes(linked, prefix)}
            nested[path.field] = linked.values.get(path.field)
            out[path.relationship or ""] = nested
        return out

    def open_cursor(self, records: list[dict[str, Any]]) -> str:
        """Keep a result set for `nextRecordsUrl` paging (the 50 newest cursors stay open)."""
        with self.lock:
            cursor = "01g" + secrets.token_hex(6).upper() + "AAA"
            self._cursors[cursor] = _Cursor(records, self.settings.page_size)
            while len(self._cursors) > 50:
                self._cursors.popitem(last=False)
            return cursor

    def cursor_page(self, cursor: str) -> _Cursor:
        with self.lock:
            found = self._cursors.get(cursor)
            if found is None:
                raise SalesforceApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            return found

    # ---- Tooling API: custom fields -----------------------------------------------------------

    def create_custom_field(self, body: dict[str, Any]) -> SfRecord:
        with self.lock:
            sobject, name, table = _custom_field_name(body.get("FullName"))
            if self.field(sobject, name) is not None:
                raise SalesforceApiError(
                    400,
                    "DUPLICATE_DEVELOPER_NAME",
                    f"There is already a field named {name[:-3]} on {table}.",
                    ["FullName"],
                )
            metadata = body.get("Metadata")
            definition = field_from_metadata(name, metadata)
            self.describes[sobject]["fields"][name] = definition
            for record in self.records[sobject].values():
                record.values[name] = definition["defaultValue"] is True if definition["type"] == "boolean" else None
            record_id = make_id(KEY_PREFIXES["CustomField"], next(self._numbers))
            values = {"Id": record_id, "DeveloperName": name[:-3], "TableEnumOrId": table, "NamespacePrefix": None}
            values |= {"FullName": f"{table}.{name}", "Metadata": copy.deepcopy(metadata)}
            record = SfRecord(record_id, "CustomField", values)
            self.tooling_records["CustomField"][record_id] = record
            return record

    def get_custom_field(self, record_id: str) -> SfRecord:
        full = normalize_id(record_id)
        record = self.tooling_records["CustomField"].get(full or "")
        if record is None:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def update_custom_field(self, record_id: str, body: dict[str, Any]) -> None:
        """Replace the field's Metadata (how picklist values are added); the type cannot change."""
        with self.lock:
            record = self.get_custom_field(record_id)
            sobject, name, _ = _custom_field_name(record.values["FullName"])
            current = self.describes[sobject]["fields"][name]
            definition = field_from_metadata(name, body.get("Metadata"))
            if definition["type"] != current["type"]:
                raise SalesforceApiError(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Cannot change the type of {name} from {current['type']} to {definition['type']} in the sandbox",
                    ["Metadata"],
                )
            self.describes[sobject]["fields"][name] = definition
            record.values["Metadata"] = copy.deepcopy(body.get("Metadata"))

    def delete_custom_field(self, record_id: str) -> None:
        with self.lock:
            record = self.get_custom_field(record_id)
            sobject, name, _ = _custom_field_name(record.values["FullName"])
            del self.describes[sobject]["fields"][name]
            for stored in self.records[sobject].values():
                stored.values.pop(name, None)
            del self.tooling_records["CustomField"][record.id]

    # ---- Sales Engagement cadences ------------------------------------------------------------

    def assign_to_cadence(self, item: dict[str, Any]) -> SfRecord:
        """Create a Running ActionCadenceTracker for one `assignTargetToSalesCadence` input."""
        with self.lock:
            wanted = item.get("salesCadenceNameOrId")
            for key in ("salesCadenceNameOrId", "targetId"):
                if not item.get(key):
                    raise SalesforceApiError(400, "REQUIRED_FIELD_MISSING", f"Missing required input parameter: {key}")
            cadence = self.find(str(wanted))
            if cadence is None or cadence.sobject != "ActionCadence" or cadence.deleted:
                live = [r for r in self.records["ActionCadence"].values() if not r.deleted]
                cadence = next((r for r in live if r.values["Name"] == wanted), None)
            if cadence is None:
                raise SalesforceApiError(400, "INVALID_INPUT", f"We couldn't find a cadence named or with ID {wanted}.")
            target = self.find(str(item["targetId"]))
            if target is None or target.deleted or target.sobject != "Contact":
                raise SalesforceApiError(
                    400,
                    "INVALID_INPUT",
                    f"targetId {item['targetId']} must be the ID of a contact, lead or person account.",
                )
            user_id = item.get("userId") or self.integration_user_id
            user = self.find(str(user_id))
            if user is None or user.sobject != "User" or not user.values.get("IsActive"):
                raise SalesforceApiError(400, "INVALID_INPUT", f"userId {user_id} must be the ID of an active user.")
            running = any(
                t.values["TargetId"] == target.id and t.values["State"] in ("Running", "Paused", "Initializing")
                for t in self.records["ActionCadenceTracker"].values()
            )
            if running:
                raise SalesforceApiError(
                    400, "INVALID_INPUT", f"Target {target.id} is already assigned to an active cadence."
                )
            values = {"ActionCadenceId": cadence.id, "TargetId": target.id, "State": "Running", "OwnerId": user.id}
            return self.create("ActionCadenceTracker", values | {"IsTrackerActive": True}, trusted=True)

    def finish_tracker(
        self, tracker_id: str, *, reason: str = "NoMoreSteps", disposition: str | None = None, state: str = "Complete"
    ) -> SfRecord:
        """End a tracker as Sales Engagement would (control API: simulate a cadence finishing)."""
        with self.lock:
            record = self.get("ActionCadenceTracker", tracker_id)
            values = {"State": state, "CompletionReason": reason, "CompletionDisposition": disposition}
            return self.update(record, values | {"IsTrackerActive": state not in ("Complete", "Error")}, trusted=True)

    def remove_from_cadence(self, item: dict[str, Any]) -> SfRecord:
        with self.lock:
            wanted = item.get("actionCadenceTrackerId") or item.get("targetId")
            if not wanted:
                raise SalesforceApiError(400, "REQUIRED_FIELD_MISSING", "Missing required input parameter: targetId")
            full = normalize_id(str(wanted))
            tracker = next(
                (
                    t
                    for t in self.records["ActionCadenceTracker"].values()
                    if full in (t.id, t.values["TargetId"]) and t.values["IsTrackerActive"]
                ),
                None,
            )
            if tracker is None:
                raise SalesforceApiError(400, "INVALID_INPUT", f"No active cadence tracker for {wanted}.")
            disposition = item.get("completionDisposition")
            return self.finish_tracker(tracker.id, reason="ManuallyRemoved", disposition=disposition)

    # ---- seeding and inspection ---------------------------------------------------------------

    def seed(self, payload: dict[str, Any]) -> dict[str, list[str]]:
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
        with self.lock:
            for body in payload.get("custom_fields") or []:
                created["custom_fields"].append(self.create_custom_field(body).id)
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
                    created[group].append(self.create(sobject, values, trusted=True).id)
        return created

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


def _same(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, str) and isinstance(wanted, str):
        return stored.lower() == wanted.lower()
    return stored is not None and stored == wanted


def _typed(kind: str, stored: Any) -> Any:
    if stored is None:
        return None
    if kind == "date":
        return date.fromisoformat(stored)
    if kind == "datetime":
        return parse_instant(stored)
    return stored


def _attributes(record: SfRecord, prefix: str) -> dict[str, str]:
    return {"type": record.sobject, "url": f"{prefix}sobjects/{record.sobject}/{record.id}"}


def _parse_error(kind: str, raw: Any) -> SalesforceApiError:
    return SalesforceApiError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from {type(raw).__name__.upper()} value {raw} "
        "or request may be missing a required field",
    )


def _number(definition: dict[str, Any], raw: Any) -> float | int:
    kind = definition["type"]
    if isinstance(raw, bool):
        raise _parse_error(kind, raw)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _parse_error(kind, raw) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _parse_error(kind, raw)
    if kind == "int":
        if value != int(value):
            raise _parse_error(kind, raw)
        digits, scale = definition["digits"] or 9, 0
    else:
        digits, scale = definition["precision"] - definition["scale"], definition["scale"]
    if abs(value) >= 10**digits:
        raise SalesforceApiError(
            400,
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{definition['label']}: value outside of valid range on numeric field: {raw}",
            [definition["name"]],
        )
    return int(value) if kind == "int" else round(value, scale)


def _custom_field_name(full_name: Any) -> tuple[str, str, str]:
    """(sObject holding the field, field API name, the object the metadata names) for `Account.X__c`."""
    if not isinstance(full_name, str) or "." not in full_name:
        raise SalesforceApiError(
            400,
            "REQUIRED_FIELD_MISSING",
            "FullName must be Object.Field__c, e.g. Account.Health_Score__c",
            ["FullName"],
        )
    table, name = full_name.split(".", 1)
    sobject = CUSTOMIZABLE.get(table)
    if table == "Task":
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"Custom fields for Task are defined on Activity: use FullName Activity.{name}",
            ["FullName"],
        )
    if sobject is None:
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"Cannot add custom fields to {table} in the sandbox (it takes {', '.join(CUSTOMIZABLE)})",
            ["FullName"],
        )
    if not re.fullmatch(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__c", name):
        raise SalesforceApiError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"Invalid field name {name!r}: it must start with a letter, hold only letters, digits and single "
            "underscores, not end with an underscore, and end in __c",
            ["FullName"],
        )
    return sobject, name, table
