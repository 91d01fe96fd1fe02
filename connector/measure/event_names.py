"""What an event's name says it is: not use of the product, a login, a sign-up, setup, onboarding done.

`config suggest` reads names first and data second: these rules come from what the words mean
(Segment's spec names and their everyday variants), never from any one customer's data. Names
are compared case-insensitively after splitting camelCase and `snake_case` / `kebab-case` into
words, so `userLoggedIn`, `user_logged_in` and `User Logged In` read the same.
"""

from __future__ import annotations

import re
from enum import StrEnum


class NameRole(StrEnum):
    """The one role a name gives an event (the first rule that matches wins, in this order)."""

    NON_USE = "non_use"
    LOGIN = "login"
    SIGNUP = "signup"
    ONBOARDING_DONE = "onboarding_done"
    SETUP_DONE = "setup_done"
    SETUP_STEP = "setup_step"
    OTHER = "other"


NON_USE_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a sign-out", re.compile(r"\b(signed|sign|logged|log) ?out\b|\bsession (ended|expired|timed out|timeout)\b")),
    (
        "an email-channel event",
        re.compile(r"\bemails? (bounced|delivered|opened|dropped|marked as spam|link clicked)\b|\bunsubscribed\b"),
    ),
    ("a push-channel event", re.compile(r"\bpush notifications? (received|bounced)\b")),
    ("an app lifecycle event", re.compile(r"\bapplication (backgrounded|crashed|uninstalled)\b")),
    ("a background signal", re.compile(r"\b(heartbeat|keep ?alive)\b")),
    (
        "an ending",
        re.compile(r"\b(account|workspace|subscription|trial) (deleted|cancell?ed|ended|expired)\b"),
    ),
)
"""Names that are plainly not someone using the product, with the reason shown to the admin."""

NOT_DONE = re.compile(
    r"\b(fail\w*|error\w*|denied|attempt\w*|start\w*|begun|viewed|shown|skipped|abandoned|dismissed|page|screen|"
    r"modal|opened|clicked|reminder\w*|incomplete)\b"
)
"""Words that make a login / sign-up / setup name something other than the thing done ("Login Failed",
"Setup Page Viewed", "Signup Started")."""

LOGIN = re.compile(r"\b(log ?in|logged in|sign ?in|signed in)\b")
SIGNUP = re.compile(r"\b(sign ?up|signed up|registered|registration (completed|complete|finished)|account created)\b")
ONBOARDING_DONE = re.compile(
    r"\bonboarding (completed|complete|finished|done)\b|\bcompleted onboarding\b|\bonboarded\b"
)
SETUP_DONE = re.compile(r"\bset ?up (completed|complete|finished|done)\b|\bcompleted set ?up\b")
SETUP_STEP = re.compile(r"\bset ?up\b|\b(connected|installed|configured|integrated)\b")


def words(name: str) -> str:
    """`userLoggedIn` / `user_logged_in` / `User  Logged In` -> `user logged in`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return " ".join(re.sub(r"[_\-.:/]+", " ", spaced).lower().split())


def non_use_reason(name: str) -> str | None:
    """Why the name says this event is not use of the product, or None."""
    text = words(name)
    return next((reason for reason, pattern in NON_USE_REASONS if pattern.search(text)), None)


def name_role(name: str) -> NameRole:
    """The role the event's name gives it."""
    if non_use_reason(name) is not None:
        return NameRole.NON_USE
    text = words(name)
    if NOT_DONE.search(text):
        return NameRole.OTHER
    for role, pattern in (
        (NameRole.LOGIN, LOGIN),
        (NameRole.SIGNUP, SIGNUP),
        (NameRole.ONBOARDING_DONE, ONBOARDING_DONE),
        (NameRole.SETUP_DONE, SETUP_DONE),
        (NameRole.SETUP_STEP, SETUP_STEP),
    ):
        if pattern.search(text):
            return role
    return NameRole.OTHER
