"""A deterministic synthetic book of business for the demo: accounts with different stories."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

FEATURES = ("Report Created", "Dashboard Viewed", "Export Completed", "Integration Connected", "Invite Sent")


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str
    plan: str
    seats: int
    domain: str
    story: str
    signed_up_days_ago: int
    active_users: int
    daily_rate: float
    """Typical actions per active user per day at the start of the window."""
    trend: float = 0.0
    """Relative change of the daily rate by the end of the window (-0.7 = 70% down)."""
    quiet_last_days: int = 0
    zendesk_org: str | None = None
    hubspot_company: str | None = None


ACCOUNTS = (
    DemoAccount(
        "acct_acme",
        "Acme Corp",
        "pro",
        25,
        "acme.com",
        "steady and healthy",
        400,
        18,
        6.0,
        zendesk_org="509974",
        hubspot_company="8120331",
    ),
    DemoAccount(
        "acct_globex",
        "Globex",
        "enterprise",
        50,
        "globex.io",
        "usage falling fast, tickets piling up",
        700,
        30,
        5.0,
        trend=-0.75,
        zendesk_org="509975",
    ),
    DemoAccount(
        "acct_initech",
        "Initech",
        "starter",
        5,
        "initech.com",
        "went quiet 20 days ago",
        300,
        4,
        3.0,
        quiet_last_days=20,
    ),
    DemoAccount(
        "acct_umbrella", "Umbrella", "pro", 10, "umbrella.co", "signed up 2 days ago, setup unfinished", 2, 1, 2.0
    ),
    DemoAccount("acct_hooli", "Hooli", "enterprise", 40, "hooli.xyz", "only 6 of 40 seats in use", 500, 6, 4.0),
    DemoAccount(
        "acct_stark", "Stark Industries", "enterprise", 60, "stark.com", "growing adoption", 900, 45, 4.0, trend=0.3
    ),
)


_NAMES = (
    "Aperture Labs", "Blue Sun", "Cyberdyne", "Duff Beverages", "Ecorp", "Gekko & Co", "Gringotts", "Los Pollos",
    "Massive Dynamic", "Monarch Solutions", "Nakatomi", "Oceanic Air", "Oscorp", "Pied Piper", "Prestige Worldwide",
    "Rekall", "Sirius Cybernetics", "Soylent", "Tyrell", "Vandelay Industries", "Virtucon", "Wayne Enterprises",
    "Weyland-Yutani", "Wonka",
)  # fmt: skip


def _generated(seed: int = 11) -> tuple[DemoAccount, ...]:
    """A couple of dozen more accounts, some healthy, some fading, some stuck in onboarding."""
    rng = random.Random(seed)
    kinds = ("healthy", "healthy", "fading", "stuck", "healthy", "fading", "quiet", "growing")
    accounts = []
    for index, name in enumerate(_NAMES):
        kind = kinds[index % len(kinds)]
        slug = name.lower().replace(" & ", "-").replace(" ", "-").replace("'", "")
        seats = rng.choice((5, 8, 10, 15, 20))
        users = max(2, int(seats * rng.uniform(0.4, 0.8)))
        common = {"account_id": f"acct_{slug.replace('-', '_')}", "name": name, "domain": f"{slug}.com",
                  "plan": rng.choice(("starter", "pro", "enterprise")), "seats": seats}  # fmt: skip
        if kind == "stuck":
            accounts.append(
                DemoAccount(
                    **common,
                    story="stuck in onboarding",
                    signed_up_days_ago=rng.randint(8, 20),
                    active_users=1,
                    daily_rate=1.0,
                    trend=-0.5,
                )
            )
        elif kind == "fading":
            accounts.append(
                DemoAccount(
                    **common,
                    story="fading: fewer people, less use",
                    signed_up_days_ago=rng.randint(200, 700),
                    active_users=users,
                    daily_rate=3.0,
                    trend=-0.7,
                )
            )
        elif kind == "quiet":
            accounts.append(
                DemoAccount(
                    **common,
                    story=f"silent for {(quiet := rng.randint(15, 30))} days",
                    signed_up_days_ago=rng.randint(200, 700),
                    active_users=users,
                    daily_rate=2.5,
                    quiet_last_days=quiet,
                )
            )
        else:
            accounts.append(
                DemoAccount(
                    **common,
                    story="growing" if kind == "growing" else "steady and healthy",
                    signed_up_days_ago=rng.randint(200, 900),
                    active_users=users,
                    daily_rate=rng.uniform(3.5, 5.0),
                    trend=0.3 if kind == "growing" else 0.0,
                )
            )
    return tuple(accounts)


NAMED_ACCOUNTS = ACCOUNTS
"""The six accounts the demo's tables tell stories about."""
ACCOUNTS = NAMED_ACCOUNTS + _generated()


