"""Console users: tokens issued by `healthloop users add`, of which only a sha256 is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.errors import InputError
from connector.store.models import ConsoleUser

Role = Literal["viewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "admin")
ADMIN_NAME = "admin"
"""Who signed in with HEALTHLOOP_ADMIN_TOKEN (a user cannot take this name)."""
TOKEN_PREFIX = "hlc_"


@dataclass(frozen=True)
class Identity:
    """Who is signed in: a user's name and role (`admin` with the admin token)."""

    name: str
    role: Role
    user_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str, role: Role, now: datetime | None = None) -> str:
    """Create the user and return their token (shown once; only its hash is kept)."""
    name = name.strip()
    if not name or len(name) > 128 or name.lower() == ADMIN_NAME:
        raise InputError("bad_user_name", f"a user name is 1-128 characters and not {ADMIN_NAME!r}")
    if role not in ROLES:
        raise InputError("bad_role", f"role must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ConsoleUser(name=name, role=role, token_hash=token_hash(token), created_at=now or datetime.now(UTC)))
    try:
        session.flush()
    except IntegrityError:
        raise InputError("user_exists", f"a user named {name!r} exists; remove it first to issue a new token") from None
    return token


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.name)))


def remove_user(session: Session, name: str) -> bool:
    """Remove the user (their sessions end at their next request); False when there was none."""
    return bool(session.execute(delete(ConsoleUser).where(ConsoleUser.name == name)).rowcount)


def identify(session: Session, token: str, admin_token: str | None) -> Identity | None:
    """The identity a token signs in as, or None."""
    token = token.strip()
    if not token:
        return None
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Identity(ADMIN_NAME, "admin", None)
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.token_hash == token_hash(token)))
    return None if user is None else Identity(user.name, user.role, user.id)  # type: ignore[arg-type]


def still_valid(session: Session, user_id: int | None, name: str) -> Identity | None:
    """Re-read a signed-in user on each request, so `users remove` or a role change takes effect at once."""
    if user_id is None:
        return None
    user = session.get(ConsoleUser, user_id)
    if user is None or user.name != name:
        return None
    return Identity(user.name, user.role, user.id)  # type: ignore[arg-type]
