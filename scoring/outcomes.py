"""Measure: what followed each intervention (response, recovery, renewal, save), the control group, and
the aggregates with 95% intervals wide enough that small samples look small.

Definitions (every number is an `OutcomeRules` field; `c` = the intervention's `created_on`):

- **Recovery threshold** of a tier: the lower bound of the next better tier (At Risk 40-59 -> 60,
  Monitor -> 80, Critical -> 40, Churning -> 20; Healthy has none, so nothing to recover from).
- **Recovered**: a score point on a day in `(c, c + recovery_window_days]` is >= the threshold
  (55 -> 72 on day 9 recovers). `days_to_recovery` = first such day - `c`.
- **Held**: no score point from the recovery day through recovery day + `hold_days` is below the
  threshold (missing days are not evidence of a fall). Broken as soon as one is seen.
- **Responded**: the CRM task was completed or the sequence enrollment replied on a day in
  `[c, c + response_window_days]`. None for the control group (nothing was sent) and while the
  window is still open without a response.
- **Renewal**: the account's first renewal with `c < close_date <= c + renewal_horizon_days`:
  won / lost / open (no result yet) / none.
- **Save**: a held recovery, or a won renewal after an intervention in At Risk or worse.
- **Pending**: not a save yet, and the recovery window (or a running hold) has not elapsed by
  `as_of`. Pending outcomes are left out of every rate and counted on their own. An open renewal
  does not keep an outcome pending: a renewal won later turns a non-save into a save on re-run.

Facts dated after `as_of` (score points, responses) are ignored, so a re-run at the same `as_of`
gives the same answer.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from scoring.rules import TIERS, TierBands
from scoring.statistics import Z95, Proportion, proportion
from scoring.statistics import wilson_interval as wilson_interval  # re-exported for older imports

CONTROL_SALT = "healthloop-control-v1"
"""Fixed salt of the control-group hash. Changing it reassigns every intervention: never do that."""
TIER_ENTRY = "tier_entry"
"""Stratum and group name of an intervention opened by a tier entry alone (`trigger_id` None)."""
AT_RISK_OR_WORSE = TIERS[TIERS.index("at_risk") :]
DAYS_PER_MONTH = 30
"""Deflection counts exposure in account-months of 30 days."""

RenewalStatus = Literal["won", "lost", "open", "none"]
GroupBy = Literal["all", "trigger", "tier", "channel", "owner"]


@dataclass(frozen=True, slots=True)
class OutcomeRules:
    """The windows and sample floor of Measure (defaults from the issue).

    The control shares are configured with the playbook (`Playbook.control_share` /
    `control_shares` in `scoring.rules`), where the intervention is decided; see `control_share_for`.
    """

    bands: TierBands = field(default_factory=TierBands)
    recovery_window_days: int = 14
    hold_days: int = 14
    response_window_days: int = 14
    renewal_horizon_days: int = 180
    min_group_size: int = 10
    """An arm with fewer decided outcomes than this marks an uplift or ratio `small_sample`."""
    deflection_window_days: int = 30

    def __post_init__(self) -> None:
        for name in ("recovery_window_days", "hold_days", "response_window_days", "renewal_horizon_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 (got {getattr(self, name)})")
        if self.deflection_window_days < 1 or self.min_group_size < 0:
            raise ValueError("deflection_window_days must be >= 1 and min_group_size >= 0")


# --- the control group ------------------------------------------------------------------------


def control_hash(account_id: str, intervention_key: str, trigger_id: str | None) -> float:
    """Uniform in [0, 1): the first 8 bytes of sha256(salt, stratum, account, key) / 2**64."""
    stratum = trigger_id or TIER_ENTRY
    text = "\x1f".join((CONTROL_SALT, stratum, account_id, intervention_key))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def in_control_group(account_id: str, intervention_key: str, trigger_id: str | None, share: float) -> bool:
    """`control_hash(...) < share`: recorded but never sent to the CRM.

    Deterministic across processes and retries (no randomness, no Python `hash`). The trigger id is
    part of the hashed key, so each trigger is its own stratum with its own independent draw.
    Share 0 is never, 1 always; raising the share only adds interventions to the control group.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"control share must be between 0 and 1 (got {share})")
    return control_hash(account_id, intervention_key, trigger_id) < share


