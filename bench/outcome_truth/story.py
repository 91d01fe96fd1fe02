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

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

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
class User:
    user_id: str
    join: int
    p_day: float
    rate: float
