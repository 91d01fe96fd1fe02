"""Learn: how early and how reliably each signal saw risk coming.

- **Reactive-to-proactive ratio**: for accounts entering At Risk or worse, was the first signal the
  customer's (a ticket or an escalation) or ours (a behavioural trigger)?
- **Indicator accuracy**: for each trigger and for the score, precision, recall and lead time
  against closed renewals (a lost renewal is the positive class).
- **Score AUC** at 30/60/90 days before renewal (a lower score should mean riskier), with its 95%
  interval (`scoring.statistics`).

Inputs are flat facts the connector reads straight from SQL: score points per account
(`ScorePoint`), trigger firings (`TriggerFiring`), tickets (`AccountTicket`) and renewals
(`RenewalFact`, only closed ones are judged).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from scoring.outcomes import AccountTicket, Proportion, RenewalFact, ScorePoint, proportion
from scoring.rules import TRIGGER_IDS, TierBands
from scoring.statistics import auc as auc  # re-exported for older imports
from scoring.statistics import auc_estimate

SCORE = "score"
"""The indicator name of the health score itself (flagged while below `score_below`)."""
REACTIVE_TRIGGERS = frozenset({"ticket_cluster"})
"""Triggers built from tickets: the customer spoke first, so they count as reactive signals."""


@dataclass(frozen=True, slots=True)
class TriggerFiring:
    """A trigger that fired (opened) for an account on a day."""

    account_id: str
    trigger_id: str
    fired_on: date


# --- reactive vs proactive --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FirstSignal:
    """The first signal before one account entered At Risk or worse."""

    account_id: str
    entered_on: date
    kind: Literal["reactive", "proactive", "none"]
    signal_on: date | None
    source: str | None
    """`ticket`, `escalation` or the trigger id."""


@dataclass(frozen=True, slots=True)
class ReactiveRatio:
    """How many at-risk entries the customer announced before our triggers did."""

    first_signals: tuple[FirstSignal, ...]
    reactive: int
    proactive: int
    unsignalled: int
    """Entries with no signal of either kind in the lookback: in neither share."""
    reactive_share: Proportion
    """reactive / (reactive + proactive), Wilson 95% interval."""
    ratio: float | None
    """reactive / proactive (None when proactive is 0)."""


def risk_entries(
    histories: Mapping[str, Sequence[ScorePoint]], start: date, end: date, bands: TierBands
) -> dict[str, date]:
    """Account id -> the first day in [start, end] it entered At Risk or worse.

    Entering: a score point below `bands.monitor` whose previous point (if any) was at or above it,
    so an account already at risk before `start` is counted in the period it entered, not again.
    """
    entries: dict[str, date] = {}
    for account_id, points in histories.items():
        previous: int | None = None
        for point in sorted(points, key=lambda p: p.day):
            if point.day > end:
                break
            entered = point.score < bands.monitor and (previous is None or previous >= bands.monitor)
            if entered and point.day >= start:
                entries[account_id] = point.day
                break
            previous = point.score
    return entries


def reactive_ratio(
    histories: Mapping[str, Sequence[ScorePoint]],
    tickets: Iterable[AccountTicket],
    firings: Iterable[TriggerFiring],
    start: date,
    end: date,
    *,
    bands: TierBands | None = None,
    lookback_days: int = 30,
) -> ReactiveRatio:
    """Classify each entry (see `risk_entries`) by its earliest signal in [entered - lookback_days, entered].

    Reactive: a ticket or escalation opened, or a `REACTIVE_TRIGGERS` trigger fired. Proactive: any
    other trigger fired. On the same day reactive wins (we did not beat the customer to it).
    """
    entries = risk_entries(histories, start, end, bands or TierBands())
    signals: dict[str, list[tuple[date, int, str]]] = defaultdict(list)
    for ticket in tickets:
        signals[ticket.account_id].append((ticket.opened_on, 0, "escalation" if ticket.escalation else "ticket"))
    for firing in firings:
        rank = 0 if firing.trigger_id in REACTIVE_TRIGGERS else 1
        signals[firing.account_id].append((firing.fired_on, rank, firing.trigger_id))
    found = []
    for account_id, entered in sorted(entries.items()):
        since = entered - timedelta(days=lookback_days)
        window = sorted(s for s in signals[account_id] if since <= s[0] <= entered)
        if not window:
            found.append(FirstSignal(account_id, entered, "none", None, None))
            continue
        day, rank, source = window[0]
        found.append(FirstSignal(account_id, entered, "reactive" if rank == 0 else "proactive", day, source))
    reactive = sum(f.kind == "reactive" for f in found)
    proactive = sum(f.kind == "proactive" for f in found)
    return ReactiveRatio(
        first_signals=tuple(found),
        reactive=reactive,
        proactive=proactive,
        unsignalled=len(found) - reactive - proactive,
        reactive_share=proportion(reactive, reactive + proactive),
        ratio=reactive / proactive if proactive else None,
    )


# --- precision, recall, lead time -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorAccuracy:
    """How one indicator did against the closed renewals."""

    indicator: str
    renewals: int
    lost: int
    flagged: int
    true_positives: int
    precision: Proportion
    """Lost among the flagged renewals."""
    recall: Proportion
    """Flagged among the lost renewals."""
    lead_days: tuple[int, ...]
    """close_date - first flag day, for each flagged lost renewal."""
    median_lead_days: float | None


def _first_flags(
    renewals: Sequence[RenewalFact],
    histories: Mapping[str, Sequence[ScorePoint]],
    firings: Iterable[TriggerFiring],
    score_below: int,
    lookback_days: int,
) -> dict[str, list[date | None]]:
    """Indicator -> the first flag day in each renewal's window (None: not flagged), renewals in order."""
    fired: dict[str, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for firing in firings:
        fired[firing.trigger_id][firing.account_id].append(firing.fired_on)
    low: dict[str, list[date]] = {
        a: [p.day for p in points if p.score < score_below] for a, points in histories.items()
    }
    flags: dict[str, list[date | None]] = {}
    for indicator, days_by_account in [*fired.items(), (SCORE, low)]:
        flags[indicator] = []
        for renewal in renewals:
            since = renewal.close_date - timedelta(days=lookback_days)
            days = [d for d in days_by_account.get(renewal.account_id, ()) if since <= d < renewal.close_date]
            flags[indicator].append(min(days, default=None))
    return flags


def indicator_accuracy(
    renewals: Iterable[RenewalFact],
    histories: Mapping[str, Sequence[ScorePoint]],
    firings: Iterable[TriggerFiring],
    *,
    trigger_ids: Sequence[str] = TRIGGER_IDS,
    score_below: int = 60,
    lookback_days: int = 90,
) -> tuple[IndicatorAccuracy, ...]:
    """One row per trigger (`trigger_ids` first, then any other that fired, sorted) and last the score.

    Only closed renewals count (won True/False; lost = positive). A renewal is flagged by an
    indicator when it fired (the score: a point below `score_below`, the At Risk upper bound) on a
    day in [close_date - lookback_days, close_date). Precision = TP / flagged, recall = TP / lost,
    lead time = close_date - the first flag day in that window, over the true positives.
    """
    closed = [r for r in renewals if r.won is not None]
    firings = list(firings)
    flags = _first_flags(closed, histories, firings, score_below, lookback_days)
    names = list(dict.fromkeys([*trigger_ids, *sorted(flags.keys() - {SCORE} - set(trigger_ids)), SCORE]))
    lost = sum(r.won is False for r in closed)
    rows = []
    for name in names:
        firsts = flags.get(name, [None] * len(closed))
        leads = tuple(
            (r.close_date - first).days for r, first in zip(closed, firsts, strict=True) if first and r.won is False
        )
        flagged = sum(first is not None for first in firsts)
        rows.append(
            IndicatorAccuracy(
                indicator=name,
                renewals=len(closed),
                lost=lost,
                flagged=flagged,
                true_positives=len(leads),
                precision=proportion(len(leads), flagged),
                recall=proportion(len(leads), lost),
                lead_days=leads,
                median_lead_days=float(statistics.median(leads)) if leads else None,
            )
        )
    return tuple(rows)


# --- score AUC --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreAuc:
    """The score's AUC `days_before` renewal with its 95% interval, and the renewals it rests on.

    Renewals of one account are not independent: the interval counts accounts (Obuchowski's
    clustered DeLong, `scoring.statistics`) whenever an account has several renewals.
    """

    days_before: int
    auc: float | None
    low: float | None
    high: float | None
    n: int
    lost: int
    won: int
    accounts: int
    method: str
    small_sample: bool


def score_at(points: Sequence[ScorePoint], day: date, carry_days: int) -> int | None:
    """The latest score on a day in [day - carry_days, day], else None."""
    known = [p for p in points if day - timedelta(days=carry_days) <= p.day <= day]
    return max(known, key=lambda p: p.day).score if known else None


def score_auc(
    renewals: Iterable[RenewalFact],
    histories: Mapping[str, Sequence[ScorePoint]],
    *,
    days_before: Sequence[int] = (30, 60, 90),
    carry_days: int = 7,
) -> tuple[ScoreAuc, ...]:
    """`auc` of the score `k` days before each closed renewal's close date, for each k in `days_before`.

    The score then is `score_at(history, close_date - k, carry_days)`; a renewal with none is left out
    at that k.
    """
    closed = [r for r in renewals if r.won is not None]
    rows = []
    for k in days_before:
        scores: list[float] = []
        lost: list[bool] = []
        accounts: list[str] = []
        for renewal in closed:
            score = score_at(histories.get(renewal.account_id, ()), renewal.close_date - timedelta(days=k), carry_days)
            if score is not None:
                scores.append(score)
                lost.append(renewal.won is False)
                accounts.append(renewal.account_id)
        e = auc_estimate(scores, lost, accounts=accounts)
        positives = e.positives
        rows.append(
            ScoreAuc(k, e.value, e.low, e.high, e.n, positives, e.n - positives, e.accounts, e.method, e.small_sample)
        )
    return tuple(rows)
