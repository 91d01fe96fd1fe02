"""Learn: reactive vs proactive first signals, trigger and score precision/recall/lead time, score AUC."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.indicators import TriggerFiring, auc, indicator_accuracy, reactive_ratio, risk_entries, score_at, score_auc
from scoring.outcomes import AccountTicket, RenewalFact, ScorePoint
from scoring.rules import TierBands

CLOSE = date(2025, 6, 30)
START, END = date(2025, 4, 1), date(2025, 4, 30)


def before(days: int, close: date = CLOSE) -> date:
    return close - timedelta(days=days)


def points(*pairs: tuple[date, int]) -> list[ScorePoint]:
    return [ScorePoint(day, score) for day, score in pairs]


# --- reactive vs proactive --------------------------------------------------------------------


def histories_entering_on_april_10():
    """Each account scores 70 on 1 April and 55 on 10 April, except the ones named otherwise."""
    entering = points((date(2025, 4, 1), 70), (date(2025, 4, 10), 55))
    return {
        "ticket-first": entering,
        "trigger-first": entering,
        "same-day": entering,
        "silent": entering,
        "already-at-risk": points((date(2025, 3, 20), 50), (date(2025, 4, 10), 45)),
        "after-the-period": points((date(2025, 4, 20), 70), (date(2025, 5, 5), 50)),
        "never": points((date(2025, 4, 10), 75)),
    }


def test_risk_entries_count_the_day_an_account_crossed_below_monitor():
    entries = risk_entries(histories_entering_on_april_10(), START, END, TierBands())
    assert entries == dict.fromkeys(["ticket-first", "trigger-first", "same-day", "silent"], date(2025, 4, 10))


def test_the_first_signal_decides_reactive_or_proactive():
    april = lambda d: date(2025, 4, d)  # noqa: E731
    tickets = [
        AccountTicket("ticket-first", april(5)),
        AccountTicket("same-day", april(8), escalation=True),
        AccountTicket("trigger-first", april(9)),
        AccountTicket("silent", date(2025, 2, 1)),  # long before the lookback
    ]
    firings = [
        TriggerFiring("ticket-first", "login_decline", april(8)),
        TriggerFiring("trigger-first", "low_score", april(2)),
        TriggerFiring("same-day", "inactive", april(8)),
        TriggerFiring("silent", "low_score", april(11)),  # after the entry
    ]
    result = reactive_ratio(histories_entering_on_april_10(), tickets, firings, START, END)
    kinds = {s.account_id: (s.kind, s.source) for s in result.first_signals}
    assert kinds == {
        "ticket-first": ("reactive", "ticket"),
        "trigger-first": ("proactive", "low_score"),
        "same-day": ("reactive", "escalation"),
        "silent": ("none", None),
    }
    assert (result.reactive, result.proactive, result.unsignalled) == (2, 1, 1)
    assert result.reactive_share.value == pytest.approx(2 / 3) and result.ratio == 2.0
    assert result.reactive_share.low == pytest.approx(0.2077, abs=1e-4)


def test_a_ticket_cluster_trigger_is_a_reactive_signal():
    history = {"a": points((date(2025, 4, 1), 70), (date(2025, 4, 10), 55))}
    firings = [
        TriggerFiring("a", "ticket_cluster", date(2025, 4, 3)),
        TriggerFiring("a", "low_score", date(2025, 4, 10)),
    ]
    result = reactive_ratio(history, [], firings, START, END)
    assert result.reactive == 1 and result.ratio is None


# --- precision, recall, lead time -------------------------------------------------------------


def renewal_table():
    renewals = [
        RenewalFact("lost-a", CLOSE, won=False),
        RenewalFact("lost-b", CLOSE, won=False),
        RenewalFact("won-c", CLOSE, won=True),
        RenewalFact("won-d", CLOSE, won=True),
        RenewalFact("open-e", CLOSE, won=None),
    ]
    histories = {
        "lost-a": points((before(30), 50), (before(10), 45)),
        "lost-b": points((before(5), 55)),  # the late alert
        "won-c": points((before(20), 70)),
        "won-d": points((before(100), 58), (before(50), 65)),  # the low score is outside the lookback
        "open-e": points((before(10), 30)),
    }
    firings = [
        TriggerFiring("lost-a", "inactive", before(20)),
        TriggerFiring("won-c", "inactive", before(10)),
        TriggerFiring("lost-b", "inactive", before(200)),  # outside the lookback
        TriggerFiring("lost-b", "inactive", CLOSE),  # on the close day: too late to be a lead
        TriggerFiring("lost-b", "custom_signal", before(5)),
        TriggerFiring("open-e", "inactive", before(3)),
    ]
    return renewals, histories, firings


def test_precision_recall_and_lead_time_on_a_small_table():
    rows = {row.indicator: row for row in indicator_accuracy(*renewal_table())}
    inactive = rows["inactive"]
    assert (inactive.renewals, inactive.lost, inactive.flagged, inactive.true_positives) == (4, 2, 2, 1)
    assert inactive.precision.value == 0.5 and inactive.recall.value == 0.5
    assert inactive.lead_days == (20,) and inactive.median_lead_days == 20.0
    score = rows["score"]
    assert (score.flagged, score.true_positives) == (2, 2)
    assert score.precision.value == 1.0 and score.recall.value == 1.0
    assert score.lead_days == (30, 5) and score.median_lead_days == 17.5  # the late alert counts with 5 days


def test_every_known_trigger_gets_a_row_even_if_it_never_fired_and_the_score_comes_last():
    rows = indicator_accuracy(*renewal_table())
    names = [row.indicator for row in rows]
    assert names[-2:] == ["custom_signal", "score"] and names[0] == "low_score"
    never = next(row for row in rows if row.indicator == "seats_inactive")
    assert never.flagged == 0 and never.precision.value is None and never.recall.value == 0.0
    assert never.median_lead_days is None


def test_a_longer_lookback_reaches_older_flags():
    rows = {r.indicator: r for r in indicator_accuracy(*renewal_table(), lookback_days=365)}
    assert rows["inactive"].lead_days == (20, 200) and rows["score"].flagged == 3


# --- AUC --------------------------------------------------------------------------------------


def test_auc_on_known_orderings():
    assert auc([10, 20, 30], [40, 50]) == 1.0
    assert auc([40, 50], [10, 20, 30]) == 0.0
    assert auc([50, 50], [50, 50, 50]) == 0.5
    assert auc([10, 60], [40, 50]) == 0.5
    assert auc([40], [40, 50]) == 0.75
    assert auc([], [1]) is None and auc([1], []) is None


@given(st.lists(st.integers(0, 100), min_size=1, max_size=30), st.lists(st.integers(0, 100), min_size=1, max_size=30))
def test_auc_is_a_probability_and_swapping_the_classes_mirrors_it(lost: list[int], won: list[int]):
    value = auc(lost, won)
    assert value is not None and 0.0 <= value <= 1.0
    assert value + auc(won, lost) == pytest.approx(1.0)  # type: ignore[operator]


def test_score_at_carries_the_latest_score_forward_a_week():
    history = points((date(2025, 5, 1), 70), (date(2025, 5, 3), 60))
    assert score_at(history, date(2025, 5, 5), 7) == 60
    assert score_at(history, date(2025, 5, 11), 7) is None
    assert score_at(history, date(2025, 4, 30), 7) is None


def test_score_auc_at_30_60_and_90_days_before_renewal():
    renewals = [
        RenewalFact("lost-a", CLOSE, won=False),
        RenewalFact("won-b", CLOSE, won=True),
        RenewalFact("won-c", CLOSE, won=True),
        RenewalFact("open-d", CLOSE, won=None),
    ]
    histories = {
        # at 90 days all look alike; by 30 days the lost account is clearly lowest
        "lost-a": points((before(90), 70), (before(60), 60), (before(30), 40)),
        "won-b": points((before(90), 70), (before(60), 60), (before(30), 75)),
        "won-c": points((before(90), 70), (before(60), 80), (before(30), 82)),
        "open-d": points((before(30), 10)),
    }
    rows = score_auc(renewals, histories)
    assert [(r.days_before, r.auc, r.lost, r.won) for r in rows] == [(30, 1.0, 1, 2), (60, 0.75, 1, 2), (90, 0.5, 1, 2)]
    assert score_auc(renewals[1:], histories)[0].auc is None
