"""SOQL against the org: resolve the SELECT, WHERE and ORDER BY fields (one relationship hop, as
`Account.Name`), filter with the parsed condition, sort, slice, and render records as the REST API does.

`soql` parses and evaluates; this module knows the org's describes and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_adapters.sandbox.salesforce import soql
from crm_adapters.sandbox.salesforce.errors import SalesforceApiError
from crm_adapters.sandbox.salesforce.ids import API_VERSION
from crm_adapters.sandbox.salesforce.org import SalesforceOrg
from crm_adapters.sandbox.salesforce.record import SfRecord, attributes
from crm_adapters.sandbox.salesforce.values import typed


@dataclass
class Path:
    """A resolved SELECT/WHERE field: plain (`Name`) or one relationship hop (`Account.Name`)."""

    field: str
    kind: str
    reference: str | None = None
    relationship: str | None = None


def run_query(
    org: SalesforceOrg, text: str, *, include_deleted: bool = False, tooling: bool = False, version: str = API_VERSION
) -> tuple[int, list[dict[str, Any]]]:
    """(totalSize, rendered records) for a SOQL statement."""
    with org.lock:
        try:
            parsed = soql.parse(text)
            sobject = _sobject(org, parsed.sobject, tooling)
            selected = [_path(org, sobject, name, tooling) for name in parsed.fields]
            where_paths: dict[str, Path] = {}
            _check_condition(org, sobject, parsed.where, where_paths, tooling)
            order = [(item, _path(org, sobject, item.field, tooling)) for item in parsed.order_by]
            store = org.tooling_records if tooling else org.records
            found = [
                record
                for record in store[sobject].values()
                if (include_deleted or not record.deleted)
                and soql.matches(parsed.where, _getter(org, record, where_paths))
            ]
        except soql.SoqlError as exc:
            raise SalesforceApiError(400, exc.code, exc.message) from None
        for item, path in reversed(order):
            found.sort(key=lambda r, i=item, p=path: soql.sort_key(i, _value(org, r, p)), reverse=item.descending)
        end = None if parsed.limit is None else parsed.offset + parsed.limit
        found = found[parsed.offset : end]
        if parsed.count_only:
            return len(found), []
        prefix = f"/services/data/v{version}/" + ("tooling/" if tooling else "")
        return len(found), [_render(org, record, selected, prefix) for record in found]


def _sobject(org: SalesforceOrg, name: str, tooling: bool) -> str:
    sobject = org.sobject_name(name, tooling=tooling)
    if sobject is None:
        raise soql.SoqlError(
            "INVALID_TYPE",
            f"sObject type '{name}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your WSDL or "
            "the describe call for the appropriate names.",
        )
    return sobject


def _path(org: SalesforceOrg, sobject: str, name: str, tooling: bool) -> Path:
    head, _, tail = name.partition(".")
    if not tail:
        definition = org.field(sobject, name, tooling=tooling)
        if definition is not None:
            return Path(definition["name"], definition["type"])
    elif "." not in tail and not tooling:
        fields = org.describes[sobject]["fields"].values()
        reference = next((d for d in fields if (d["relationshipName"] or "").lower() == head.lower()), None)
        if reference is not None:
            for target in reference["referenceTo"]:
                definition = org.field(target, tail) if target in org.describes else None
                if definition is not None:
                    kind = definition["type"]
                    return Path(definition["name"], kind, reference["name"], reference["relationshipName"])
    raise soql.SoqlError(
        "INVALID_FIELD",
        f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom field, be sure "
        "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for "
        "the appropriate names.",
    )


def _check_condition(org: SalesforceOrg, sobject: str, condition: Any, paths: dict[str, Path], tooling: bool) -> None:
    if condition is None:
        return
    if isinstance(condition, soql.BoolOp):
        for operand in condition.operands:
            _check_condition(org, sobject, operand, paths, tooling)
        return
    path = _path(org, sobject, condition.field, tooling)
    if path.kind == "textarea" and path.reference is None:
        definition = org.field(sobject, path.field, tooling=tooling) or {}
        if not definition.get("filterable", True):
            raise soql.SoqlError("INVALID_FIELD", f"field '{path.field}' can not be filtered in a query call")
    for literal in condition.values:
        soql.check_literal(condition.field, path.kind, literal)
    paths[condition.field] = path


def _value(org: SalesforceOrg, record: SfRecord, path: Path) -> Any:
    values = record.values
    if path.reference is not None:
        linked = org.find(values.get(path.reference) or "")
        if linked is None:
            return None
        values = linked.values
    return typed(path.kind, values.get(path.field))


def _getter(org: SalesforceOrg, record: SfRecord, paths: dict[str, Path]) -> soql.Getter:
    return lambda name: (paths[name].kind, _value(org, record, paths[name]))


def _render(org: SalesforceOrg, record: SfRecord, selected: list[Path], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": attributes(record, prefix)}
    for path in selected:
        if path.reference is None:
            out[path.field] = record.values.get(path.field)
            continue
        linked = org.find(record.values.get(path.reference) or "")
        if linked is None:
            out[path.relationship or ""] = None
            continue
        nested = out.get(path.relationship or "") or {"attributes": attributes(linked, prefix)}
        nested[path.field] = linked.values.get(path.field)
        out[path.relationship or ""] = nested
    return out
