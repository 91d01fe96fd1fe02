"""The SOQL subset the sandbox understands: a tokenizer, a recursive-descent parser and an evaluator.

Grammar: `SELECT field, Rel.field, COUNT() FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n] [OFFSET n]`. Conditions: `= != <> < <= > >= LIKE IN NOT IN INCLUDES`, `AND`, `OR`, `NOT`,
parentheses; literals: quoted strings (with the backslash escapes `simple_salesforce.format_soql` emits),
numbers, true/false/null, dates `2026-11-30`, datetimes `2026-11-30T12:00:00Z` or `+00:00`, and the date
literals TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n. Keywords, objects and fields are
case-insensitive; `=` and LIKE on text compare case-insensitively, as Salesforce does.

This module is pure: callers hand in field types and typed values (`date`, `datetime`, `float`, `bool`, `str`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

_KEYWORDS = {"SELECT", "FROM", "WHERE", "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET"}
_KEYWORDS |= {"AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES", "TRUE", "FALSE", "NULL"}
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_ESCAPES |= {"%": "\\%", "_": "\\_"}  # kept escaped: they only mean something inside LIKE patterns
_TEXT_TYPES = {"string", "textarea", "picklist", "multipicklist", "email", "phone", "url", "combobox"}
_ID_TYPES = {"id", "reference"}
_NUMBER_TYPES = {"double", "int", "currency", "percent"}


class SoqlError(ValueError):
    """A query Salesforce would refuse: `code` is MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DateRange:
    """A relative date literal resolved against today: `[start, end]` inclusive, in whole days."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, daterange
    value: Any
    text: str


@dataclass
class Comparison:
    field: str
    operator: str  # = != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES
    values: list[Literal]
    checked: str | None = None
    """The field type the literals were last validated against (once per query, not once per row)."""
    strings: frozenset[str] | None = None
    """For IN over plain strings: the lower-cased values, so a row costs one set lookup."""


@dataclass
class BoolOp:
    operator: str  # AND, OR, NOT
    operands: list[Any]


@dataclass
class OrderItem:
    field: str
    descending: bool = False
    nulls_last: bool | None = None


@dataclass
class Query:
    sobject: str
    fields: list[str]
    where: Any = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    count_only: bool = False


@dataclass
class _Token:
    kind: str
    text: str
    position: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(soql: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None:
            snippet = soql[position : position + 20]
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{snippet}' at column {position + 1}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    return tokens


def parse(soql: str, today: date | None = None) -> Query:
    """Parse a SOQL statement; date literals resolve against `today` (UTC today by default)."""
    return _Parser(tokenize(soql), today or datetime.now(UTC).date()).query()


class _Parser:
    def __init__(self, tokens: list[_Token], today: date) -> None:
        self.tokens = tokens
        self.index = 0
        self.today = today

    # ---- token helpers ------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> _Token | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def at(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind in ("word", "op", "punct") and token.upper in words

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.index += 1
        return token

    def expect(self, word: str) -> _Token:
        token = self.peek()
        if token is None or token.upper != word:
            found = "end of query" if token is None else f"'{token.text}'"
            raise SoqlError("MALFORMED_QUERY", f"expecting '{word}', found {found}")
        return self.take()

    def name(self, what: str) -> str:
        token = self.take()
        if token.kind != "word" or token.upper in _KEYWORDS:
            raise SoqlError("MALFORMED_QUERY", f"expecting {what}, found '{token.text}'")
        return token.text

    # ---- statement ----------------------------------------------------------------------------

    def query(self) -> Query:
        self.expect("SELECT")
        fields, count_only = self.select_list()
        self.expect("FROM")
        query = Query(self.name("an object name"), fields, count_only=count_only)
        if self.at("WHERE"):
            self.take()
            query.where = self.disjunction()
        if self.at("ORDER"):
            self.take()
            self.expect("BY")
            query.order_by = self.order_list()
        if self.at("LIMIT"):
            self.take()
            query.limit = self.integer("LIMIT")
        if self.at("OFFSET"):
            self.take()
            query.offset = self.integer("OFFSET")
        leftover = self.peek()
        if leftover is not None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{leftover.text}'")
        return query

    def select_list(self) -> tuple[list[str], bool]:
        token = self.peek()
        following = self.peek(1)
        if token is not None and token.upper == "COUNT" and following is not None and following.text == "(":
            self.index += 2
            self.expect(")")
            return [], True
        fields = [self.name("a field name")]
        while self.at(","):
            self.take()
            fields.append(self.name("a field name"))
        return fields, False

    def order_list(self) -> list[OrderItem]:
        items = []
        while True:
            item = OrderItem(self.name("a field name"))
            if self.at("ASC", "DESC"):
                item.descending = self.take().upper == "DESC"
            if self.at("NULLS"):
                self.take()
                if not self.at("FIRST", "LAST"):
                    raise SoqlError("MALFORMED_QUERY", "expecting FIRST or LAST after NULLS")
                item.nulls_last = self.take().upper == "LAST"
            items.append(item)
            if not self.at(","):
                return items
            self.take()

    def integer(self, clause: str) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise SoqlError("MALFORMED_QUERY", f"{clause} takes a non-negative integer, found '{token.text}'")
        return int(token.text)

    # ---- conditions ---------------------------------------------------------------------------

    def disjunction(self) -> Any:
        operands = [self.conjunction()]
        while self.at("OR"):
            self.take()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else BoolOp("OR", operands)

    def conjunction(self) -> Any:
        operands = [self.unary()]
        while self.at("AND"):
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else BoolOp("AND", operands)

    def unary(self) -> Any:
        if self.at("NOT"):
            self.take()
            return BoolOp("NOT", [self.unary()])
        if self.at("("):
            self.take()
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        name = self.name("a field name")
        token = self.take()
        operator = token.upper
        if operator == "NOT":
            self.expect("IN")
            operator = "NOT IN"
        if operator in ("IN", "NOT IN", "INCLUDES", "EXCLUDES"):
            return Comparison(name, operator, self.value_list())
        if operator == "<>":
            operator = "!="
        if operator not in ("=", "!=", "<", "<=", ">", ">=", "LIKE"):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.text}' after {name}")
        return Comparison(name, operator, [self.literal()])

    def value_list(self) -> list[Literal]:
        self.expect("(")
        values = [self.literal()]
        while self.at(","):
            self.take()
            values.append(self.literal())
        self.expect(")")
        return values

    def literal(self) -> Literal:
        token = self.take()
        text = token.text
        if token.kind == "string":
            return Literal("string", _unescape(text[1:-1]), text)
        if token.kind == "number":
            return Literal("number", float(text), text)
        if token.kind == "date":
            return Literal("date", _parse_date(text), text)
        if token.kind == "datetime":
            return Literal("datetime", _parse_datetime(text), text)
        if token.kind == "word":
            upper = token.upper
            if upper in ("TRUE", "FALSE"):
                return Literal("boolean", upper == "TRUE", text)
            if upper == "NULL":
                return Literal("null", None, text)
            found = date_range(upper, self.today)
            if found is not None:
                return Literal("daterange", found, text)
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text}' where a value was expected")


def _unescape(body: str) -> str:
    out, position = [], 0
    while position < len(body):
        char = body[position]
        if char == "\\":
            following = body[position + 1 : position + 2]
            if following not in _ESCAPES:
                raise SoqlError("MALFORMED_QUERY", f"invalid escape sequence \\{following} in a string literal")
            out.append(_ESCAPES[following])
            position += 2
            continue
        out.append(char)
        position += 1
    return "".join(out)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SoqlError("MALFORMED_QUERY", f"invalid date literal: {text}") from None


def _parse_datetime(text: str) -> datetime:
    normalized = text[:-1] + "+00:00" if text.endswith("Z") else text
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = normalized[:-2] + ":" + normalized[-2:]
    try:
        return datetime.fromisoformat(normalized).astimezone(UTC)
    except ValueError:
        raise SoqlError("MALFORMED_QUERY", f"invalid datetime literal: {text}") from None


def date_range(name: str, today: date) -> DateRange | None:
    """TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n (today and the n days before), NEXT_N_DAYS:n (the n days after)."""
    fixed = {"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1}
    if name in fixed:
        day = today + timedelta(days=fixed[name])
        return DateRange(name, day, day)
    match = re.fullmatch(r"(LAST|NEXT)_N_DAYS:(\d+)", name)
    if match is None:
        return None
    days = int(match.group(2))
    if match.group(1) == "LAST":  # Salesforce: the n days before today, and today
        return DateRange(name, today - timedelta(days=days), today)
    return DateRange(name, today + timedelta(days=1), today + timedelta(days=days))


# ---- evaluation -------------------------------------------------------------------------------

Getter = Callable[[str], tuple[str, Any]]
"""field name -> (describe type, typed value)."""


def check_literal(field_name: str, field_type: str, literal: Literal) -> None:
    """Refuse a literal of the wrong kind for the field, with Salesforce's wording."""
    if literal.kind == "null":
        return
    allowed = {
        "date": {"date", "daterange"},
        "datetime": {"datetime", "daterange"},
        "boolean": {"boolean"},
    }.get(field_type)
    if allowed is None:
        allowed = {"number"} if field_type in _NUMBER_TYPES else {"string"}
    if literal.kind not in allowed:
        wanted = {"date": "date", "datetime": "dateTime", "boolean": "boolean"}.get(field_type, "")
        wanted = wanted or ("number" if field_type in _NUMBER_TYPES else "string")
        quoting = " and should not be enclosed in quotes" if wanted != "string" else ""
        raise SoqlError(
            "MALFORMED_QUERY", f"value of filter criterion for field '{field_name}' must be of type {wanted}{quoting}"
        )


