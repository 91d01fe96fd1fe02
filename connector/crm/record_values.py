"""What healthloop writes into a CRM record's fields, as the strings both CRMs transport (None clears a field),
in the formats the CRM cards read (docs/crm-cards.md), and which of them changed. Pure functions of stored rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from connector.crm.account_facts import HISTORY_DAYS, AccountFacts
from crm_adapters.base import FieldMapping
from scoring.churn import drivers_in_words

SIGNALS = ("activity", "engagement", "milestones", "recency")
ALWAYS_WITH_CHANGES = {"scored_at", "score_history"}
"""Values written only together with a real change, so a daily rescore that changes nothing costs no call
(`score_history` moves by a day every day)."""
TEXT_LIMIT = 500
"""One-line text values are cut to this many characters."""


@dataclass(frozen=True)
class NextAction:
    """The account's open play as the card shows it: what, who, by when."""

    text: str
    owner: str | None
    due_at: datetime | None


def _number(value: Any) -> str | None:
    return None if value is None else str(round(float(value)))


def _money(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _percent(probability: float | None) -> str | None:
    """A probability as a percentage with one decimal (`0.1234` -> `12.3`, `0.5` -> `50`)."""
    if probability is None:
        return None
    percent = round(float(probability) * 100, 1)
    return str(int(percent)) if percent.is_integer() else f"{percent:.1f}"


def iso_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def one_line(text: str | None) -> str | None:
    if not text:
        return None
    line = text.splitlines()[0].strip()
    return line[:TEXT_LIMIT] or None


def score_history(scores: dict[date, int], end: date) -> str:
    """`<first ISO date>:<v1>,<v2>,...`: one slot per day for the 30 days ending on `end`, empty = no score."""
    first = end - timedelta(days=HISTORY_DAYS - 1)
    slots = [scores.get(first + timedelta(days=n)) for n in range(HISTORY_DAYS)]
    return f"{first.isoformat()}:" + ",".join("" if value is None else str(value) for value in slots)


def signal_notes(signals: dict[str, Any]) -> str | None:
    """`activity: ...` lines, one per signal that has an explanation."""
    lines = []
    for name in SIGNALS:
        explanation = one_line((signals.get(name) or {}).get("explanation"))
        if explanation:
            lines.append(f"{name}: {explanation}")
    return "\n".join(lines) or None


def features_adopted(facts: AccountFacts) -> str | None:
    """ "3 of 5: Report Created, Dashboard Viewed, Export Completed"; None when no key features are configured."""
    if facts.features is None or not facts.key_features:
        return None
    used = len(facts.features)
    return f"{used} of {facts.key_features}" + (": " + ", ".join(facts.features) if used else "")


def account_url(console_url: str | None, account_id: str) -> str | None:
    """The account's page in healthloop's console (`HEALTHLOOP_CONSOLE_URL`); None when no public URL is set."""
    return f"{console_url.rstrip('/')}/console/accounts/{quote(account_id, safe='')}" if console_url else None


def health_values(
    row: Any,
    open_triggers: Iterable[str],
    facts: AccountFacts | None = None,
    action: NextAction | None = None,
    console_url: str | None = None,
    churn_model_in_use: bool = False,
) -> dict[str, str | None]:
    """Our values for one account's latest score row, as strings (None clears the field). The row's churn
    probability is written only while a learned model is in use, so a retired model's numbers are cleared."""
    signals = row.signals or {}
    churn = row.churn_probability if churn_model_in_use else None
    triggers = sorted(set(open_triggers))
    facts = facts or AccountFacts()
    values: dict[str, str | None] = {
        "score": str(row.score),
        "tier": row.tier,
        "trend": row.trend_direction,
        "trend_delta": None if row.trend_delta is None else str(row.trend_delta),
        "scored_at": iso_time(row.scored_at),
        "open_triggers": ";".join(triggers) if triggers else None,
        "reason": one_line(row.reason),
        "score_history": score_history(facts.scores | {row.day: row.score}, row.day),
        "signal_notes": signal_notes(signals),
        "last_activity_at": iso_time(facts.last_activity_at) if facts.last_activity_at else None,
        "active_users": str(facts.active_users),
        "seats": None if facts.seats is None else str(facts.seats),
        "features_adopted": features_adopted(facts),
        "open_tickets": str(facts.open_tickets),
        "next_action": one_line(action.text) if action else None,
        "next_action_owner": action.owner if action else None,
        "next_action_due": iso_time(action.due_at) if action and action.due_at else None,
        "renewal_date": facts.renewal_on.isoformat() if facts.renewal_on else None,
        "mrr": _money(facts.mrr),
        "churn_probability": _percent(churn),
        "churn_drivers": one_line(drivers_in_words(row.churn_drivers or {})) if churn is not None else None,
        "account_url": account_url(console_url, row.account_id),
    }
    for name in SIGNALS:
        values[name] = _number((signals.get(name) or {}).get("value"))
    return values


def diff(
    mapping: FieldMapping, values: dict[str, str | None], synced: dict[str, Any], skip: frozenset[str] = frozenset()
) -> dict[str, str | None]:
    """The fields whose value differs from what the record last got (all of them on a first sync); values in
    `skip` are left as the record has them (this sync cannot tell what they should be)."""
    first = not synced
    changed: dict[str, str | None] = {}
    for spec in mapping.fields:
        if spec.source in ALWAYS_WITH_CHANGES or spec.source in skip:
            continue
        new = values.get(spec.source)
        if first or synced.get(spec.name) != new:
            changed[spec.name] = new
    if changed:
        for spec in mapping.fields:
            if spec.source in ALWAYS_WITH_CHANGES and spec.source not in skip:
                changed[spec.name] = values.get(spec.source)
    return changed


def story_of(row: Any, open_triggers: Iterable[str], idle_seats: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a tier-change note compares: tier, score, signals, why, the open triggers, and idle seats."""
    signals = row.signals or {}
    return {
        "tier": row.tier,
        "score": row.score,
        "day": row.day.isoformat(),
        "signals": {name: (signals.get(name) or {}).get("value") for name in SIGNALS},
        "reason": one_line(row.reason),
        "triggers": sorted(set(open_triggers)),
        "idle_seats": idle_seats,
    }
