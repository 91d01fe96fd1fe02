"""Charts as plain geometry for inline SVG (templates draw them): no JavaScript, no network, no image files.

`score_chart` lays out an account's daily scores over the tier bands, with markers where interventions
were decided and where outcomes landed; `sparkline` is the small line beside each account in the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from scoring.rules import TIER_LABELS, TierBands

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 10, 26
TIER_CLASSES = {"healthy": "band-healthy", "monitor": "band-monitor", "at_risk": "band-at-risk",
                "critical": "band-critical", "churning": "band-churning"}  # fmt: skip


@dataclass(frozen=True)
class Band:
    tier: str
    label: str
    y: float
    height: float
    css: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    day: date
    score: int
    tier: str


@dataclass(frozen=True)
class Marker:
    """A vertical mark on a day: `kind` is intervention or outcome; `label` says what happened."""

    x: float
    day: date
    kind: str
    label: str


@dataclass
class ScoreChart:
    start: date
    end: date
    width: int = WIDTH
    height: int = HEIGHT
    bands: list[Band] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT

    @property
    def line(self) -> str:
        """The polyline's points attribute (a gap in history is drawn straight across)."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def interventions(self) -> list[Marker]:
        return [m for m in self.markers if m.kind == "intervention"]

    @property
    def outcomes(self) -> list[Marker]:
        return [m for m in self.markers if m.kind == "outcome"]


def _x(day: date, start: date, end: date) -> float:
    span = max(1, (end - start).days)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span


def _y(score: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / 100)


def score_chart(
    history: Sequence[tuple[date, int, str]],
    start: date,
    end: date,
    bands: TierBands,
    markers: Sequence[tuple[date, str, str]] = (),
) -> ScoreChart:
    """history: (day, score, tier) oldest first; markers: (day, kind, label), kept when inside the range."""
    chart = ScoreChart(start, end)
    bounds = [("healthy", bands.healthy, 100), ("monitor", bands.monitor, bands.healthy),
              ("at_risk", bands.at_risk, bands.monitor), ("critical", bands.critical, bands.at_risk),
              ("churning", 0, bands.critical)]  # fmt: skip
    for tier, low, high in bounds:
        chart.bands.append(Band(tier, TIER_LABELS[tier], _y(high), _y(low) - _y(high), TIER_CLASSES[tier]))
    chart.points = [
        Point(_x(day, start, end), _y(score), day, score, tier) for day, score, tier in history if start <= day <= end
    ]
    chart.markers = [
        Marker(_x(day, start, end), day, kind, label) for day, kind, label in markers if start <= day <= end
    ]
    chart.y_ticks = [(_y(v), v) for v in (0, 20, 40, 60, 80, 100)]
    step = 7 if (end - start).days <= 45 else 30 if (end - start).days <= 200 else 61
    day = start
    while day <= end:
        chart.x_ticks.append((_x(day, start, end), day.isoformat()))
        day += timedelta(days=step)
    return chart


@dataclass(frozen=True)
class Sparkline:
    points: str
    width: int
    height: int
    count: int
    last: tuple[float, float] | None


def sparkline(scores: Sequence[tuple[date, int]], end: date, days: int, width: int = 80, height: int = 20) -> Sparkline:
    """A small line of daily scores over the last `days` days (0-100 on a fixed scale, so lines compare)."""
    start = end - timedelta(days=days - 1)
    coords = [
        (1 + (width - 2) * (day - start).days / max(1, days - 1), 1 + (height - 2) * (1 - score / 100))
        for day, score in scores
        if start <= day <= end
    ]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return Sparkline(points, width, height, len(coords), coords[-1] if coords else None)


@dataclass(frozen=True)
class Segment:
    tier: str
    count: int
    x: float
    y: float
    width: float
    height: float
    css: str


def tier_bars(
    weeks: dict[date, dict[str, int]], tiers: Sequence[str], width: int = WIDTH, height: int = 180
) -> list[Segment]:
    """Stacked bars, one per week, of how many accounts were in each tier (each bar scaled to its own total)."""
    segments: list[Segment] = []
    if not weeks:
        return segments
    slot = (width - LEFT - RIGHT) / len(weeks)
    for n, (_, counts) in enumerate(sorted(weeks.items())):
        total = sum(counts.values()) or 1
        y = float(height - BOTTOM)
        for tier in reversed(tiers):
            count = counts.get(tier, 0)
            h = (height - BOTTOM - TOP) * count / total
            y -= h
            if count:
                segments.append(Segment(tier, count, LEFT + n * slot + 1, y, max(1.0, slot - 2), h, TIER_CLASSES[tier]))
    return segments
