"""A seeded customer base: accounts, their users' Segment calls, support tickets, churn and renewals.

The story was fixed before anything was measured, and nothing here knows how healthloop scores.

- Two segments: single-user consumer-style accounts (1 seat, monthly) and B2B multi-seat accounts
  (2-150 seats, monthly or annual; users join over the first weeks, some seats are never used).
- Accounts sign up on any day of the period but the last 45 days. Each has a latent use intensity u
  (log-normal): how often its users show up and how much they do per visit. Users log in
  ("Session Started") and then do core or noise actions from a per-account mix.
- Three setup steps follow the signup ("Workspace Created"); each is done with the account's
  onboarding propensity, a few days in.
- Churn: a daily hazard, the sum of one component per mechanism, drawn day by day:
  noise (constant, independent of behaviour); low_use (C / (1 + (u / 0.5)^3)); decline (after a
  decline starts, use decays with a time constant of 7-28 days; the hazard grows with the share of
  use lost; 35% of declines recover); onboarding (setup steps still missing, fading as exp(-tenure /
  60)); idle_seats (multi-seat, after 30 days, when fewer than half the seats were ever used);
  tickets (for 45 days after a cluster of 3+ tickets on one issue starts, fading linearly).
  Behavioural components are x1.3 for single-user and x0.8 for multi-seat accounts. A churn is
  attributed to one mechanism, drawn in proportion to the components on its day. A churned
  account sends nothing from its churn day on.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

SIGNUP_EVENT = "Workspace Created"
SETUP_EVENTS = ("Bank Account Connected", "Invoice Template Customized", "Clients Imported")
INVITE_EVENT = "Teammate Invited"
LOGIN_EVENT = "Session Started"
CORE_FEATURE = "Invoice Sent"
CORE_EVENTS = (CORE_FEATURE, "Payment Recorded", "Board Created", "Task Completed", "Time Logged", "Report Exported")
NOISE_EVENTS = (
    "Dashboard Opened",
    "Search Performed",
    "Filter Applied",
    "Notification Clicked",
    "Settings Opened",
    "Help Article Viewed",
    "Tooltip Dismissed",
    "Sidebar Toggled",
    "Comment Added",
    "File Attached",
    "Tag Added",
    "Reminder Scheduled",
    "Calendar Synced",
    "Theme Changed",
    "Shortcut Used",
)
EVENTS = (SIGNUP_EVENT, *SETUP_EVENTS, INVITE_EVENT, LOGIN_EVENT, *CORE_EVENTS, *NOISE_EVENTS)
BIT = {name: 1 << i for i, name in enumerate(EVENTS)}
MIX_EVENTS = CORE_EVENTS + NOISE_EVENTS
TICKET_CATEGORIES = ("billing", "invoices", "sync", "export", "login", "permissions", "performance", "integrations")
MECHANISMS = ("noise", "low_use", "decline", "onboarding", "idle_seats", "tickets")


@dataclass(frozen=True)
class Hazards:
    """Daily churn hazard scale of each mechanism (behavioural ones before the segment factor)."""

    noise: float
    low_use: float
    decline: float
    onboarding: float
    idle_seats: float
    tickets: float


SCENARIOS = {
    "mixed": Hazards(noise=0.0005, low_use=0.003, decline=0.006, onboarding=0.004, idle_seats=0.003, tickets=0.006),
    # About the mixed scenario's overall churn, all of it independent of behaviour.
    "noise": Hazards(noise=0.0024, low_use=0.0, decline=0.0, onboarding=0.0, idle_seats=0.0, tickets=0.0),
}
SEGMENT_FACTOR = {"single": 1.3, "multi": 0.8}
MIN_TENURE_AT_END = 45
DECLINE_ONSET_DAYS = 500.0
EPISODE_EVERY_DAYS = {"single": 400.0, "multi": 250.0}
TICKET_EVERY_DAYS = 150.0


@dataclass
class Ticket:
    ticket_id: str
    account_id: str
    user_id: str
    day: int
    second: int
    category: str
    episode: bool


@dataclass
class SimAccount:
    """One account's truth (churn, renewals) and what it did, per day (for the bench's own baselines)."""

    account_id: str
    segment: str
    plan: str
    seats: int
    mrr: float
    cycle_days: int
    signup: int
    u: float
    churn: int | None = None
    cause: str | None = None
    renewals: list[int] = field(default_factory=list)
    events: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    types: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    setup_first: dict[str, int] = field(default_factory=dict)
    tickets: list[int] = field(default_factory=list)
    declined: bool = False
    episodes: int = 0
    hazard: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """The simulator's own daily churn hazard (the ceiling a method reading the past could approach)."""


