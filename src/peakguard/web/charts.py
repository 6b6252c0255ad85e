"""Charts as server-rendered SVG: this module turns numbers into shapes (rectangles, polyline
points, axis ticks) in a fixed view box, and ``templates/_chart.html`` draws them. No chart
library, no JavaScript: a chart is readable the moment the fragment arrives."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 34


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[float]
    hints: list[str] = field(default_factory=list)
    """Per value, what the hover title says instead of the plotted number (e.g. the raw count
    behind a percentage)."""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    colour: str
    title: str


@dataclass(frozen=True)
class Chart:
    """``kind`` is ``bars`` (grouped bars per label) or ``lines`` (one polyline per series)."""

    key: str
    title: str
    kind: str
    labels: list[str]
    series: list[Series]
    note: str = ""
    limits: list[tuple[float, str]] = field(default_factory=list)
    """Horizontal marks such as a plan threshold: (value, text)."""
    empty: str = ""
    """What to say instead of a chart when there is nothing to draw."""
    unit: str = ""
    """Appended to the axis ticks, e.g. ``%``."""
    glossary: list[tuple[str, str]] = field(default_factory=list)
    """What short axis labels stand for, shown under the chart: (label, name)."""

    @property
    def top(self) -> float:
        values = [v for s in self.series for v in s.values] + [v for v, _ in self.limits]
        return nice_ceiling(max(values, default=0.0))

    def y(self, value: float) -> float:
        span = HEIGHT - TOP - BOTTOM
        return round(HEIGHT - BOTTOM - span * (value / self.top if self.top else 0.0), 1)

    def ticks(self) -> list[tuple[float, str]]:
        step = self.top / 4
        return [(self.y(step * i), _short(step * i) + self.unit) for i in range(5)]

    def slot(self, i: int) -> tuple[float, float]:
        """The x start and width of label ``i``'s slot."""
        width = (WIDTH - LEFT - RIGHT) / max(len(self.labels), 1)
        return LEFT + width * i, width

    def label_positions(self) -> list[tuple[float, str]]:
        every = max(1, math.ceil(len(self.labels) / 12))
        return [
            (round(self.slot(i)[0] + self.slot(i)[1] / 2, 1), label)
            for i, label in enumerate(self.labels)
            if i % every == 0
        ]

    def rects(self) -> list[Rect]:
        out = []
        n = max(len(self.series), 1)
        for i, label in enumerate(self.labels):
            x0, width = self.slot(i)
            bar = width * 0.8 / n
            for j, s in enumerate(self.series):
                value = s.values[i]
                y = self.y(value)
                out.append(
                    Rect(
                        x=round(x0 + width * 0.1 + bar * j, 1),
                        y=y,
                        w=round(bar, 1),
                        h=round(HEIGHT - BOTTOM - y, 1),
                        colour=s.colour,
                        title=f"{label} {s.name}{colon(s.name)}{s.hints[i] if s.hints else _short(value)}",
                    )
                )
        return out

    def polylines(self) -> list[tuple[Series, str]]:
        lines = []
        for s in self.series:
            points = []
            for i, value in enumerate(s.values):
                x0, width = self.slot(i)
                points.append(f"{round(x0 + width / 2, 1)},{self.y(value)}")
            lines.append((s, " ".join(points)))
        return lines


def nice_ceiling(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def colon(text: str) -> str:
    """The colon after ``text``: full-width after Chinese (the series names are in the page's
    language, the chart itself knows none)."""
    return "：" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ": "


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