def control_share_for(trigger_id: str | None, default: float, overrides: Mapping[str, float]) -> float:
    """The trigger's override (key: trigger id, or `tier_entry` for None), else `default` (0.10 by rule)."""
    return overrides.get(trigger_id or TIER_ENTRY, default)


# --- facts in ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterventionFact:
    """One recorded intervention (sent, or held back as control) and what the CRM reported back."""

    intervention_id: str
    account_id: str
    key: str
    trigger_id: str | None
    tier: str
    """The tier when it was created."""
    created_on: date
    channels: tuple[str, ...] = ()
    owner: str = "csm"
    trigger_ids: tuple[str, ...] = ()
    control: bool = False
    task_completed_on: date | None = None
    enrollment_replied_on: date | None = None
    enrollment_disposition: str | None = None
    """The sequence's own status; "replied" without a date still counts as a response."""


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """The account's stored health score on one day."""

    day: date
    score: int


@dataclass(frozen=True, slots=True)
class RenewalFact:
    """One renewal (deal / opportunity) of the account."""

    account_id: str
    close_date: date
    won: bool | None = None
    """True won, False lost (churned), None still open."""

    @property
    def status(self) -> RenewalStatus:
        return "open" if self.won is None else "won" if self.won else "lost"


@dataclass(frozen=True, slots=True)
class AccountTicket:
    """A support ticket (or an escalation) opened by the account."""

    account_id: str
    opened_on: date
    escalation: bool = False


# --- intervals: `Proportion`, `proportion` and `wilson_interval` live in scoring/statistics.py ---------


@dataclass(frozen=True, slots=True)
class Uplift:
    """treated - control save rate with Newcombe's hybrid score 95% interval."""

    treated: Proportion
    control: Proportion
    difference: float | None
    low: float | None
    high: float | None
    small_sample: bool
    """Either arm has fewer than `min_group_size` decided outcomes: read the interval, not the point."""


def uplift(treated: Proportion, control: Proportion, *, min_group_size: int = 10) -> Uplift:
    """d = p1 - p2; low = d - sqrt((p1 - l1)² + (u2 - p2)²), high = d + sqrt((u1 - p1)² + (p2 - l2)²),
    (li, ui) the Wilson intervals (Newcombe 1998, method 10). None when either arm is empty."""
    small = min(treated.n, control.n) < min_group_size
    p1, l1, u1 = treated.value, treated.low, treated.high
    p2, l2, u2 = control.value, control.low, control.high
    if p1 is None or l1 is None or u1 is None or p2 is None or l2 is None or u2 is None:
        return Uplift(treated, control, None, None, None, small)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Uplift(treated, control, d, max(-1.0, low), min(1.0, high), small)


# --- one intervention -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterventionOutcome:
    """What followed one intervention, as known at `as_of` (definitions in the module docstring)."""

    intervention: InterventionFact
    responded: bool | None
    recovery_threshold: int | None
    recovered: bool | None
    """None: Healthy (nothing to recover from) or the window is still open."""
    recovered_on: date | None
    days_to_recovery: int | None
    recovery_held: bool | None
    renewal: RenewalStatus
    renewal_close_date: date | None
    save: bool | None
    """None while pending, and for a Healthy intervention not saved by anything."""
    saved_by: Literal["recovery", "renewal", "both"] | None
    pending: bool


def recovery_threshold(tier: str, bands: TierBands) -> int | None:
    """The lower bound of the next better tier; None for Healthy."""
    better = {"monitor": bands.healthy, "at_risk": bands.monitor, "critical": bands.at_risk, "churning": bands.critical}
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
    return better.get(tier)


def _responded(fact: InterventionFact, as_of: date, rules: OutcomeRules) -> bool | None:
    if fact.control:
        return None
    end = fact.created_on + timedelta(days=rules.response_window_days)
    days = (fact.task_completed_on, fact.enrollment_replied_on)
    if any(d is not None and fact.created_on <= d <= min(end, as_of) for d in days):
        return True
    if fact.enrollment_disposition == "replied" and fact.enrollment_replied_on is None:
        return True
    return False if as_of >= end else None


def _renewal(fact: InterventionFact, renewals: Iterable[RenewalFact], horizon: int) -> RenewalFact | None:
    last = fact.created_on + timedelta(days=horizon)
    due = [r for r in renewals if r.account_id == fact.account_id and fact.created_on < r.close_date <= last]
    return min(due, key=lambda r: r.close_date, default=None)


