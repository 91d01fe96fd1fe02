"""Pure mappings between Salesforce records and ours: tasks, notes-as-tasks, renewals, SaveResults."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from crm_adapters.base import NoteSpec, Outcome, Renewal, TaskSpec, TaskStatus
from crm_adapters.rich_text import RichText

T = TypeVar("T")

COLLECTION_LIMIT = 200
"""Records per sObject Collections request."""
IN_CHUNK = 200
"""Values per SOQL `IN (...)`: 200 ids of 18 characters stay far below the 16 KB URI limit."""

NOT_FOUND_CODES = frozenset({"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND", "INVALID_ID_FIELD"})
RETRYABLE_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"})
DUPLICATE_VALUE = "DUPLICATE_VALUE"
NOT_FOUND_REASON = "deleted or merged in Salesforce"
PRIORITIES = {"HIGH": "High", "MEDIUM": "Normal", "LOW": "Low"}
SUBTYPES = {"TODO": "Task", "CALL": "Call", "EMAIL": "Email"}
NOTE_SUBJECT_PREFIX = "healthloop: "
SUBJECT_LENGTH = 255


def chunks(items: Sequence[T], size: int = COLLECTION_LIMIT) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(items: Iterable[T]) -> list[T]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))


def normalize_domain(value: str | None) -> str | None:
    """`https://WWW.Acme.com/pricing` -> `acme.com` (Website holds whatever a person typed)."""
    if not value:
        return None
    text = value.strip().lower()
    text = text.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.").strip(".")
    return text or None


def website_forms(domain: str) -> list[str]:
    """The Website spellings an `IN` query tries for one normalized domain; `LIKE` catches the rest."""
    forms = [domain, f"www.{domain}"]
    return (
        forms
        + [f"{scheme}://{form}" for scheme in ("https", "http") for form in forms]
        + [f"{scheme}://{form}/" for scheme in ("https", "http") for form in forms]
    )


def iso_utc(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"


def due_date(moment: datetime) -> str:
    """Task.ActivityDate is a date: the due moment's UTC day."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.date().isoformat()


def parse_instant(value: Any) -> datetime | None:
    """Salesforce datetimes: `2025-06-01T12:00:00.000+0000`."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def parse_amount(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def task_record(task: TaskSpec, *, status: str, key_field: str) -> dict[str, Any]:
    """A Task for sObject Collections create (never used to update: a CSM may have changed it)."""
    record: dict[str, Any] = {
        "attributes": {"type": "Task"},
        "Subject": task.subject[:SUBJECT_LENGTH],
        "Description": task.body.plain(),
        "ActivityDate": due_date(task.due_at),
        "Priority": PRIORITIES[task.priority],
        "Status": status,
        "WhatId": task.record_id,
        "TaskSubtype": SUBTYPES[task.task_type],
        key_field: task.key,
    }
    if task.owner_id:
        record["OwnerId"] = task.owner_id
    if task.contact_id:
        record["WhoId"] = task.contact_id
    return record


def note_record(note: NoteSpec, *, status: str, key_field: str) -> dict[str, Any]:
    """A note as a completed Task: Salesforce's activity timeline is where CSMs read the story."""
    text = note.body.plain()
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "tier change")
    return {
        "attributes": {"type": "Task"},
        "Subject": (NOTE_SUBJECT_PREFIX + first_line)[:SUBJECT_LENGTH],
        "Description": text,
        "ActivityDate": due_date(note.at),
        "Priority": "Normal",
        "Status": status,
        "WhatId": note.record_id,
        "TaskSubtype": "Task",
        key_field: note.key,
    }


def append_note(body: str | None, note: RichText) -> str | None:
    """The (plain text) description with `note` appended as a new paragraph; None when it already ends with it
    (a retry after a crash must not append the same note twice)."""
    current, added = body or "", note.plain().strip()
    if added and current.rstrip().endswith(added):
        return None
    return f"{current.rstrip()}\n\n{added}" if current.strip() else added


def save_outcome(key: str, record_id: str | None, result: Mapping[str, Any] | None) -> Outcome:
    """One SaveResult (`{id, success, errors:[{statusCode, message, fields}]}`) as an Outcome."""
    if result is None:
        return Outcome(key, False, record_id, retryable=True, reason="Salesforce returned no result for this record")
    if result.get("success"):
        return Outcome(key, True, str(result.get("id") or record_id or "") or None)
    code, message = save_error(result)
    if code in NOT_FOUND_CODES:
        return Outcome(key, False, record_id, reason=f"{NOT_FOUND_REASON} ({code})", not_found=True)
    if code in RETRYABLE_CODES:
        return Outcome(key, False, record_id, retryable=True, reason=f"{code}: {message}")
    return Outcome(key, False, record_id, reason=f"{code}: {message}")


def save_error(result: Mapping[str, Any]) -> tuple[str, str]:
    """(statusCode, message) of a failed SaveResult; `errorCode` is accepted too."""
    for error in result.get("errors") or []:
        code = str(error.get("statusCode") or error.get("errorCode") or "UNKNOWN_ERROR")
        return code, str(error.get("message") or "")
    return "UNKNOWN_ERROR", "Salesforce did not save the record"


def task_status(record: Mapping[str, Any]) -> TaskStatus:
    return TaskStatus(
        task_id=str(record["Id"]),
        status=str(record.get("Status") or ""),
        completed=bool(record.get("IsClosed")),
        completed_at=parse_instant(record.get("CompletedDateTime")),
    )


def renewal(record: Mapping[str, Any]) -> Renewal:
    """An Opportunity as a Renewal; IsClosed / IsWon come from the stage's definition, not its name."""
    won = bool(record.get("IsWon"))
    return Renewal(
        record_id=str(record.get("AccountId") or ""),
        deal_id=str(record["Id"]),
        closed=bool(record.get("IsClosed")) or won,
        won=won,
        close_date=parse_day(record.get("CloseDate")),
        amount=parse_amount(record.get("Amount")),
        name=record.get("Name"),
    )


def task_statuses(rows: Iterable[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(default open status, a closed status) from `SELECT ApiName, IsClosed, IsDefault FROM TaskStatus`."""
    rows = list(rows)
    open_rows = [r for r in rows if not r.get("IsClosed")]
    closed_rows = [r for r in rows if r.get("IsClosed")]
    default = next((r for r in open_rows if r.get("IsDefault")), open_rows[0] if open_rows else None)
    closed = next((r for r in closed_rows if r.get("ApiName") == "Completed"), closed_rows[0] if closed_rows else None)
    return (
        str(default.get("ApiName") or default.get("MasterLabel")) if default else None,
        str(closed.get("ApiName") or closed.get("MasterLabel")) if closed else None,
    )


def in_chunks(values: Sequence[str], *, max_count: int = IN_CHUNK, max_chars: int = 8000) -> Iterator[list[str]]:
    """Values for SOQL `IN (...)` lists, grouped so each query URL stays well under Salesforce's 16 KB."""
    chunk: list[str] = []
    size = 0
    for value in values:
        # quoted, comma, and room for percent-encoding of the odd character
        cost = len(value) * 3 + 4
        if chunk and (len(chunk) >= max_count or size + cost > max_chars):
            yield chunk
            chunk, size = [], 0
        chunk.append(value)
        size += cost
    if chunk:
        yield chunk


def looks_like_id(value: str) -> bool:
    """A 15- or 18-character Salesforce id (others would fail the whole query, not just themselves)."""
    return len(value) in (15, 18) and value.isalnum()
