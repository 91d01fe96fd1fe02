"""Warehouse exports for `healthloop import`: Segment-spec JSON Lines of accounts active on chosen days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import orjson

from tests.integration.segment_calls import TODAY


def day_ago(days: int) -> date:
    return TODAY.date() - timedelta(days=days)


def _stamp(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour)).isoformat() + "Z"


def exported_account(
    account: str, *, active_days: range, signed_up_days_ago: int | None = None, users: int = 2, seats: int = 3
) -> list[dict[str, Any]]:
    """A group call on the first active day (with `created_at` when given), then logins and reports
    by `users` users on each of `active_days` (days ago); every message already went through Segment."""
    first = max(active_days)
    traits: dict[str, Any] = {"name": account.title(), "seats": seats}
    if signed_up_days_ago is not None:
        traits["created_at"] = _stamp(day_ago(signed_up_days_ago), 9)
    rows: list[dict[str, Any]] = [
        {
            "type": "group",
            "userId": f"{account}-u0",
            "groupId": account,
            "traits": traits,
            "messageId": f"{account}-group",
            "timestamp": _stamp(day_ago(first), 9),
            "receivedAt": _stamp(day_ago(first), 9),
        }
    ]
    for back in active_days:
        for user in range(users):
            for event in ("Signed In", "Report Created"):
                rows.append(
                    {
                        "type": "track",
                        "userId": f"{account}-u{user}",
                        "event": event,
                        "messageId": f"{account}-{back}-{user}-{event}",
                        "timestamp": _stamp(day_ago(back)),
                        "receivedAt": _stamp(day_ago(back)),
                        "context": {"groupId": account},
                    }
                )
    return rows


def write_export(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in rows) + b"\n")
    return path


NO_REDIS = "redis://127.0.0.1:1/0"
"""Nothing listens there: the CLI falls back to its in-process queue and rescores as it imports."""