def matches(condition: Any, getter: Getter) -> bool:
    if condition is None:
        return True
    if isinstance(condition, BoolOp):
        if condition.operator == "AND":
            return all(matches(part, getter) for part in condition.operands)
        if condition.operator == "OR":
            return any(matches(part, getter) for part in condition.operands)
        return not matches(condition.operands[0], getter)
    field_type, value = getter(condition.field)
    if condition.checked != field_type:
        for literal in condition.values:
            check_literal(condition.field, field_type, literal)
        condition.checked = field_type
        plain = field_type not in _ID_TYPES and all(literal.kind == "string" for literal in condition.values)
        condition.strings = frozenset(str(lit.value).lower() for lit in condition.values) if plain else None
    operator = condition.operator
    if operator in ("IN", "NOT IN"):
        if condition.strings is not None and (value is None or isinstance(value, str)):
            found = value is not None and value.lower() in condition.strings
        else:
            found = any(_equal(field_type, value, literal) for literal in condition.values)
        return found if operator == "IN" else not found and value is not None
    if operator in ("INCLUDES", "EXCLUDES"):
        chosen = {part.lower() for part in str(value or "").split(";") if part}
        wanted = [literal.value.lower() for literal in condition.values if literal.kind == "string"]
        hit = any(all(part in chosen for part in item.split(";")) for item in wanted)
        return hit if operator == "INCLUDES" else not hit
    literal = condition.values[0]
    if operator == "=":
        return _equal(field_type, value, literal)
    if operator == "!=":
        return not _equal(field_type, value, literal)
    if operator == "LIKE":
        if field_type not in _TEXT_TYPES | _ID_TYPES:
            raise SoqlError("MALFORMED_QUERY", f"invalid operator on field '{condition.field}': LIKE needs text")
        return value is not None and _like(literal.value, str(value))
    return _ordered(operator, field_type, value, literal)


