"""What scoring knows of every account when it scores one on a given day (`scoring.model.Population`):
each peer group's activity quantiles and the events any account had fired, both as of the day before.

Computed once per day and rules (the first scoring of the day pays for it) and stored in
`peer_norms`, so every later rescore that day, in any process, reads one row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.health.history import load_histories
from connector.store.models import Account, AccountEventFirst, DailyRollup
from connector.store.models import PeerNorms as PeerNormsRow
from connector.store.sql import insert_ignore
from scoring.model import PeerNorms, Population
from scoring.peers import peer_horizon, peer_rates
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
    session.execute(
        insert_ignore(session, PeerNormsRow.__table__).values(
            day=day,
            rules_key=key,
            norms=_to_json(population),
            seen_events=sorted(population.seen_events or ()),
            computed_at=now or datetime.now(UTC),
        )
    )
    return population


def compute_population(session: Session, day: date, rules: ScoringRules) -> Population:
    """Peers' activity norms and the event catalogue as of the end of the day before `day`."""
    last = day - timedelta(days=1)
    horizon_start = last - timedelta(days=peer_horizon(rules))
    seen = session.execute(
        select(DailyRollup.account_id, func.max(DailyRollup.day))
        .where(DailyRollup.day > horizon_start, DailyRollup.day <= last)
        .where(or_(DailyRollup.events > 0, DailyRollup.page_views > 0))
        .group_by(DailyRollup.account_id)
    ).all()
    last_seen = dict(seen)
    young = session.scalars(
        select(Account.account_id).where(
            or_(
                Account.signed_up_at > datetime.combine(horizon_start, datetime.min.time(), tzinfo=UTC),
                Account.first_seen_at > datetime.combine(horizon_start, datetime.min.time(), tzinfo=UTC),
            )
        )
    ).all()
    candidates = set(last_seen) | set(young)
    window_start = last - timedelta(days=rules.signals.activity_window_days)
    histories = load_histories(session, candidates, window_start, last)
    norms = peer_rates(
        ((history.timeline(day, rules), last_seen.get(account_id)) for account_id, history in histories.items()),
        rules,
    )
    events = session.scalars(select(AccountEventFirst.event).where(AccountEventFirst.first_day <= last).distinct())
    return Population(norms, frozenset(events))


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
