"""The console's charts are plain geometry: scores map onto the tier bands, markers onto their days."""

from __future__ import annotations

from datetime import date, timedelta

from connector.console.charts import HEIGHT, score_chart, sparkline, tier_bars
from scoring.rules import TIERS, TierBands

START = date(2026, 1, 1)
END = START + timedelta(days=89)


def test_a_score_of_100_is_drawn_at_the_top_and_0_at_the_bottom_of_the_bands():
    chart = score_chart([(START, 100, "healthy"), (END, 0, "churning")], START, END, TierBands())
    top, bottom = chart.points
    assert top.y == chart.bands[0].y == chart.plot_top
    assert bottom.y == chart.plot_bottom == HEIGHT - 26
    assert (top.x, bottom.x) == (chart.plot_left, chart.plot_right)


def test_the_tier_bands_follow_the_configured_bounds_without_gaps():
    chart = score_chart([], START, END, TierBands(healthy=90, monitor=70, at_risk=50, critical=30))
    assert [b.tier for b in chart.bands] == list(TIERS)
    for upper, lower in zip(chart.bands, chart.bands[1:], strict=False):
        assert abs(upper.y + upper.height - lower.y) < 1e-9
    assert chart.bands[0].height < chart.bands[1].height  # 90-100 is narrower than 70-90


def test_markers_and_points_outside_the_range_are_left_out():
    history = [
        (START - timedelta(days=1), 50, "at_risk"),
        (START, 60, "monitor"),
        (END + timedelta(days=1), 70, "monitor"),
    ]
    marks = [(START - timedelta(days=5), "intervention", "old"), (START + timedelta(days=3), "intervention", "call"),
             (END, "outcome", "renewal won")]  # fmt: skip
    chart = score_chart(history, START, END, TierBands(), marks)
    assert [p.score for p in chart.points] == [60]
    assert [m.label for m in chart.interventions] == ["call"] and [m.label for m in chart.outcomes] == ["renewal won"]


def test_a_sparkline_keeps_only_the_days_of_its_window():
    scores = [(END - timedelta(days=n), 50 + n) for n in range(20)]
    line = sparkline(scores, END, 14)
    assert line.count == 14 and line.last is not None
    assert sparkline([], END, 14).points == ""


def test_each_week_is_one_stacked_bar_of_its_tiers():
    weeks = {START: {"healthy": 3, "at_risk": 1}, START + timedelta(days=7): {"churning": 2}}
    segments = tier_bars(weeks, TIERS)
    assert [(s.tier, s.count) for s in segments] == [("at_risk", 1), ("healthy", 3), ("churning", 2)]
    first = [s for s in segments if s.x == segments[0].x]
    assert abs(sum(s.height for s in first) - segments[-1].height) < 1e-9  # each bar is scaled to its own total
