"""What scoring knows of every account when it scores one on a given day (`scoring.model.Population`):
each peer group's activity quantiles and the events any account had fired, both as of the day before.

Computed once per day and rules (the first scoring of the day pays for it) and stored in
`peer_norms`, so every later rescore that day, in any process, reads one row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.health.account_start import account_starts
from connector.health.history import AccountHistory, load_histories
from connector.health.peer_series import peer_series
from connector.store.models import Account, AccountEventFirst, DailyRollup
from connector.store.models import PeerNorms as PeerNormsRow
from connector.store.sql import chunks, in_list, insert_ignore
from scoring.model import PeerNorms, Population
from scoring.peers import PeerSample, peer_horizon, population_of_columns
from scoring.rules import ScoringRules


def rules_key(rules: ScoringRules) -> str:
    """A short hash of the rules the norms depend on: which events are meaningful, the windows, the grouping."""
    s = rules.signals
    relevant = {
        "measures": MEASURES,
        "definitions": MEASURE_DEFINITIONS,
        "meaningful": rules.events.meaningful,
        "ignored": rules.events.ignored,
        "window": s.activity_window_days,
        "engagement": s.engagement_window_days,
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
    last_seen = dict(
        session.execute(
            select(DailyRollup.account_id, func.max(DailyRollup.day))
            .where(DailyRollup.day > horizon_start, DailyRollup.day <= last)
            .where(or_(DailyRollup.events > 0, DailyRollup.page_views > 0))
            .group_by(DailyRollup.account_id)
        ).all()
    )
    since = datetime.combine(horizon_start, datetime.min.time(), tzinfo=UTC)
    young = session.scalars(
        select(Account.account_id).where(or_(Account.signed_up_at > since, Account.first_seen_at > since))
    ).all()
    # Every peer is among these (seen within the horizon, or possibly younger than it).
    candidates = set(last_seen) | set(young)
    window = max(rules.signals.activity_window_days, rules.signals.engagement_window_days)
    histories = load_histories(session, candidates, last - timedelta(days=window), last)
    starts = account_starts(session, candidates)
    seen = {account_id: [day] for account_id, day in last_seen.items()}
    population = population_series(histories.values(), [day], rules, starts, seen)[day]
    events = session.scalars(select(AccountEventFirst.event).where(AccountEventFirst.first_day <= last).distinct())
    return replace(population, seen_events=frozenset(events))


SAMPLE_FIELDS = tuple(f.name for f in fields(PeerSample))
"""A day's samples are kept as one list per field, in this order (`population_of_columns` takes them)."""


@dataclass
class PopulationBuilder:
    """Gathers every account's peer sample and first-seen events for some days, one history at a time,
    so the populations of a long range can be built from histories loaded in chunks.

    Each day's samples are kept field by field (one list per `PeerSample` field): a chunk's builder
    comes back from a worker process as a few lists of plain values, not millions of objects."""

    days: Sequence[date]
    rules: ScoringRules
    samples: dict[date, tuple[list[Any], ...]] = field(default_factory=dict)
    firsts: dict[str, date] = field(default_factory=dict)

    def add(self, history: AccountHistory, start: date | None, seen: Sequence[date]) -> None:
        """One account: its history (the activity window before each day), its start, and the days
        it had events or page views (ascending; those within the peer horizon before each day)."""
        for event, first in history.first_seen.items():
            if event not in self.firsts or first < self.firsts[event]:
                self.firsts[event] = first
        for day, sample in peer_series(history, self.days, self.rules, start, seen):
            columns = self.samples.get(day)
            if columns is None:
                columns = self.samples[day] = tuple([] for _ in SAMPLE_FIELDS)
            for column, name in zip(columns, SAMPLE_FIELDS, strict=True):
                column.append(getattr(sample, name))

    def merge(self, other: PopulationBuilder) -> None:
        """Take in what another builder gathered for the same days (another chunk of accounts)."""
        for day, samples in other.samples.items():
            columns = self.samples.setdefault(day, tuple([] for _ in SAMPLE_FIELDS))
            for column, more in zip(columns, samples, strict=True):
                column.extend(more)
        for event, first in other.firsts.items():
            if event not in self.firsts or first < self.firsts[event]:
                self.firsts[event] = first

    def populations(self) -> dict[date, Population]:
        catalogue = sorted((first, event) for event, first in self.firsts.items())
        result = {}
        for day in self.days:
            events = frozenset(event for first, event in catalogue if first < day)
            groups, activity, depth, breadth = self.samples.get(day, ([], [], [], []))
            result[day] = population_of_columns(groups, activity, depth, breadth, events, self.rules)
        return result


def population_series(
    histories: Iterable[AccountHistory],
    days: Sequence[date],
    rules: ScoringRules,
    starts: Mapping[str, date],
    seen: Mapping[str, Sequence[date]],
) -> dict[date, Population]:
    """The population of each of `days` from loaded histories (each day's activity window before it),
    the accounts' starts and the days they were seen: each day sees only the days before it."""
    builder = PopulationBuilder(sorted(set(days)), rules)
    for history in histories:
        builder.add(history, starts.get(history.account_id), seen.get(history.account_id, ()))
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


MEASURES = ("activity", "depth", "breadth")
"""The measures ranked among peers, as stored (each a `Population` field `<measure>_norms`)."""
MEASURE_DEFINITIONS = 2
"""Bumped when what a measure means changes (2: activity is actions per day, no longer per seat), so
norms stored under the old meaning are never read again."""


def _to_json(population: Population) -> dict[str, object]:
    return {
        measure: {
            key: {"quantiles": list(n.quantiles), "accounts": n.accounts, "zero_share": n.zero_share}
            for key, n in getattr(population, f"{measure}_norms").items()
        }
        for measure in MEASURES
    }


def _from_row(norms: dict[str, dict[str, dict[str, object]]], seen_events: list[str]) -> Population:
    def groups(measure: str) -> dict[str, PeerNorms]:
        return {
            key: PeerNorms(tuple(v["quantiles"]), int(v["accounts"]), float(v["zero_share"]))  # type: ignore[arg-type]
            for key, v in norms.get(measure, {}).items()
        }

    return Population(groups("activity"), frozenset(seen_events), groups("depth"), groups("breadth"))


def seen_days(session: Session, account_ids: Sequence[str], first: date, last: date) -> dict[str, list[date]]:
    """account_id -> the days in `first..last` it had events or page views, ascending."""
    found: dict[str, list[date]] = {}
    for chunk in chunks(list(account_ids)):
        for account_id, day in session.execute(
            select(DailyRollup.account_id, DailyRollup.day)
            .where(in_list(session, DailyRollup.account_id, chunk), DailyRollup.day >= first, DailyRollup.day <= last)
            .where(or_(DailyRollup.events > 0, DailyRollup.page_views > 0))
            .order_by(DailyRollup.account_id, DailyRollup.day)
        ):
            found.setdefault(account_id, []).append(day)
    return found
