"""The sandbox's SOQL subset: parsing, literals, operators and sorting, without any server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from simple_salesforce import format_soql

from crm_adapters.sandbox.salesforce import soql

TODAY = date(2026, 11, 30)
FIELDS = {
    "Name": "string",
    "Score__c": "double",
    "CloseDate": "date",
    "CreatedDate": "datetime",
    "IsWon": "boolean",
    "AccountId": "reference",
}


def _matches(text: str, **values: object) -> bool:
    query = soql.parse(text, TODAY)
    return soql.matches(query.where, lambda name: (FIELDS[name], values.get(name)))


def test_a_full_statement_parses_into_fields_object_order_limit_and_offset():
    query = soql.parse(
        "select Id, Account.Name from Opportunity where IsWon = true "
        "order by CloseDate desc nulls last, Name limit 5 offset 2"
    )
    assert query.sobject == "Opportunity" and query.fields == ["Id", "Account.Name"]
    assert [(o.field, o.descending, o.nulls_last) for o in query.order_by] == [
        ("CloseDate", True, True),
        ("Name", False, None),
    ]
    assert (query.limit, query.offset, query.count_only) == (5, 2, False)
    assert soql.parse("SELECT COUNT() FROM Account").count_only is True


def test_string_literals_from_format_soql_keep_their_escaped_quotes_and_backslashes():
    text = format_soql("SELECT Id FROM Account WHERE Name IN {}", ["O'Brien", 'say "hi"', "back\\slash"])
    values = [literal.value for literal in soql.parse(text).where.values]
    assert values == ["O'Brien", 'say "hi"', "back\\slash"]
    assert _matches(text, Name="o'brien") and not _matches(text, Name="Obrien")


def test_and_binds_tighter_than_or_and_parentheses_override_it():
    loose = "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' AND IsWon = true"
    assert _matches(loose, Name="a", IsWon=False)
    grouped = "SELECT Id FROM Account WHERE (Name = 'a' OR Name = 'b') AND IsWon = true"
    assert not _matches(grouped, Name="a", IsWon=False)
    assert _matches("SELECT Id FROM Account WHERE NOT Name = 'a'", Name="b")


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("Score__c >= 60", {"Score__c": 60.0}, True),
        ("Score__c < 60", {"Score__c": None}, False),
        ("Score__c != null", {"Score__c": 1.0}, True),
        ("Score__c = null", {}, True),
        ("Score__c NOT IN (1, 2)", {"Score__c": 3.0}, True),
        ("Name LIKE 'Ac%'", {"Name": "acme"}, True),
        ("Name LIKE 'A_me'", {"Name": "Acme"}, True),
        ("Name LIKE '100\\%'", {"Name": "100x"}, False),
        ("CloseDate > 2026-01-01", {"CloseDate": date(2026, 11, 30)}, True),
        ("CloseDate = TODAY", {"CloseDate": TODAY}, True),
        ("CloseDate = LAST_N_DAYS:7", {"CloseDate": date(2026, 11, 23)}, True),
        ("CloseDate = LAST_N_DAYS:7", {"CloseDate": date(2026, 11, 22)}, False),
        ("CloseDate < NEXT_N_DAYS:3", {"CloseDate": TODAY}, True),
        ("CreatedDate < 2026-11-30T12:00:00Z", {"CreatedDate": datetime(2026, 11, 30, 11, tzinfo=UTC)}, True),
        ("CreatedDate >= 2026-11-30T12:00:00+00:00", {"CreatedDate": datetime(2026, 11, 30, 11, tzinfo=UTC)}, False),
        ("AccountId = '0015g000000000L'", {"AccountId": "0015g000000000LAAQ"}, True),
    ],
)
def test_operators_and_literals(condition, values, expected):
    assert _matches(f"SELECT Id FROM Opportunity WHERE {condition}", **values) is expected


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FROM Account",
        "SELECT Id Account",
        "SELECT Id FROM Account WHERE Name = ",
        "SELECT Id FROM Account WHERE Name = 'unterminated",
        "SELECT Id FROM Account LIMIT -1",
        "SELECT Id FROM Account WHERE Name = 'a' garbage",
        "SELECT Id FROM Account WHERE Name = 'bad \\q escape'",
    ],
)
def test_malformed_statements_are_refused_as_malformed_query(text):
    with pytest.raises(soql.SoqlError) as refused:
        soql.parse(text)
    assert refused.value.code == "MALFORMED_QUERY"


def test_a_literal_of_the_wrong_type_is_refused_with_salesforce_wording():
    with pytest.raises(soql.SoqlError, match="must be of type date and should not be enclosed in quotes"):
        _matches("SELECT Id FROM Opportunity WHERE CloseDate > '2026-01-01'", CloseDate=TODAY)
    with pytest.raises(soql.SoqlError, match="must be of type number"):
        _matches("SELECT Id FROM Opportunity WHERE Score__c = '5'", Score__c=5.0)


def test_sort_keys_put_nulls_first_ascending_and_last_descending_unless_told():
    ascending, descending = soql.OrderItem("Name"), soql.OrderItem("Name", descending=True)
    names = ["b", None, "A"]
    assert sorted(names, key=lambda v: soql.sort_key(ascending, v)) == [None, "A", "b"]
    assert sorted(names, key=lambda v: soql.sort_key(descending, v), reverse=True) == ["b", "A", None]
    nulls_last = soql.OrderItem("Name", nulls_last=True)
    assert sorted(names, key=lambda v: soql.sort_key(nulls_last, v)) == ["A", "b", None]