@dataclass
class Simulation:
    start: date
    days: int
    scenario: str
    accounts: list[SimAccount]
    tickets: list[Ticket]
    messages: int = 0

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)


@dataclass
class _User:
    user_id: str
    join: int
    p_day: float
    rate: float


class _Writer:
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


def simulate(seed: int, accounts: int, days: int, end: date, scenario: str, segment: str, export: Path) -> Simulation:
    """Simulate `accounts` accounts over the `days` days ending on `end`; write their calls to `export` (gzip)."""
    start = end - timedelta(days=days - 1)
    sim = Simulation(start, days, scenario, [], [])
    hazards = SCENARIOS[scenario]
    weekend = np.array([(start + timedelta(days=n)).weekday() >= 5 for n in range(days)])
    with gzip.open(export, "wb", compresslevel=1) as handle:
        writer = _Writer(handle, start, days)
        for index in range(accounts):
            rng = np.random.default_rng([seed, index])
            kind = segment if segment != "both" else ("single" if rng.random() < 0.5 else "multi")
            account, tickets = _account(rng, index, kind, days, weekend, hazards, writer)
            sim.accounts.append(account)
            sim.tickets.extend(tickets)
        sim.messages = writer.count
    return sim


def _profile(rng: np.random.Generator, index: int, kind: str, days: int) -> SimAccount:
    account_id = f"acc_{index:05d}"
    signup = int(rng.integers(0, days - MIN_TENURE_AT_END))
    u = float(rng.lognormal(0.0, 0.6))
    if kind == "single":
        plan, price = ("solo", 12.0) if rng.random() < 0.7 else ("solo plus", 29.0)
        return SimAccount(account_id, kind, plan, 1, price, 30, signup, u)
    seats = int(np.clip(round(rng.lognormal(math.log(8), 0.8)), 2, 150))
    plan, per_seat = ("team", 15.0) if seats < 10 else ("business", 25.0) if seats < 50 else ("enterprise", 40.0)
    cycle = 365 if rng.random() < 0.4 else 30
    return SimAccount(account_id, kind, plan, seats, seats * per_seat, cycle, signup, u)


