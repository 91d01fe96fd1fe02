"""Helpers shared by the end-to-end tests: a few weeks of an account's product events, sent over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rq import SimpleWorker

TODAY = datetime.now(UTC) - timedelta(minutes=1)  # never in the future, whatever the hour


def history_batch(account: str, *, seats: int, active_days: range, users: int = 4) -> list[dict[str, Any]]:
    """A group call, then logins and feature use by `users` users on each of `active_days` (days ago)."""
    calls: list[dict[str, Any]] = [
        {
            "type": "group",
            "userId": f"{account}-u0",
            "groupId": account,
            "timestamp": (TODAY - timedelta(days=120)).isoformat(),
            "traits": {
                "name": account.title(),
                "seats": seats,
                "created_at": (TODAY - timedelta(days=120)).isoformat(),
            },
        }
    ]
    for back in active_days:
        when = (TODAY - timedelta(days=back)).isoformat()
        for user in range(users):
            for event in ("Signed In", "Report Created", "Dashboard Viewed"):
                calls.append(
                    {
                        "type": "track",
                        "userId": f"{account}-u{user}",
                        "event": event,
                        "timestamp": when,
                        "context": {"groupId": account},
                        "messageId": f"{account}-{back}-{user}-{event}",
                    }
                )
    return calls


def send(client, auth_headers, calls: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, len(calls), 400):
        response = client.post("/v1/batch", json={"batch": calls[start : start + 400]}, headers=auth_headers)
        assert response.status_code == 200 and not response.json["rejected"], response.json


def drain(runtime) -> None:  # type: ignore[no-untyped-def]
    """Run every queued job (and the jobs they enqueue) to completion."""
    SimpleWorker([runtime.queue.queue], connection=runtime.redis).work(burst=True)
