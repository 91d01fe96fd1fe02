"""Simulate the customer base the story describes (bench/outcome_truth/story.py): who churns, when and why."""

from __future__ import annotations

import gzip
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from bench.outcome_truth.calls import Writer, write_calls, write_tickets
from bench.outcome_truth.story import (
    DECLINE_ONSET_DAYS,
    EPISODE_EVERY_DAYS,
    MECHANISMS,
    MIN_TENURE_AT_END,
    SCENARIOS,
    SEGMENT_FACTOR,
    SETUP_EVENTS,
    TICKET_CATEGORIES,
    Hazards,
    SimAccount,
    Simulation,
    Ticket,
    User,
)


def simulate(seed: int, accounts: int, days: int, end: date, scenario: str, segment: str, export: Path) -> Simulation:
    """Simulate `accounts` accounts over the `days` days ending on `end`; write their calls to `export` (gzip)."""
    start = end - timedelta(days=days - 1)
    sim = Simulation(start, days, scenario, [], [])
    hazards = SCENARIOS[scenario]
    weekend = np.array([(start + timedelta(days=n)).weekday() >= 5 for n in range(days)])
    with gzip.open(export, "wb", compresslevel=1) as handle:
        writer = Writer(handle, start, days)
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
    writer: Writer,
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
        users.append(User(f"{a.account_id}_u{i:03d}", join, p_day, 4.5 * a.u**0.4 * float(rng.lognormal(0.0, 0.3))))
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
    write_calls(rng, a, users, setup_days, use, weekend, stop, writer)
    return a, write_tickets(rng, a, users, episodes, joined, stop)
