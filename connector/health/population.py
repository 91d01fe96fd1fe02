"""What scoring knows of every account when it scores one on a given day (`scoring.model.Population`):
each peer group's activity quantiles and the events any account had fired, both as of the day before.

Computed once per day and rules (the first scoring of the day pays for it) and stored in
`peer_norms`, so every later rescore that day, in any process, reads one row.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.health.history import AccountHistory, load_histories, lookback_days
from connector.store.models import Account, AccountEventFirst, DailyRollup
from connector.store.models import PeerNorms as PeerNormsRow
from connector.store.sql import insert_ignore
from scoring.model import PeerNorms, Population
from scoring.peers import build_norms, peer_horizon, peer_sample
from scoring.rules import ScoringRules


def rules_key(rules: ScoringRules) -> str:
    """A short hash of the rules the norms depend on: which events are meaningful, the windows, the grouping."""
    s = rules.signals
    relevant = {
        "meaningful": rules.events.meaningful,
        "ignored": rules.events.ignored,
        "window": s.activity_window_days,
        "baseline": s.baseline_window_days,
        "peers": s.activity_peers,
        "min_peers": s.min_peer_accounts,
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def population_for(session: Session, day: date, rules: ScoringRules, now: datetime | None = None) -> Population:
    """The population scoring `day` sees: the stored one, or computed now and stored (the caller commits).

    `session` must be able to write; several processes computing the same day at once is harmless.
    """
    key = rules_key(rules)
    row = session.get(PeerNormsRow, (day, key))
    if row is not None:
        return _from_row(row.norms, row.seen_events)
    population = compute_population(session, day, rules)
    store_population(session, day, rules, population, now or datetime.now(UTC))
    return population


def compute_population(session: Session, day: date, rules: ScoringRules) -> Population:
    """Peers' activity norms and the event catalogue as of the end of the day before `day`."""
    last = day - timedelta(days=1)
    horizon_start = last - timedelta(days=peer_horizon(rules))
    seen_in_horizon = session.scalars(
        select(DailyRollup.account_id)
        .where(DailyRollup.day > horizon_start, DailyRollup.day <= last)
        .where(or_(DailyRollup.events > 0, DailyRollup.page_views > 0))
        .distinct()
    ).all()
    since = datetime.combine(horizon_start, datetime.min.time(), tzinfo=UTC)
    young = session.scalars(
        select(Account.account_id).where(or_(Account.signed_up_at > since, Account.first_seen_at > since))
    ).all()
    # Every peer is among these (seen within the horizon, or possibly younger than it).
    candidates = set(seen_in_horizon) | set(young)
    histories = load_histories(session, candidates, last - timedelta(days=lookback_days(rules)), last)
    population = population_series(histories.values(), [day], rules)[day]
    events = session.scalars(select(AccountEventFirst.event).where(AccountEventFirst.first_day <= last).distinct())
    return Population(population.activity_norms, frozenset(events))


@dataclass
class PopulationBuilder:
    """Gathers every account's peer sample and first-seen events for some days, one history at a time,
    so the populations of a long range can be built from histories loaded in chunks."""

    days: Sequence[date]
    rules: ScoringRules
    samples: dict[date, list[tuple[str, float]]] = field(default_factory=dict)
    firsts: dict[str, date] = field(default_factory=dict)

    def add(self, history: AccountHistory) -> None:
        counted: dict[date, int] = {}
        seen_days = sorted(d for d, a in history.days.items() if a.events or a.page_views)
        for event, first in history.first_seen.items():
            if event not in self.firsts or first < self.firsts[event]:
                self.firsts[event] = first
        for day in self.days:
            position = bisect_left(seen_days, day)
            last_seen = seen_days[position - 1] if position else None
            sample = peer_sample(history.before(day, self.rules), last_seen, self.rules, counted)
            if sample is not None:
                self.samples.setdefault(day, []).append(sample)

    def populations(self) -> dict[date, Population]:
        catalogue = sorted((first, event) for event, first in self.firsts.items())
        result = {}
        for day in self.days:
            norms = build_norms(self.samples.get(day, []), self.rules.signals.min_peer_accounts)
            result[day] = Population(norms, frozenset(event for first, event in catalogue if first < day))
        return result


def population_series(
    histories: Iterable[AccountHistory], days: Sequence[date], rules: ScoringRules
) -> dict[date, Population]:
    """The population of each of `days` from loaded histories (rollups through at least the day before
    the last of them): each day sees only the days before it, as `compute_population` does."""
    builder = PopulationBuilder(sorted(set(days)), rules)
    for history in histories:
        builder.add(history)
    return builder.populations()


def store_population(session: Session, day: date, rules: ScoringRules, population: Population, now: datetime) -> None:
    """Keep a computed population for `day` (a stored one stays: it was computed from the same days)."""
    session.execute(
        insert_ignore(session, PeerNormsRow.__table__).values(
            day=day,
            rules_key=rules_key(rules),
            norms=_to_json(population),
            seen_events=sorted(population.seen_events or ()),
            computed_at=now,
        )
    )


def stored_populations(session: Session, days: Sequence[date], rules: ScoringRules) -> dict[date, Population]:
    """The populations already stored for some of `days`."""
    rows = session.scalars(
        select(PeerNormsRow).where(PeerNormsRow.rules_key == rules_key(rules), PeerNormsRow.day.in_(list(days)))
    )
    return {row.day: _from_row(row.norms, row.seen_events) for row in rows}


def _to_json(population: Population) -> dict[str, object]:
    return {
        key: {"quantiles": list(n.quantiles), "accounts": n.accounts, "zero_share": n.zero_share}
        for key, n in population.activity_norms.items()
    }


def _from_row(norms: dict[str, dict[str, object]], seen_events: list[str]) -> Population:
    return Population(
        {
            key: PeerNorms(tuple(value["quantiles"]), int(value["accounts"]), float(value["zero_share"]))  # type: ignore[arg-type]
            for key, value in norms.items()
        },
        frozenset(seen_events),
    )
