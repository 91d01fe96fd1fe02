"""Pure mappings between HubSpot object JSON and our records: tasks, notes, renewals, batch errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from crm_adapters.base import NoteSpec, Renewal, TaskSpec, TaskStatus
from crm_adapters.hubspot.html_body import html
from crm_adapters.rich_text import RichText

T = TypeVar("T")

BATCH_LIMIT = 100
"""HubSpot's inputs per batch call (50 with propertiesWithHistory, which we never ask for)."""
SEARCH_IN_LIMIT = 100
"""Values per IN filter of a CRM search."""

TASK_TO_COMPANY = 192
NOTE_TO_COMPANY = 190
COMPLETED = "COMPLETED"
NOT_FOUND_REASON = "deleted or merged in HubSpot (OBJECT_NOT_FOUND)"


def chunks(items: Sequence[T], size: int = BATCH_LIMIT) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(items: Iterable[T]) -> list[T]:
    """Items in first-seen order without repeats (HubSpot rejects a batch naming one id twice)."""
    return list(dict.fromkeys(items))


def iso_utc(moment: datetime) -> str:
    """HubSpot's datetime wire format; a naive datetime is taken as UTC."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"


def parse_instant(value: str | None) -> datetime | None:
    """HubSpot datetimes arrive as ISO 8601 (v3) or epoch milliseconds (older surfaces)."""
    if not value:
        return None
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_day(value: str | None) -> date | None:
    moment = parse_instant(value)
    return moment.date() if moment else None


def parse_amount(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def normalize_domain(value: str | None) -> str | None:
    """`https://WWW.Acme.com/pricing` -> `acme.com`: how HubSpot stores a company domain."""
    if not value:
        return None
    text = value.strip().lower()
    text = text.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.").strip(".")
    return text or None


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return normalize_domain(email.rsplit("@", 1)[1])


def company_association(record_id: str, type_id: int) -> list[dict[str, Any]]:
    return [
        {"to": {"id": record_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}
    ]


def task_properties(task: TaskSpec, key_property: str) -> dict[str, str]:
    properties = {
        "hs_timestamp": iso_utc(task.due_at),
        "hs_task_subject": task.subject,
        "hs_task_body": html(task.body),
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": task.priority,
        "hs_task_type": task.task_type,
        key_property: task.key,
    }
    if task.owner_id:
        properties["hubspot_owner_id"] = task.owner_id
    return properties


def person_name(owner: Mapping[str, Any]) -> str | None:
    """An owner's name as people know them ("Ana Lima"), else their email."""
    name = " ".join(str(owner.get(part) or "").strip() for part in ("firstName", "lastName")).strip()
    return name or (str(owner.get("email")) if owner.get("email") else None)


def note_properties(note: NoteSpec, key_property: str) -> dict[str, str]:
    return {"hs_note_body": html(note.body), "hs_timestamp": iso_utc(note.at), key_property: note.key}


def append_note(body: str | None, note: RichText) -> str | None:
    """The (rich text) task body with `note` appended; None when it already ends with it (a retry after a
    crash must not append the same note twice)."""
    current, added = (body or "").rstrip(), html(note)
    if added and current.endswith(added):
        return None
    return current + added


def task_status(task_id: str, properties: Mapping[str, Any]) -> TaskStatus:
    status = str(properties.get("hs_task_status") or "")
    return TaskStatus(
        task_id=task_id,
        status=status,
        completed=status == COMPLETED,
        completed_at=parse_instant(properties.get("hs_task_completion_date")),
    )


def renewal(record_id: str, deal_id: str, properties: Mapping[str, Any]) -> Renewal:
    """A deal as a Renewal; `hs_is_closed(_won)` is authoritative, stock stage ids the fallback."""
    stage = str(properties.get("dealstage") or "")
    closed_flag, won_flag = properties.get("hs_is_closed"), properties.get("hs_is_closed_won")
    won = is_true(won_flag) if won_flag not in (None, "") else stage == "closedwon"
    closed = is_true(closed_flag) if closed_flag not in (None, "") else stage in ("closedwon", "closedlost")
    return Renewal(
        record_id=record_id,
        deal_id=deal_id,
        closed=closed or won,
        won=won,
        close_date=parse_day(properties.get("closedate")),
        amount=parse_amount(properties.get("amount")),
        name=properties.get("dealname"),
    )


def batch_failures(body: Any) -> dict[str, tuple[str, bool]]:
    """id -> (reason, gone?) for the inputs a 207 names in `errors[].context.ids`."""
    failures: dict[str, tuple[str, bool]] = {}
    if not isinstance(body, dict):
        return failures
    for error in body.get("errors") or []:
        category = str(error.get("category") or "")
        gone = category == "OBJECT_NOT_FOUND"
        reason = NOT_FOUND_REASON if gone else f"{category}: {error.get('message')}"
        for object_id in (error.get("context") or {}).get("ids") or []:
            failures[str(object_id)] = (reason, gone)
    return failures


def first_error_message(body: Any) -> str:
    if isinstance(body, dict):
        for error in body.get("errors") or []:
            if error.get("message"):
                return f"{error.get('category') or 'ERROR'}: {error['message']}"
    return "HubSpot did not create it"