def _equal(field_type: str, value: Any, literal: Literal) -> bool:
    if literal.kind == "null" or value is None:
        return literal.kind == "null" and value is None
    if literal.kind == "daterange":
        day = value.date() if isinstance(value, datetime) else value
        return literal.value.start <= day <= literal.value.end
    if field_type in _ID_TYPES:
        return str(value)[:15] == str(literal.value)[:15] and len(str(literal.value)) in (15, 18)
    if isinstance(value, str):
        return value.lower() == str(literal.value).lower()
    return bool(value == literal.value)


def _ordered(operator: str, field_type: str, value: Any, literal: Literal) -> bool:
    if value is None or literal.kind == "null":
        return False
    if literal.kind == "daterange":
        day = value.date() if isinstance(value, datetime) else value
        low, high = literal.value.start, literal.value.end
        return {"<": day < low, "<=": day <= high, ">": day > high, ">=": day >= low}[operator]
    left, right = value, literal.value
    if isinstance(left, str):
        left, right = left.lower(), str(right).lower()
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[operator]


def _like(pattern: str, value: str) -> bool:
    regex, position = [], 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            regex.append(re.escape(pattern[position + 1]))
            position += 2
            continue
        regex.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        position += 1
    return re.fullmatch("".join(regex), value, re.IGNORECASE | re.DOTALL) is not None


def sort_key(item: OrderItem, value: Any) -> tuple[int, Any]:
    """A key for one ORDER BY item; nulls first when ascending, last when descending, unless told."""
    nulls_last = item.nulls_last if item.nulls_last is not None else item.descending
    if value is None:
        return (1 if nulls_last != item.descending else -1, 0)
    if isinstance(value, str):
        value = value.lower()
    if isinstance(value, datetime):
        value = value.timestamp()
    elif isinstance(value, date):
        value = datetime.combine(value, time.min, UTC).timestamp()
    return (0, value)