def _identity_calls(account: DemoAccount, now: datetime) -> Iterator[dict[str, Any]]:
    signed_up = now - timedelta(days=account.signed_up_days_ago)
    traits: dict[str, Any] = {
        "name": account.name,
        "plan": account.plan,
        "seats": account.seats,
        "website": f"https://www.{account.domain}",
        "mrr": account.seats * {"starter": 20, "pro": 45, "enterprise": 90}[account.plan],
        "renewal_date": (now + timedelta(days=30 + account.seats)).date().isoformat(),
        "created_at": signed_up.isoformat(),
    }
    if account.zendesk_org:
        traits["zendesk_organization_id"] = account.zendesk_org
    if account.hubspot_company:
        traits["hubspot_company_id"] = account.hubspot_company
    for index in range(account.active_users):
        user_id = f"{account.account_id}_u{index:02d}"
        joined = signed_up + timedelta(hours=index)
        yield {
            "type": "identify",
            "user_id": user_id,
            "timestamp": joined,
            "traits": {"email": f"user{index}@{account.domain}", "name": f"User {index}"},
        }
        yield {
            "type": "group",
            "user_id": user_id,
            "group_id": account.account_id,
            "timestamp": joined,
            "traits": traits,
        }


def demo_calls(now: datetime, days: int = 90, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Identify, group, track and page calls for every demo account over the last `days` days."""
    rng = random.Random(seed)
    for account in ACCOUNTS:
        yield from _identity_calls(account, now)
        window = min(days, account.signed_up_days_ago)
        for day in range(window, -1, -1):
            if day < account.quiet_last_days:
                continue
            progress = 1 - day / max(window, 1)
            rate = account.daily_rate * (1 + account.trend * progress)
            # Nobody uses a product every single day; in a declining account people drop off too.
            presence = 0.8 * (1 + min(account.trend, 0.0) * progress)
            for index in range(account.active_users):
                if rng.random() > presence:
                    continue
                user_id = f"{account.account_id}_u{index:02d}"
                moment = (now - timedelta(days=day)).replace(hour=9, minute=0, second=0, microsecond=0)
                moment = min(moment + timedelta(minutes=rng.randrange(0, 8 * 60)), now - timedelta(minutes=1))
                yield {
                    "type": "track",
                    "user_id": user_id,
                    "group_id": account.account_id,
                    "event": "Logged In",
                    "timestamp": moment,
                }
                for _ in range(max(0, round(rng.gauss(rate, rate / 3)))):
                    feature = FEATURES[min(int(rng.expovariate(1.2)), len(FEATURES) - 1)]
                    if account.account_id == "acct_umbrella" and feature == "Integration Connected":
                        continue
                    moment = min(moment + timedelta(minutes=rng.randrange(1, 30)), now - timedelta(seconds=1))
                    yield {
                        "type": "track",
                        "user_id": user_id,
                        "group_id": account.account_id,
                        "event": feature,
                        "timestamp": moment,
                    }
                yield {
                    "type": "page",
                    "user_id": user_id,
                    "group_id": account.account_id,
                    "name": "Home",
                    "timestamp": moment,
                }


def demo_now() -> datetime:
    return datetime.now(UTC)
