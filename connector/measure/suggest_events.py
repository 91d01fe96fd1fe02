"""`config suggest`, the events: which are use, which are noise, what the names say, key features, the core feature.

Pure functions of a loaded `UsageHistory`. The rules, each chosen from what the word means:

- **Not use, by name**: sign-outs, email and push channel events, app backgrounded/crashed/uninstalled,
  heartbeats, endings (`event_names.NON_USE_REASONS`).
- **Not use, by data (background)**: fired by >= 90% of accounts *and* on >= 80% of the days on which its
  account did nothing else (no other track event, no page view), pooled over those accounts, with at least
  20 such quiet days to judge by. Use happens when people use the product; an event that shows up as
  reliably when nothing else happens is the system talking. Two background events that always fire
  together hide each other from this rule: list them under `ignored` by hand.
- **Meaningful**: every other track event.
- **Logins, sign-ups, onboarding done, setup done**: by name (`event_names`); setup prefers names that say
  setup is complete, else every setup step (any one marks setup done).
- **Key features**: used again (median >= 2 days per account that used it), not a login/sign-up/setup-done/
  onboarding-done name, and used in 10%-90% of the account-windows (the Engagement window, 28 days by
  default) that had any use: the band where using it or not tells active accounts apart.
- **Core feature**: among those used again that are not setup, the one reached by the most retained
  accounts; when >= 10 accounts were lost or churned, the one with the largest gap between retained and
  lost accounts' reach (among those at least half the retained accounts used).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from connector.measure.event_names import NameRole, name_role, non_use_reason
from connector.measure.event_usage import UsageHistory
from connector.measure.suggestion import (
    BACKGROUND_QUIET_SHARE,
    BACKGROUND_REACH,
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
class EventClasses:
    """Every stored track event, what its name says, and whether it is use."""

    events: tuple[str, ...]
    reach: dict[str, int]
    non_use: dict[str, str]
    """Event -> why it is not use (its name, or the background rule's numbers)."""
    roles: dict[str, NameRole]
    quiet_days: int
    """Pooled account-days with nothing but a single event (the background rule's evidence)."""

    @property
    def use(self) -> tuple[str, ...]:
        return tuple(event for event in self.events if event not in self.non_use)


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


def classify(history: UsageHistory) -> EventClasses:
    """Every track event's reach, role and, when it is not use, why."""
    reach: dict[str, int] = {}
    alone: dict[str, int] = {}
    quiet: dict[str, int] = {}
    quiet_total = 0
    for usage in history.accounts.values():
        assert history.last_day is not None and usage.first_active is not None
        span = (history.last_day - usage.first_active).days + 1
        quiet_total += span - usage.busy_days
        for event in usage.event_days:
            reach[event] = reach.get(event, 0) + 1
            alone[event] = alone.get(event, 0) + usage.alone_days[event]
            quiet[event] = quiet.get(event, 0) + span - usage.busy_days + usage.alone_days[event]
    events = tuple(sorted(reach))
    accounts = len(history.accounts)
    non_use: dict[str, str] = {}
    for event in events:
        reason = non_use_reason(event)
        if reason is not None:
            non_use[event] = f"not use: {reason} (by its name); {share(reach[event], accounts)} accounts"
        elif (
            reach[event] >= BACKGROUND_REACH * accounts
            and quiet[event] >= MIN_QUIET_DAYS
            and alone[event] >= BACKGROUND_QUIET_SHARE * quiet[event]
        ):
            non_use[event] = (
                f"not use: background, fired by {share(reach[event], accounts)} accounts and on "
                f"{alone[event] / quiet[event]:.0%} of the {quiet[event]:,} days they did nothing else"
            )
    return EventClasses(events, reach, non_use, {event: name_role(event) for event in events}, quiet_total)


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

    def named(role: NameRole, label: str, what: str) -> Suggested:
        events = by_reach([e for e in classes.events if classes.roles[e] is role])
        reason = "" if events else f"no stored event name says {what}"
        return Suggested(label, tuple(pick(e, f"{what} by its name; ") for e in events), reason)

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
        () if classes.quiet_days >= MIN_QUIET_DAYS else (
            f"the background rule could not judge: only {classes.quiet_days} quiet account-days stored",),
    )  # fmt: skip
    setup_done = [e for e in classes.events if classes.roles[e] is NameRole.SETUP_DONE]
    setup_role = NameRole.SETUP_DONE if setup_done else NameRole.SETUP_STEP
    setup = named(setup_role, "setup_completed", "setup is done" if setup_done else "a setup step")
    if not setup.picks:
        setup = Suggested("setup_completed", (), "no stored event name says setup: an empty list keeps "
                          "`setup_incomplete` from firing for every account", setup.notes)  # fmt: skip
    onboarding = named(NameRole.ONBOARDING_DONE, "onboarding_completed", "onboarding is complete")
    if not onboarding.picks:
        onboarding = Suggested("onboarding_completed", (), onboarding.reason + ": `core_feature_unused` stays quiet")
    return {
        "meaningful": meaningful,
        "ignored": ignored,
        "logins": named(NameRole.LOGIN, "logins", "a login"),
        "signups": named(NameRole.SIGNUP, "signups", "a sign-up"),
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
        best = min(candidates, key=lambda e: (-retained[e], -classes.reach[e], e))
        evidence = f"used by {share(retained[best], kept_n)} retained accounts, the most of any feature"
        numbers = {"retained": retained[best], "of_retained": kept_n}
    return Suggested("core_feature", (Pick(best, evidence, numbers),))
