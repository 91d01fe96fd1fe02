"""`healthloop config suggest`: propose `scoring.events`, `milestones` and `journeys` from stored history.

Reads only: the event names and how accounts used them (daily rollups, first-seen events), the
accounts' sign-up times and the stored renewals. The rules behind each key are in `suggest_events`
and `suggest_milestones` (and docs/configuration.md); the YAML is written by `suggest_yaml`. The
same database gives the same proposal: everything is judged as of the last stored day, not today.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from connector.measure.event_classes import classify
from connector.measure.event_usage import UsageHistory, load_usage
from connector.measure.suggest_events import core_feature, key_features, name_lists, retention
from connector.measure.suggest_milestones import journey, milestones
from connector.measure.suggestion import MIN_ACCOUNTS, Suggested, Suggestion
from scoring.rules import ScoringRules

EVENT_KEYS = (
    "meaningful", "ignored", "logins", "signups", "key_features", "core_feature", "onboarding_completed",
    "setup_completed",
)  # fmt: skip
"""`scoring.events` keys in the order `scoring/rules.py` declares them."""


def suggest_config(session: Session, rules: ScoringRules) -> Suggestion:
    """The proposal for the stored history; `rules` (the live config) sets the windows it judges by."""
    return build_suggestion(load_usage(session, rules.signals.engagement_window_days), rules)


def build_suggestion(history: UsageHistory, rules: ScoringRules) -> Suggestion:
    """The proposal for a loaded history (pure)."""
    defaults = ScoringRules()
    accounts = len(history.accounts)
    names = {event for usage in history.accounts.values() for event in usage.event_days}
    facts: dict[str, object] = {
        "accounts": accounts,
        "first_day": history.first_day.isoformat() if history.first_day else None,
        "last_day": history.last_day.isoformat() if history.last_day else None,
        "event_names": len(names),
    }
    if accounts < MIN_ACCOUNTS or not names:
        why = (
            f"only {accounts} account{'' if accounts == 1 else 's'} with stored activity (need {MIN_ACCOUNTS})"
            if names
            else "no track events stored"
        )
        return Suggestion(
            (f"not enough data to suggest anything: {why}; the defaults stay (shown commented out)",),
            tuple(Suggested(key, None, why) for key in EVENT_KEYS),
            Suggested("milestones", None, why),
            Suggested("journeys", None, why),
            {**facts, "enough_data": False},
        )
    classes = classify(history)
    kept = retention(history, classes, rules.alerts.inactive_days)
    lists = name_lists(history, classes)
    lists["key_features"] = key_features(history, classes)
    lists["core_feature"] = core_feature(history, classes, kept)
    suggested_milestones, arrival = milestones(history, classes, kept, defaults)
    journeys = journey(history, classes, kept, suggested_milestones, arrival, defaults)
    summary = (
        f"data: {accounts} accounts with stored activity, {history.first_day} .. {history.last_day}; "
        f"{len(names)} track event names",
        kept.describe(),
    )
    facts |= {
        "enough_data": True,
        "retained": len(kept.retained),
        "won": kept.won,
        "active_without_outcome": kept.active,
        "lost": len(kept.lost),
        "inactive": len(kept.inactive),
        "younger_than_settle_days": kept.young,
    }
    return Suggestion(summary, tuple(lists[key] for key in EVENT_KEYS), suggested_milestones, journeys, facts)
