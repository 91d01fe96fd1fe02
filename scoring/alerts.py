"""Alert lifecycle: a true trigger opens one alert, stays open while true, clears, then cools down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scoring.model import PriorState, TriggerHit
from scoring.rules import TRIGGER_IDS, ScoringRules


def cooling_down(trigger_id: str, prior: PriorState, as_of: date, rules: ScoringRules) -> bool:
    """True when the trigger cleared fewer than `triggers.cooldown_days` days before `as_of`."""
    cleared = prior.last_cleared.get(trigger_id)
    return cleared is not None and (as_of - cleared).days < rules.triggers.cooldown_days


def reconcile(
    hits: Sequence[TriggerHit], prior: PriorState, as_of: date, rules: ScoringRules
) -> tuple[tuple[TriggerHit, ...], tuple[TriggerHit, ...], tuple[str, ...]]:
    """(fired, still_open, cleared) for the triggers true now (`hits`) against the open alerts.

    - fired: true now, not open, and not cooling down (it cleared >= cooldown_days ago, or never);
    - still_open: true now and already open (no new alert, no new intervention);
    - cleared: open, and no longer true (including a trigger since disabled), in `TRIGGER_IDS` order.
    A hit that is cooling down is in none of them: it is true but neither open nor new. Once the
    cool-down has passed and it is still true, it fires on that day.
    """
    fired: list[TriggerHit] = []
    still_open: list[TriggerHit] = []
    for hit in hits:
        if hit.trigger_id in prior.open_alerts:
            still_open.append(hit)
        elif not cooling_down(hit.trigger_id, prior, as_of, rules):
            fired.append(hit)
    true_now = {hit.trigger_id for hit in hits}
    order = {trigger_id: position for position, trigger_id in enumerate(TRIGGER_IDS)}
    cleared = sorted(
        (trigger_id for trigger_id in prior.open_alerts if trigger_id not in true_now),
        key=lambda trigger_id: (order.get(trigger_id, len(order)), trigger_id),
    )
    return tuple(fired), tuple(still_open), tuple(cleared)
