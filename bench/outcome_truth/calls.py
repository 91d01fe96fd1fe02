"""What the simulated accounts send: Segment calls (a warehouse-style export), tickets, outcomes CSV rows."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from bench.outcome_truth.story import (
    BIT,
    CORE_EVENTS,
    INVITE_EVENT,
    LOGIN_EVENT,
    MIX_EVENTS,
    SETUP_EVENTS,
    SIGNUP_EVENT,
    TICKET_CATEGORIES,
    TICKET_EVERY_DAYS,
    SimAccount,
    Simulation,
    Ticket,
    User,
)


class Writer:
    """Segment-spec JSON Lines as a warehouse export has them (receivedAt set, so timestamp is kept)."""

    def __init__(self, handle: IO[bytes], start: date, days: int) -> None:
        self.handle = handle
        self.days = [(start + timedelta(days=n)).isoformat() for n in range(days)]
        self.count = 0

    def stamp(self, day: int, second: int) -> str:
        second = min(max(second, 0), 86399)
        return f"{self.days[day]}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"

    def write(self, message: dict[str, Any], day: int, second: int) -> None:
        stamp = self.stamp(day, second)
        message["timestamp"] = message["receivedAt"] = stamp
        self.handle.write(orjson.dumps(message) + b"\n")
        self.count += 1


def _traits(a: SimAccount, writer: Writer, renewal: int) -> dict[str, Any]:
    return {
        "name": f"{a.plan.title()} customer {a.account_id[4:]}",
        "plan": a.plan,
        "seats": a.seats,
        "mrr": a.mrr,
        "created_at": writer.stamp(a.signup, 9 * 3600),
        "renewal_date": (date.fromisoformat(writer.days[0]) + timedelta(days=renewal)).isoformat(),
    }


def _track(a: SimAccount, writer: Writer, user: int, user_id: str, name: str, day: int, second: int, n: str) -> None:
    message = {"type": "track", "messageId": f"{user_id}-{day}-{n}", "userId": user_id, "event": name}
    writer.write(message | {"context": {"groupId": a.account_id}, "properties": {}}, day, second)
    a.events[day] += 1
    a.types[day] |= BIT[name]
    a.users[day] |= 1 << user
    if name in SETUP_EVENTS or name in (INVITE_EVENT, SIGNUP_EVENT):
        a.setup_first[name] = min(day, a.setup_first.get(name, day))


def write_calls(
    rng: np.random.Generator,
    a: SimAccount,
    users: list[User],
    setup_days: dict[str, int],
    use: np.ndarray,
    weekend: np.ndarray,
    stop: int,
    writer: Writer,
) -> None:
    admin = users[0].user_id
    core = float(rng.beta(3.0, 5.0)) * (0.6 + 0.4 * len(setup_days) / len(SETUP_EVENTS))
    mix = np.concatenate(
        [core * rng.dirichlet([4.0] + [2.0] * (len(CORE_EVENTS) - 1)), (1 - core) * rng.dirichlet([1.0] * 15)]
    )
    _track(a, writer, 0, admin, SIGNUP_EVENT, a.signup, 9 * 3600 + 30, "signup")
    for step, (name, day) in enumerate(setup_days.items()):
        if day < stop:
            _track(a, writer, 0, admin, name, day, 9 * 3600 + 600 + int(rng.integers(0, 30000)), f"setup{step}")
    for day in a.renewals:
        renewal = day + a.cycle_days
        message = {"type": "group", "messageId": f"{a.account_id}-renewal-{day}", "userId": admin}
        writer.write(message | {"groupId": a.account_id, "traits": _traits(a, writer, renewal)}, day, 3600)
    off_day = 0.7 if a.segment == "single" else 0.25
    for number, user in enumerate(users):
        if user.join >= stop:
            continue
        if number:
            _track(a, writer, 0, admin, INVITE_EVENT, user.join, 8 * 3600, f"invite{number}")
        first_renewal = a.signup + a.cycle_days * (1 + (user.join - a.signup) // a.cycle_days)
        email = f"user{number}@{a.account_id.replace('_', '')}.example.com"
        writer.write(
            {"type": "identify", "messageId": f"{user.user_id}-identify", "userId": user.user_id}
            | {"traits": {"email": email, "name": f"User {number} of {a.account_id}"}},
            user.join,
            8 * 3600 + 60,
        )
        writer.write(
            {"type": "group", "messageId": f"{user.user_id}-group", "userId": user.user_id}
            | {"groupId": a.account_id, "traits": _traits(a, writer, first_renewal)},
            user.join,
            8 * 3600 + 61,
        )
        span = np.arange(user.join, stop)
        chance = user.p_day * np.where(weekend[span], off_day, 1.0) * use[span]
        active = span[rng.random(len(span)) < chance]
        counts = 1 + rng.poisson(user.rate * np.sqrt(use[active]))
        names = rng.choice(len(MIX_EVENTS), size=int(counts.sum() - len(counts)), p=mix)
        position = 0
        for day, count in zip(active.tolist(), counts.tolist(), strict=True):
            second = int(rng.integers(7 * 3600, 22 * 3600))
            _track(a, writer, number, user.user_id, LOGIN_EVENT, day, second, "0")
            for n in range(1, count):
                second += int(rng.integers(10, 300))
                name = MIX_EVENTS[names[position]]
                position += 1
                _track(a, writer, number, user.user_id, name, day, second, str(n))


def write_tickets(
    rng: np.random.Generator,
    a: SimAccount,
    users: list[User],
    episodes: list[tuple[int, str]],
    joined: np.ndarray,
    stop: int,
) -> list[Ticket]:
    wanted: list[tuple[int, str, bool]] = []
    for start, category in episodes:
        offsets = [0, *sorted(rng.integers(0, 22, size=2 + int(rng.poisson(1.0))).tolist())]
        wanted += [(start + offset, category, True) for offset in offsets]
    for day in range(a.signup, stop):
        if rng.random() < math.sqrt(joined[day]) / TICKET_EVERY_DAYS:
            wanted.append((day, TICKET_CATEGORIES[int(rng.integers(len(TICKET_CATEGORIES)))], False))
    tickets = []
    for number, (day, category, episode) in enumerate(sorted(wanted)):
        if day >= stop:
            continue
        present = [user for user in users if user.join <= day] or users[:1]
        requester = present[int(rng.integers(len(present)))]
        second = int(rng.integers(8 * 3600, 18 * 3600))
        tickets.append(
            Ticket(f"{a.account_id}-t{number}", a.account_id, requester.user_id, day, second, category, episode)
        )
        a.tickets.append(day)
    return tickets


def write_outcomes(sim: Simulation, path: Path, accounts: set[str] | None = None) -> int:
    """`account_id,date,outcome`: won at each renewal that happened, churned on the churn day."""
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write("account_id,date,outcome\n")
        for a in sim.accounts:
            if accounts is not None and a.account_id not in accounts:
                continue
            for day in a.renewals:
                handle.write(f"{a.account_id},{sim.day(day).isoformat()},won\n")
                rows += 1
            if a.churn is not None:
                handle.write(f"{a.account_id},{sim.day(a.churn).isoformat()},churned\n")
                rows += 1
    return rows