def measure(
    intervention: InterventionFact,
    history: Sequence[ScorePoint],
    renewals: Sequence[RenewalFact],
    as_of: date,
    rules: OutcomeRules = OutcomeRules(),
) -> InterventionOutcome:
    """The outcome of one intervention from its account's score history and renewals, as of `as_of`."""
    fact, created = intervention, intervention.created_on
    if as_of < created:
        raise ValueError(f"as_of {as_of} is before intervention {fact.intervention_id} was created ({created})")
    points = sorted((p for p in history if created < p.day <= as_of), key=lambda p: p.day)
    threshold = recovery_threshold(fact.tier, rules.bands)
    recovered: bool | None = None
    recovered_on: date | None = None
    held: bool | None = None
    if threshold is not None:
        window_end = created + timedelta(days=rules.recovery_window_days)
        first = next((p for p in points if p.day <= window_end and p.score >= threshold), None)
        recovered = True if first else (False if as_of >= window_end else None)
        if first is not None:
            recovered_on, hold_end = first.day, first.day + timedelta(days=rules.hold_days)
            broken = any(p.score < threshold for p in points if first.day < p.day <= hold_end)
            held = False if broken else (True if as_of >= hold_end else None)
    renewal = _renewal(fact, renewals, rules.renewal_horizon_days)
    status: RenewalStatus = renewal.status if renewal else "none"
    by_renewal = status == "won" and fact.tier in AT_RISK_OR_WORSE
    pending = not by_renewal and threshold is not None and (recovered is None or (recovered and held is None))
    save: bool | None = None
    if by_renewal or held:
        save = True
    elif not pending and threshold is not None:
        save = False
    saved_by = "both" if by_renewal and held else "renewal" if by_renewal else "recovery" if held else None
    return InterventionOutcome(
        intervention=fact,
        responded=_responded(fact, as_of, rules),
        recovery_threshold=threshold,
        recovered=recovered,
        recovered_on=recovered_on,
        days_to_recovery=(recovered_on - created).days if recovered_on else None,
        recovery_held=held,
        renewal=status,
        renewal_close_date=renewal.close_date if renewal else None,
        save=save,
        saved_by=saved_by,
        pending=pending,
    )


def measure_all(
    interventions: Iterable[InterventionFact],
    histories: Mapping[str, Sequence[ScorePoint]],
    renewals: Sequence[RenewalFact],
    as_of: date,
    rules: OutcomeRules = OutcomeRules(),
) -> tuple[InterventionOutcome, ...]:
    """`measure` for each intervention; `histories` maps account id -> its score points."""
    by_account: dict[str, list[RenewalFact]] = defaultdict(list)
    for renewal in renewals:
        by_account[renewal.account_id].append(renewal)
    return tuple(
        measure(fact, histories.get(fact.account_id, ()), by_account[fact.account_id], as_of, rules)
        for fact in interventions
    )


