"""What healthloop writes into a CRM record: the health field values and which of them changed, the
tier-change note, and each intervention's task key, type and body. Pure functions of stored rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from connector.store.models import Intervention
from crm_adapters.base import FieldMapping
from scoring.rules import TIER_LABELS

SIGNALS = ("activity", "engagement", "milestones", "recency")
ALWAYS_WITH_CHANGES = {"scored_at"}
"""Values written only together with a real change: a daily rescore that changes nothing costs no call."""


def _number(value: Any) -> str | None:
    return None if value is None else str(round(float(value)))


def iso_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def health_values(row: Any, open_triggers: Iterable[str]) -> dict[str, str | None]:
    """Our values for one account's latest score row, as strings (None clears the field)."""
    signals = row.signals or {}
    triggers = sorted(set(open_triggers))
    values: dict[str, str | None] = {
        "score": str(row.score),
        "tier": row.tier,
        "trend": row.trend_direction,
        "trend_delta": None if row.trend_delta is None else str(row.trend_delta),
        "scored_at": iso_time(row.scored_at),
        "open_triggers": ";".join(triggers) if triggers else None,
        "reason": (row.reason or "").splitlines()[0][:500] if row.reason else None,
    }
    for name in SIGNALS:
        values[name] = _number((signals.get(name) or {}).get("value"))
    return values


def story_of(row: Any, idle_seats: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a tier-change note compares: tier, score, signals, and idle seats when that trigger is open."""
    signals = row.signals or {}
    return {
        "tier": row.tier,
        "score": row.score,
        "day": row.day.isoformat(),
        "signals": {name: (signals.get(name) or {}).get("value") for name in SIGNALS},
        "idle_seats": idle_seats,
    }


def diff(mapping: FieldMapping, values: dict[str, str | None], synced: dict[str, Any]) -> dict[str, str | None]:
    """The fields whose value differs from what the record last got (all of them on a first sync)."""
    first = not synced
    changed: dict[str, str | None] = {}
    for spec in mapping.fields:
        new = values.get(spec.source)
        if spec.source in ALWAYS_WITH_CHANGES:
            continue
        if first or synced.get(spec.name) != new:
            changed[spec.name] = new
    if changed:
        for spec in mapping.fields:
            if spec.source in ALWAYS_WITH_CHANGES:
                changed[spec.name] = values.get(spec.source)
    return changed


def tier_note(account_name: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """The story of a tier change, e.g.
    "Monitor → At Risk: score 66 → 52; Activity 72 → 41; 4 of 5 seats idle 14 days"."""
    parts = [f"score {before.get('score')} → {after.get('score')}"]
    old_signals, new_signals = before.get("signals") or {}, after.get("signals") or {}
    moves = []
    for name in SIGNALS:
        old, new = old_signals.get(name), new_signals.get(name)
        if old is not None and new is not None and abs(new - old) >= 5:
            moves.append((abs(new - old), f"{name.title()} {round(old)} → {round(new)}"))
    parts += [text for _, text in sorted(moves, reverse=True)]
    idle = after.get("idle_seats")
    if idle:
        parts.append(f"{idle.get('idle_seats')} of {idle.get('seats')} seats idle {idle.get('window_days')} days")
    head = f"{TIER_LABELS.get(before['tier'], before['tier'])} → {TIER_LABELS.get(after['tier'], after['tier'])}"
    return f"{account_name}: {head}: " + "; ".join(parts) + "."


def task_key(intervention: Intervention) -> str:
    return f"{intervention.account_id}:{intervention.key}"


def task_type(channels: Sequence[str]) -> str:
    if "call" in channels:
        return "CALL"
    if any(channel in channels for channel in ("email", "executive_email", "email_sequence")):
        return "EMAIL"
    return "TODO"


def task_body(intervention: Intervention) -> str:
    return f"{intervention.body}\n\n(healthloop intervention {intervention.key})"
