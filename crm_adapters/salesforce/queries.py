"""SOQL reads by a list of values (`WHERE field IN (...)`), chunked under the URI limit, every page read.

Shared by the adapter and its cadence helpers; it needs only the `SalesforceCalls` that sends the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simple_salesforce import format_soql

from crm_adapters.salesforce import fields
from crm_adapters.salesforce.calls import SalesforceCalls
from crm_adapters.salesforce.records import in_chunks, unique


def query_in(
    calls: SalesforceCalls,
    kind: str,
    select: str,
    object_name: str,
    field: str,
    values: Sequence[str],
    where: str = "",
    order_by: str = "",
) -> list[dict[str, Any]]:
    """`SELECT <select> FROM <object> WHERE <field> IN (...) [AND <where>]`, chunked, every page read.

    `select`, `object_name`, `field` and `where` are ours (names, never user values); values are quoted.
    """
    rows: list[dict[str, Any]] = []
    fields.soql_name(object_name)
    fields.soql_name(field.replace(".", "_"))
    for chunk in in_chunks(unique(values)):
        soql = format_soql(
            "SELECT {select:literal} FROM {object:literal} WHERE {field:literal} IN {values}",
            select=select,
            object=object_name,
            field=field,
            values=chunk,
        )
        if where:
            soql += f" AND {where}"
        if order_by:
            soql += f" ORDER BY {order_by}"
        rows += calls.query(kind, soql)
    return rows