def _account(
    rng: np.random.Generator,
    index: int,
    kind: str,
    days: int,
    weekend: np.ndarray,
    hazards: Hazards,
    writer: _Writer,
) -> tuple[SimAccount, list[Ticket]]:
    a = _profile(rng, index, kind, days)
    t = np.arange(days)
    tenure = t - a.signup
    # Users: the admin signs up; multi-seat accounts activate a share of their seats over the first weeks.
    n_users = 1 if kind == "single" else max(1, round(float(rng.beta(2.0, 1.2)) * a.seats))
    users = []
    for i in range(n_users):
        join = a.signup if i == 0 else a.signup + math.ceil(rng.exponential(12.0))
        spread = 0.3 if kind == "single" else 0.5
        p_day = float(np.clip(0.55 * a.u**0.8 * rng.lognormal(0.0, spread), 0.02, 0.95))
        users.append(_User(f"{a.account_id}_u{i:03d}", join, p_day, 4.5 * a.u**0.4 * float(rng.lognormal(0.0, 0.3))))
    joined = np.array([sum(1 for user in users if user.join <= d) for d in range(days)])
    # Setup steps, done with the account's onboarding propensity a few days after signup.
    propensity = float(rng.beta(2.0, 1.0))
    setup_days = {name: a.signup + int(rng.exponential(4.0)) for name in SETUP_EVENTS if rng.random() < propensity}
    missing = np.array([sum(1 for name in SETUP_EVENTS if setup_days.get(name, days) > d) for d in range(days)])
    # A decline may start after three weeks; it decays use with time constant tau and may recover.
    use = np.ones(days)
    decline_start = a.signup + 21 + int(rng.exponential(DECLINE_ONSET_DAYS))
    tau, recovers = float(rng.uniform(7, 28)), rng.random() < 0.35
    recover_day = decline_start + int(rng.uniform(21, 60)) if recovers else days
    if decline_start < days:
        window = (t >= decline_start) & (t < recover_day)
        use[window] = np.maximum(0.05, np.exp(-(t[window] - decline_start) / tau))
    # Ticket clusters: several tickets on one issue within about three weeks.
    episodes = []
    when = a.signup + rng.exponential(EPISODE_EVERY_DAYS[kind])
    while when < days:
        episodes.append((int(when), TICKET_CATEGORIES[int(rng.integers(len(TICKET_CATEGORIES)))]))
        when += rng.exponential(EPISODE_EVERY_DAYS[kind])

    factor = SEGMENT_FACTOR[kind]
    alive = tenure >= 1
    components = {
        "noise": np.full(days, hazards.noise),
        "low_use": np.full(days, factor * hazards.low_use / (1.0 + (a.u / 0.5) ** 3)),
        "decline": factor * hazards.decline * (1.0 - use),
        "onboarding": factor * hazards.onboarding * missing / len(SETUP_EVENTS) * np.exp(-np.maximum(tenure, 0) / 60),
        "idle_seats": np.zeros(days),
        "tickets": np.zeros(days),
    }
    if kind == "multi":
        idle = np.clip((0.5 - joined / a.seats) / 0.5, 0.0, 1.0)
        components["idle_seats"] = factor * hazards.idle_seats * idle * (tenure >= 30)
    for start, _ in episodes:
        fade = np.clip(1.0 - (t - start - 3) / 45.0, 0.0, 1.0) * (t >= start + 3)
        components["tickets"] += factor * hazards.tickets * fade
    total = sum(components.values()) * alive
    a.hazard = total
    draws = rng.random(days) < 1.0 - np.exp(-total)
    if draws.any():
        a.churn = int(np.argmax(draws))
        shares = np.array([components[m][a.churn] for m in MECHANISMS])
        a.cause = MECHANISMS[int(rng.choice(len(MECHANISMS), p=shares / shares.sum()))]
    stop = a.churn if a.churn is not None else days
    a.declined = decline_start < stop
    a.episodes = sum(1 for start, _ in episodes if start < stop)
    a.renewals = list(range(a.signup + a.cycle_days, stop, a.cycle_days))
    a.events = np.zeros(days, dtype=np.int64)
    a.types, a.users = [0] * days, [0] * days
    _write_calls(rng, a, users, setup_days, use, weekend, stop, writer)
    return a, _tickets(rng, a, users, episodes, joined, stop)


def _traits(a: SimAccount, writer: _Writer, renewal: int) -> dict[str, Any]:
    return {
        "name": f"{a.plan.title()} customer {a.account_id[4:]}",
        "plan": a.plan,
        "seats": a.seats,
        "mrr": a.mrr,
        "created_at": writer.stamp(a.signup, 9 * 3600),
        "renewal_date": (date.fromisoformat(writer.days[0]) + timedelta(days=renewal)).isoformat(),
    }


def _track(a: SimAccount, writer: _Writer, user: int, user_id: str, name: str, day: int, second: int, n: str) -> None:
    message = {"type": "track", "messageId": f"{user_id}-{day}-{n}", "userId": user_id, "event": name}
    writer.write(message | {"context": {"groupId": a.account_id}, "properties": {}}, day, second)
    a.events[day] += 1
    a.types[day] |= BIT[name]
    a.users[day] |= 1 << user
    if name in SETUP_EVENTS or name in (INVITE_EVENT, SIGNUP_EVENT):
        a.setup_first[name] = min(day, a.setup_first.get(name, day))


def _write_calls(
    rng: np.random.Generator,
    a: SimAccount,
    users: list[_User],
    setup_days: dict[str, int],
    use: np.ndarray,
    weekend: np.ndarray,
    stop: int,
    writer: _Writer,
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


def _tickets(
    rng: np.random.Generator,
    a: SimAccount,
    users: list[_User],
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
