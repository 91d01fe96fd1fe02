"""Properties that hold for any input: bounds, the weighted sum, monotonicity, tiers, no crashes."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import assess
from scoring.model import AccountTimeline, DayActivity, OpenAlert, PriorState, TicketFact
from scoring.rules import SIGNALS, TIERS, TRIGGER_IDS, EventRules, ScoringRules, TierBands, TriggerRules, Weights
from scoring.score import health_score, tier_for
from scoring.signals import compute_signals
from tests.unit.scoring.timelines import DECIDED_AT, signal

AS_OF = date(2025, 3, 31)
EVENTS = [
    "Signed In", "Logged In", "Signed Out", "Report Created", "Dashboard Viewed", "Export Completed",
    "Integration Connected", "Invite Sent", "Onboarding Completed", "Setup Completed", "Signed Up", "Other",
]  # fmt: skip
USERS = [f"user-{n}" for n in range(8)]
RULE_VARIANTS = [
    ScoringRules(),
    ScoringRules(events=EventRules(meaningful=["Report Created", "Signed In"])),
    ScoringRules(milestones=[], journeys=[]),
    ScoringRules(events=EventRules(key_features=[], core_feature=None, setup_completed=[], logins=[])),
    ScoringRules(triggers=TriggerRules(cooldown_days=0, enabled=["inactive", "ticket_cluster", "seats_inactive"])),
]

signal_values = st.none() | st.floats(min_value=0, max_value=100, allow_nan=False)
days_ago = st.integers(min_value=-3, max_value=400).map(lambda n: AS_OF - timedelta(days=n))


@st.composite
def weights(draw: st.DrawFn) -> Weights:
    raw = draw(st.lists(st.integers(min_value=0, max_value=100), min_size=4, max_size=4).filter(lambda w: sum(w) > 0))
    return Weights(**{name: part / sum(raw) for name, part in zip(SIGNALS, raw, strict=True)})


@st.composite
def bands(draw: st.DrawFn) -> TierBands:
    picked = sorted(draw(st.lists(st.integers(min_value=1, max_value=100), min_size=4, max_size=4, unique=True)))
    return TierBands(healthy=picked[3], monitor=picked[2], at_risk=picked[1], critical=picked[0])


offsets = st.integers(min_value=-3, max_value=130)


@st.composite
def timelines(draw: st.DrawFn) -> AccountTimeline:
    calls = draw(st.lists(st.tuples(offsets, st.sampled_from(EVENTS), st.integers(0, 60)), max_size=60))
    users = draw(st.lists(st.tuples(offsets, st.sampled_from(USERS), st.integers(1, 20)), max_size=40))
    pages = draw(st.lists(st.tuples(offsets, st.integers(0, 30)), max_size=15))
    counts: dict[int, dict[str, int]] = {}
    user_counts: dict[int, dict[str, int]] = {}
    views: dict[int, int] = {}
    for offset, event, count in calls:
        counts.setdefault(offset, {})[event] = count
    for offset, user, count in users:
        user_counts.setdefault(offset, {})[user] = count
    for offset, count in pages:
        views[offset] = views.get(offset, 0) + count
    days = {}
    for offset in set(counts) | set(user_counts) | set(views):
        on, tracked, viewed = AS_OF - timedelta(days=offset), counts.get(offset, {}), views.get(offset, 0)
        days[on] = DayActivity(on, sum(tracked.values()) + viewed, viewed, tracked, user_counts.get(offset, {}))
    tickets = draw(
        st.lists(
            st.builds(
                TicketFact,
                ticket_id=st.sampled_from([str(n) for n in range(10)]),
                opened_on=days_ago,
                category=st.none() | st.sampled_from(["export", "Export", "billing", " ", "sso"]),
                tags=st.lists(st.sampled_from(["export", "EXPORT", "sso", "bug", ""]), max_size=3).map(tuple),
            ),
            max_size=6,
        )
    )
    return AccountTimeline(
        account_id="acct",
        as_of=AS_OF,
        days=days,
        first_seen=draw(st.dictionaries(st.sampled_from(EVENTS), days_ago, max_size=8)),
        name=draw(st.none() | st.just("Acme")),
        licensed_seats=draw(st.none() | st.integers(min_value=0, max_value=500)),
        signed_up_on=draw(st.none() | days_ago),
        tickets=tuple(tickets),
    )


@st.composite
def priors(draw: st.DrawFn) -> PriorState:
    open_ids = draw(st.lists(st.sampled_from(TRIGGER_IDS), unique=True, max_size=4))
    return PriorState(
        score_days_ago=draw(st.dictionaries(st.sampled_from([7, 14]), st.integers(min_value=0, max_value=100))),
        previous_tier=draw(st.none() | st.sampled_from(TIERS)),
        open_alerts={t: OpenAlert(t, AS_OF - timedelta(days=2)) for t in open_ids},
        last_cleared=draw(st.dictionaries(st.sampled_from(TRIGGER_IDS), days_ago.filter(lambda d: d <= AS_OF))),
    )


def _scored(values: list[float | None], weighting: Weights) -> int:
    return health_score({n: signal(n, v) for n, v in zip(SIGNALS, values, strict=True)}, weighting).value


@given(st.lists(signal_values, min_size=4, max_size=4), weights())
def test_score_is_within_0_and_100_and_equals_the_rounded_renormalised_weighted_sum(values, weighting):
    value = _scored(values, weighting)
    assert 0 <= value <= 100
    present = {n: Fraction(v) for n, v in zip(SIGNALS, values, strict=True) if v is not None}
    total = sum(Fraction(getattr(weighting, n)) for n in present)
    if total == 0:
        assert value == 0
        return
    exact = sum(Fraction(getattr(weighting, n)) * v for n, v in present.items()) / total
    assert abs(value - exact) <= Fraction(1, 2) + Fraction(1, 10**9)
    if abs((exact - math.floor(exact)) - Fraction(1, 2)) > Fraction(1, 10**9):
        assert value == math.floor(exact + Fraction(1, 2))


@given(
    st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=4, max_size=4),
    st.integers(min_value=0, max_value=3),
    st.floats(min_value=0, max_value=100, allow_nan=False),
    weights(),
)
def test_score_never_falls_when_one_signal_rises(values, which, rise, weighting):
    higher = list(values)
    higher[which] = min(100.0, values[which] + rise)
    assert _scored(list(higher), weighting) >= _scored(list(values), weighting)


@given(bands())
def test_tiers_partition_0_to_100_and_respect_the_bands(tier_bands):
    lower = {"healthy": tier_bands.healthy, "monitor": tier_bands.monitor, "at_risk": tier_bands.at_risk}
    lower |= {"critical": tier_bands.critical, "churning": 0}
    upper = {"healthy": 101, "monitor": tier_bands.healthy, "at_risk": tier_bands.monitor}
    upper |= {"critical": tier_bands.at_risk, "churning": tier_bands.critical}
    for score in range(101):
        tier = tier_for(score, tier_bands)
        assert [t for t in TIERS if lower[t] <= score < upper[t]] == [tier]
    assert [tier_for(s, tier_bands) for s in range(100, -1, -1)] == sorted(
        (tier_for(s, tier_bands) for s in range(100, -1, -1)), key=TIERS.index
    )


@settings(max_examples=80, deadline=None)
@given(timelines(), st.sampled_from(RULE_VARIANTS))
def test_every_signal_stays_within_0_and_100(timeline, rules):
    for name, value in compute_signals(timeline, rules).items():
        assert value.name == name
        assert value.value is None or 0 <= value.value <= 100, (name, value)


@settings(max_examples=80, deadline=None)
@given(timelines(), priors(), st.sampled_from(RULE_VARIANTS))
def test_assess_never_raises_and_returns_a_consistent_assessment(timeline, prior, rules):
    result = assess(timeline, rules, prior, DECIDED_AT)
    assert 0 <= result.score.value <= 100 and result.tier == tier_for(result.score.value, rules.tiers)
    assert len(result.reason) <= 200
    hit_ids = [hit.trigger_id for hit in result.hits]
    assert set(hit_ids) <= set(rules.triggers.enabled) and hit_ids == sorted(hit_ids, key=TRIGGER_IDS.index)
    assert {hit.trigger_id for hit in result.fired} <= set(hit_ids) - set(prior.open_alerts)
    assert set(result.cleared) == set(prior.open_alerts) - set(hit_ids)
    keys = [i.key for i in result.interventions]
    assert len(keys) == len(set(keys)) and all(i.due_at >= DECIDED_AT for i in result.interventions)
    for hit in result.hits:
        json.dumps(dict(hit.evidence))
    assert assess(timeline, rules, prior, DECIDED_AT) == result