# --- aggregates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmStats:
    """One arm (treated or control) of one group."""

    n: int
    """Every outcome in the arm, pending included."""
    pending: int
    not_applicable: int
    """Healthy interventions with no save (nothing to recover from): in no save rate."""
    saves: Proportion
    """Saves out of the decided outcomes (not pending, save known)."""
    responses: Proportion
    """Responded out of the outcomes whose response is known (always 0/0 for control)."""
    recovered: int
    median_days_to_recovery: float | None
    """Median of `days_to_recovery` over the `recovered` outcomes (a running hold included)."""


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One group (a trigger, tier, channel or owner): treated, control and the save uplift."""

    by: GroupBy
    key: str
    treated: ArmStats
    control: ArmStats
    uplift: Uplift


def group_keys(fact: InterventionFact, by: GroupBy) -> tuple[str, ...]:
    """The groups an intervention counts in: one per channel for `channel`, else exactly one."""
    if by == "all":
        return ("all",)
    if by == "trigger":
        return (fact.trigger_id or TIER_ENTRY,)
    if by == "tier":
        return (fact.tier,)
    if by == "channel":
        return tuple(dict.fromkeys(fact.channels)) or ("none",)
    if by == "owner":
        return (fact.owner,)
    raise ValueError(f"cannot group by {by!r}; use all, trigger, tier, channel or owner")


def arm_stats(outcomes: Sequence[InterventionOutcome]) -> ArmStats:
    """Counts, save and response rates with Wilson intervals, and the median time to recovery."""
    decided = [o for o in outcomes if not o.pending and o.save is not None]
    known = [o for o in outcomes if o.responded is not None]
    days = [o.days_to_recovery for o in outcomes if o.days_to_recovery is not None]
    return ArmStats(
        n=len(outcomes),
        pending=sum(o.pending for o in outcomes),
        not_applicable=sum(not o.pending and o.save is None for o in outcomes),
        saves=proportion(sum(bool(o.save) for o in decided), len(decided)),
        responses=proportion(sum(bool(o.responded) for o in known), len(known)),
        recovered=len(days),
        median_days_to_recovery=float(statistics.median(days)) if days else None,
    )


def summarize(
    outcomes: Iterable[InterventionOutcome], by: GroupBy, *, min_group_size: int = 10
) -> tuple[SummaryRow, ...]:
    """One row per group, treated and control apart (tiers in tier order, other keys sorted).

    With `by="channel"` an intervention sent through two channels counts in both rows, so the rows
    do not add up to the total; use `by="all"` for the total.
    """
    groups: dict[str, list[InterventionOutcome]] = defaultdict(list)
    for outcome in outcomes:
        for key in group_keys(outcome.intervention, by):
            groups[key].append(outcome)
    order = sorted(groups, key=lambda k: (TIERS.index(k), k) if by == "tier" and k in TIERS else (len(TIERS), k))
    rows = []
    for key in order:
        treated = arm_stats([o for o in groups[key] if not o.intervention.control])
        control = arm_stats([o for o in groups[key] if o.intervention.control])
        rows.append(
            SummaryRow(by, key, treated, control, uplift(treated.saves, control.saves, min_group_size=min_group_size))
        )
    return tuple(rows)


# --- reactive volume deflection ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deflection:
    """Tickets per account-month after proactive outreach vs after a held-back (control) intervention."""

    treated_accounts: int
    control_accounts: int
    treated_tickets: int
    control_tickets: int
    treated_months: float
    control_months: float
    treated_rate: float | None
    control_rate: float | None
    ratio: float | None
    """treated_rate / control_rate; below 1 means outreach deflected tickets (deflection = 1 - ratio)."""
    low: float | None
    high: float | None
    small_sample: bool


def deflection(
    interventions: Iterable[InterventionFact],
    tickets: Iterable[AccountTicket],
    as_of: date,
    rules: OutcomeRules = OutcomeRules(),
) -> Deflection:
    """Poisson rate ratio of tickets per account-month, treated vs control, 95% log-normal interval.

    Each account counts once, in the arm of its first intervention (by day, then key); it is
    observed on days `(c, c + min(deflection_window_days, as_of - c)]`, and every ticket or
    escalation opened then counts. Rate = tickets / (observed days / 30). Interval:
    exp(ln ratio ∓ z·sqrt(1/a + 1/b)) with a, b the ticket counts; None when either is 0.
    `small_sample`: either arm has fewer than `min_group_size` accounts.
    """
    first: dict[str, InterventionFact] = {}
    for fact in sorted(interventions, key=lambda f: (f.created_on, f.key)):
        first.setdefault(fact.account_id, fact)
    opened: dict[str, list[date]] = defaultdict(list)
    for ticket in tickets:
        opened[ticket.account_id].append(ticket.opened_on)
    accounts, events, days = [0, 0], [0, 0], [0, 0]
    for account_id, fact in first.items():
        observed = min(rules.deflection_window_days, (as_of - fact.created_on).days)
        if observed <= 0:
            continue
        last = fact.created_on + timedelta(days=observed)
        arm = int(fact.control)
        accounts[arm] += 1
        days[arm] += observed
        events[arm] += sum(fact.created_on < d <= last for d in opened[account_id])
    months = [d / DAYS_PER_MONTH for d in days]
    rates = [events[i] / months[i] if months[i] else None for i in (0, 1)]
    ratio = rates[0] / rates[1] if rates[0] is not None and rates[1] else None
    low = high = None
    if ratio and events[0] and events[1]:
        spread = Z95 * math.sqrt(1 / events[0] + 1 / events[1])
        low, high = math.exp(math.log(ratio) - spread), math.exp(math.log(ratio) + spread)
    small = min(accounts) < rules.min_group_size
    return Deflection(*accounts, *events, *months, *rates, ratio, low, high, small)
