"""`config suggest`, the events: what the names say, who stayed, key features, the core feature.

Pure functions of a loaded `UsageHistory`. The rules, each chosen from what the word means:

- **Meaningful / ignored**: every track event but those `event_classes` finds are not use (by name, or
  background by data).
- **Logins, sign-ups, onboarding done, setup done**: by name (`event_names`); setup lists the names that say
  setup is complete and the setup steps (any one marks setup done, as in the defaults).
- **Key features**: used again (median >= 2 days per account that used it), not a login/sign-up/setup-done/
  onboarding-done name, and used in 10%-90% of the account-windows (the Engagement window, 28 days by
  default) that had any use: the band where using it or not tells active accounts apart.
- **Core feature**: among those used again that are not setup, the one reached by the most retained
  accounts (on a tie, the one the fewest accounts that did not stay used: a feature everyone touches,
  staying or leaving, never tells a CSM anything); when >= 10 accounts were lost or churned, the one with
  the largest gap between retained and lost accounts' reach (among those at least half the retained
  accounts used).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from connector.measure.event_classes import EventClasses
from connector.measure.event_names import NameRole
from connector.measure.event_usage import UsageHistory
from connector.measure.suggestion import (
    FEATURE_BAND,
    MIN_ACCOUNTS,
    MIN_LOST,
    MIN_QUIET_DAYS,
    REPEAT_MEDIAN_DAYS,
    SETTLE_DAYS,
    Pick,
    Suggested,
    share,
)

NOT_FEATURES = (NameRole.LOGIN, NameRole.SIGNUP, NameRole.ONBOARDING_DONE, NameRole.SETUP_DONE)


@dataclass(frozen=True)
class Retention:
    """Accounts at least `SETTLE_DAYS` old: who stayed, and the evidence used for each."""

    retained: frozenset[str]
    lost: frozenset[str]
    """Latest closed renewal lost or churned."""
    inactive: frozenset[str]
    """No closed renewal and no use in the last `inactive_days`."""
    won: int
    active: int
    young: int
    inactive_days: int

    @property
    def not_retained(self) -> frozenset[str]:
        return self.lost | self.inactive

    def describe(self) -> str:
        return (
            f"retained: {len(self.retained)} accounts at least {SETTLE_DAYS} days old ({self.won} won their latest "
            f"renewal, {self.active} have no closed renewal and used the product in the last {self.inactive_days} "
            f"days); not retained: {len(self.lost)} lost or churned, {len(self.inactive)} without a renewal and "
            f"inactive {self.inactive_days}+ days; {self.young} younger accounts not judged"
        )


def retention(history: UsageHistory, classes: EventClasses, inactive_days: int) -> Retention:
    """Judge every account at least `SETTLE_DAYS` old: won renewal, lost renewal, else recent use."""
    assert history.last_day is not None
    use = set(classes.use)
    retained, lost, inactive = set(), set(), set()
    won = active = young = 0
    for account_id, usage in history.accounts.items():
        if history.age(usage) < SETTLE_DAYS:
            young += 1
        elif usage.renewal_won is True:
            retained.add(account_id)
            won += 1
        elif usage.renewal_won is False:
            lost.add(account_id)
        else:
            days = [day for event, day in usage.last_seen.items() if event in use]
            last = max([*days, *([usage.last_page_day] if usage.last_page_day else [])], default=None)
            if last is not None and (history.last_day - last).days < inactive_days:
                retained.add(account_id)
                active += 1
            else:
                inactive.add(account_id)
    return Retention(frozenset(retained), frozenset(lost), frozenset(inactive), won, active, young, inactive_days)


def _reach(history: UsageHistory, event: str, accounts: frozenset[str]) -> int:
    return sum(1 for account_id in accounts if event in history.accounts[account_id].event_days)


def _used_again(history: UsageHistory, event: str) -> bool:
    days = [u.event_days[event] for u in history.accounts.values() if event in u.event_days]
    return bool(days) and statistics.median(days) >= REPEAT_MEDIAN_DAYS


def name_lists(history: UsageHistory, classes: EventClasses) -> dict[str, Suggested]:
    """meaningful, ignored, logins, signups, onboarding_completed, setup_completed."""
    accounts = len(history.accounts)

    def pick(event: str, what: str) -> Pick:
        days = sum(u.event_days[event] for u in history.accounts.values())
        evidence = f"{what}{share(classes.reach[event], accounts)} accounts, on {days:,} account-days"
        return Pick(event, evidence, {"accounts": classes.reach[event], "of": accounts, "account_days": days})

    def by_reach(events: list[str]) -> list[str]:
        return sorted(events, key=lambda event: (-classes.reach[event], event))

    def named(label: str, roles: dict[NameRole, str]) -> Suggested:
        events = by_reach([e for e in classes.events if classes.roles[e] in roles])
        picks = tuple(pick(e, f"{roles[classes.roles[e]]} by its name; ") for e in events)
        return Suggested(label, picks, "" if events else f"no stored event name says {' or '.join(roles.values())}")

    use = by_reach(list(classes.use))
    meaningful = Suggested(
        "meaningful",
        tuple(pick(event, "") for event in use) if use else None,
        "" if use else "every stored track event looks like non-use; nothing to list",
        ("only these track events count as activity (page and screen views then do not); `meaningful: []` "
         "counts every track, page and screen call except `ignored` instead",),
    )  # fmt: skip
    ignored = Suggested(
        "ignored",
        tuple(Pick(e, classes.non_use[e], {"accounts": classes.reach[e]}) for e in by_reach(list(classes.non_use))),
        "no stored event looks like non-use",
        () if not classes.unjudged else (
            f"fired by nearly every account, but on too few otherwise quiet days (need {MIN_QUIET_DAYS}) to tell "
            "whether they are background: " + ", ".join(classes.unjudged),),
    )  # fmt: skip
    setup = named("setup_completed", {NameRole.SETUP_DONE: "setup is done", NameRole.SETUP_STEP: "a setup step"})
    if not setup.picks:
        setup = Suggested("setup_completed", (), "no stored event name says setup: an empty list keeps "
                          "`setup_incomplete` from firing for every account", setup.notes)  # fmt: skip
    onboarding = named("onboarding_completed", {NameRole.ONBOARDING_DONE: "onboarding is complete"})
    if not onboarding.picks:
        onboarding = Suggested("onboarding_completed", (), onboarding.reason + ": `core_feature_unused` stays quiet")
    return {
        "meaningful": meaningful,
        "ignored": ignored,
        "logins": named("logins", {NameRole.LOGIN: "a login"}),
        "signups": named("signups", {NameRole.SIGNUP: "a sign-up"}),
        "onboarding_completed": onboarding,
        "setup_completed": setup,
    }


def key_features(history: UsageHistory, classes: EventClasses) -> Suggested:
    """Features used again, in the reach band of active account-windows."""
    use = set(classes.use)
    windows = 0
    in_windows: dict[str, int] = {}
    for usage in history.accounts.values():
        for window in history.complete_windows(usage):
            seen = usage.window_events.get(window, set()) & use
            if not seen and window not in usage.page_windows:
                continue
            windows += 1
            for event in seen:
                in_windows[event] = in_windows.get(event, 0) + 1
    length = history.window_days
    if windows < MIN_ACCOUNTS:
        return Suggested("key_features", None, f"only {windows} active account-windows of {length} days stored "
                         f"(need {MIN_ACCOUNTS}): too little history to judge reach")  # fmt: skip
    picks, outside = [], []
    low, high = FEATURE_BAND
    for event in sorted(use, key=lambda e: (-in_windows.get(e, 0), e)):
        if classes.roles[event] in NOT_FEATURES:
            continue
        used = in_windows.get(event, 0)
        if not _used_again(history, event):
            outside.append(f"{event} (used on one day by most accounts that used it)")
        elif used < low * windows or used > high * windows:
            outside.append(f"{event} ({used / windows:.0%})")
        else:
            evidence = (f"in {used / windows:.0%} of {windows:,} active account-windows ({length} days); "
                        f"{share(classes.reach[event], len(history.accounts))} accounts ever")  # fmt: skip
            picks.append(Pick(event, evidence, {"windows": used, "of_windows": windows,
                                                "accounts": classes.reach[event]}))  # fmt: skip
    band = f"outside the {low:.0%}-{high:.0%} band of active account-windows: "
    notes = (band + "; ".join(outside),) if outside else ()
    reason = "" if picks else "no feature is used by some active accounts and not by others"
    return Suggested("key_features", tuple(picks), reason, notes)


def core_feature(history: UsageHistory, classes: EventClasses, kept: Retention) -> Suggested:
    """The feature retained accounts reach most (or that tells them from lost ones, with outcomes)."""
    if len(kept.retained) < MIN_ACCOUNTS:
        return Suggested("core_feature", None, f"only {len(kept.retained)} retained accounts at least {SETTLE_DAYS} "
                         f"days old (need {MIN_ACCOUNTS})")  # fmt: skip
    candidates = [
        event for event in classes.use
        if classes.roles[event] in (NameRole.OTHER,) and _used_again(history, event)
    ]  # fmt: skip
    if not candidates:
        return Suggested("core_feature", (), "no feature outside login, sign-up and setup is used again")
    retained = {event: _reach(history, event, kept.retained) for event in candidates}
    kept_n, lost_n = len(kept.retained), len(kept.lost)
    if lost_n >= MIN_LOST:
        lost = {event: _reach(history, event, kept.lost) for event in candidates}
        wide = [event for event in candidates if retained[event] * 2 >= kept_n] or candidates
        best = min(wide, key=lambda e: (lost[e] / lost_n - retained[e] / kept_n, -retained[e], e))
        evidence = (f"used by {share(retained[best], kept_n)} retained accounts vs {share(lost[best], lost_n)} lost "
                    "or churned: the widest gap of any feature")  # fmt: skip
        numbers = {"retained": retained[best], "of_retained": kept_n, "lost": lost[best], "of_lost": lost_n}
    else:
        others = {event: _reach(history, event, kept.not_retained) for event in candidates}
        best = min(candidates, key=lambda e: (-retained[e], others[e], -classes.reach[e], e))
        tied = sum(1 for e in candidates if retained[e] == retained[best]) - 1
        left = share(others[best], len(kept.not_retained))
        evidence = (
            f"used by {share(retained[best], kept_n)} retained accounts (the most of any feature) and {left} not "
            "retained" + (f" (tied with {tied} more: fewest not retained first, then most accounts)" if tied else "")
        )
        numbers = {"retained": retained[best], "of_retained": kept_n, "not_retained": others[best],
                   "of_not_retained": len(kept.not_retained)}  # fmt: skip
    return Suggested("core_feature", (Pick(best, evidence, numbers),))
