"""Words a person reads: trigger names, channels, due times, and each trigger's evidence as sentences.

One table of trigger labels for everything a CSM or an admin reads (tasks, notes, the CRM's
multi-select options, the demo, `accounts show`); the CRM cards carry the same words
(`crm_cards/*/healthView.js`, `TRIGGER_LABELS`), and a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scoring.score import SIGNAL_LABELS

TRIGGER_LABELS = {
    "low_score": "Low health score",
    "score_drop": "Score dropped fast",
    "inactive": "No recent activity",
    "stuck_in_journey": "Stuck in onboarding",
    "health_drop": "Health dropped",
    "inactivity_winback": "Gone quiet (win-back)",
    "login_decline": "Logins declining",
    "core_feature_unused": "Core feature never used",
    "seats_inactive": "Most seats idle",
    "setup_incomplete": "Setup not finished",
    "ticket_cluster": "Repeated support tickets",
}
SIGNAL_WORDS = SIGNAL_LABELS
CHANNEL_WORDS = {
    "in_app": "an in-app message",
    "email": "an email",
    "email_sequence": "an email sequence",
    "slack": "a Slack alert to the team",
    "call": "a phone call",
    "executive_email": "an email from an executive",
    "task": "this task",
}
PRIORITY_WORDS = {"high": "high", "medium": "medium", "low": "low"}


def trigger_label(trigger_id: str) -> str:
    """The trigger in words ("Most seats idle"); an unknown id humanised ("custom_thing" -> "Custom thing")."""
    known = TRIGGER_LABELS.get(trigger_id)
    if known:
        return known
    words = trigger_id.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def trigger_labels(trigger_ids: Sequence[str]) -> str:
    """ "Low health score, Most seats idle"."""
    return ", ".join(trigger_label(t) for t in trigger_ids)


def due_words(hours: float) -> str:
    """'today', 'within 24 hours', 'within 3 days'."""
    if hours <= 0:
        return "today"
    if hours >= 48 and hours % 24 == 0:
        return f"within {hours / 24:g} days"
    return f"within {hours:g} hours"


def joined(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def number(value: Any) -> str:
    """12 -> '12', 12.5 -> '12.5', 1020 -> '1,020'."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    rounded = round(float(value), 1)
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.1f}"


# --- evidence: one function per trigger, numbers a person reads ----------------------------------


def _low_score(e: Mapping[str, Any]) -> list[str]:
    lines = [f"Health score {number(e['score'])} of 100 (the alert is below {number(e['below'])})"]
    if e.get("weakest_signal") is not None and e.get("weakest_value") is not None:
        name = SIGNAL_WORDS.get(str(e["weakest_signal"]), str(e["weakest_signal"]))
        lines.append(f"Weakest signal: {name} {number(round(float(e['weakest_value'])))} of 100")
    return lines


def _score_drop(e: Mapping[str, Any]) -> list[str]:
    return [f"Score {e['earlier']} → {e['score']}: down {plural(e['drop'], 'point')} in {e['days']} days"]


def _last_active(e: Mapping[str, Any]) -> str:
    last = e.get("last_active_on")
    return f"Last meaningful activity on {last}" if last else "No meaningful activity since it started"


def _inactive(e: Mapping[str, Any]) -> list[str]:
    days, threshold = e["days_inactive"], e["threshold"]
    return [f"{plural(days, 'day')} without meaningful activity (the alert is at {threshold})", _last_active(e)]


def _stuck(e: Mapping[str, Any]) -> list[str]:
    lines = []
    for journey in e["journeys"]:
        lines.append(
            f"{str(journey['journey']).capitalize()} journey started {journey['started_on']}; no progress for "
            f"{plural(journey['days_without_progress'], 'day')} (since {journey['last_progress_on']})"
        )
        if journey.get("done_steps"):
            lines.append("Done: " + ", ".join(journey["done_steps"]))
        lines.append("Still missing: " + ", ".join(journey["missing_steps"]))
    return lines


def _health_drop(e: Mapping[str, Any]) -> list[str]:
    return [
        f"Score {e['earlier']} → {e['score']} in {e['days']} days: down {plural(e['drop'], 'point')}, "
        f"now below {e['below']}"
    ]


def _winback(e: Mapping[str, Any]) -> list[str]:
    return [
        f"{plural(e['days_inactive'], 'day')} quiet (the win-back window is {e['min_days']} to {e['max_days']} days)",
        _last_active(e),
    ]


def _login_decline(e: Mapping[str, Any]) -> list[str]:
    window = e["window_days"]
    return [
        f"Logins: {e['recent_logins']} in the last {window} days, {e['earlier_logins']} in the {window} days before "
        f"(down {number(e['drop_pct'])}%)"
    ]


def _core_feature(e: Mapping[str, Any]) -> list[str]:
    return [
        f"Onboarding completed on {e['onboarding_completed_on']} ({plural(e['days_since_onboarding'], 'day')} ago)",
        f"{e['core_feature']}: never used",
    ]


def _seats(e: Mapping[str, Any]) -> list[str]:
    return [
        f"{e['idle_seats']} of {e['seats']} seats idle for {e['window_days']} days; "
        f"{plural(e['active_users'], 'active user')}"
    ]


def _setup(e: Mapping[str, Any]) -> list[str]:
    return [
        f"Signed up on {e['signed_up_on']}, {plural(e['days_since_signup'], 'day')} ago; setup is expected within "
        f"{plural(e['grace_days'], 'day')}"
    ]


def _tickets(e: Mapping[str, Any]) -> list[str]:
    return [f"{plural(i['tickets'], 'ticket')} about “{i['issue']}” in {e['window_days']} days" for i in e["issues"]]


EVIDENCE: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "low_score": _low_score,
    "score_drop": _score_drop,
    "inactive": _inactive,
    "stuck_in_journey": _stuck,
    "health_drop": _health_drop,
    "inactivity_winback": _winback,
    "login_decline": _login_decline,
    "core_feature_unused": _core_feature,
    "seats_inactive": _seats,
    "setup_incomplete": _setup,
    "ticket_cluster": _tickets,
}


def evidence_lines(trigger_id: str, evidence: Mapping[str, Any]) -> list[str]:
    """A trigger's evidence as short sentences of numbers ("4 of 5 seats idle for 14 days; 1 active user").

    Evidence stored by an older version (other keys) falls back to its keys and values in words."""
    shape = EVIDENCE.get(trigger_id)
    if shape is not None:
        try:
            return shape(evidence)
        except (KeyError, TypeError, ValueError):
            pass
    return [f"{str(key).replace('_', ' ').capitalize()}: {_plain(value)}" for key, value in evidence.items()]


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{str(k).replace('_', ' ')} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value) or "none"
    return "none" if value is None else number(value)
