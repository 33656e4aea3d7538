"""A grouped bar chart drawn on the server as SVG: no script, no inline style (colours are classes in
static/css/app.css), a title and description for assistive technology, and always shown next to the
table of the same numbers, which is the accessible version of the chart."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: The series of the public chart: the four statutory figures, each with its CSS modifier.
SERIES = (
    ("applications", "Applications", "applications"),
    ("threshold_not_met", "Threshold not met", "not-met"),
    ("reviews_carried_out", "Reviews carried out", "reviews"),
    ("reviews_with_recommendations", "Reviews with recommendations", "recommendations"),
)

WIDTH = 720
HEIGHT = 300
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 16
MARGIN_BOTTOM = 40


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    modifier: str
    label: str


@dataclass
class Chart:
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    #: (y, label) of each horizontal grid line.
    ticks: list[tuple[float, str]] = field(default_factory=list)
    #: (x, label) under each group of bars.
    groups: list[tuple[float, str]] = field(default_factory=list)
    plot_left: float = MARGIN_LEFT
    plot_right: float = WIDTH - MARGIN_RIGHT
    plot_bottom: float = HEIGHT - MARGIN_BOTTOM
    series: tuple[tuple[str, str, str], ...] = SERIES


def _nice_maximum(value: int) -> tuple[int, int]:
    """A round top for the axis and the step between its grid lines (at most about 5 lines)."""
    if value <= 4:
        return 4, 1
    step = 10 ** math.floor(math.log10(value / 4))
    for multiple in (1, 2, 5, 10):
        if value / (step * multiple) <= 5:
            step *= multiple
            break
    return int(math.ceil(value / step) * step), int(step)


def bar_chart(title: str, description: str, rows: list[tuple[str, dict[str, Any]]]) -> Chart:
    """``rows`` is ``[(group label, figures)]`` in the order to draw them, left to right."""
    chart = Chart(title=title, description=description)
    top, step = _nice_maximum(max((int(f.get(key) or 0) for _, f in rows for key, *_ in SERIES), default=0))
    plot_height = chart.plot_bottom - MARGIN_TOP
    for value in range(0, top + 1, step):
        chart.ticks.append((round(chart.plot_bottom - plot_height * value / top, 1), str(value)))
    if not rows:
        return chart
    group_width = (chart.plot_right - chart.plot_left) / len(rows)
    bar_width = min(28.0, group_width * 0.8 / len(SERIES))
    for index, (label, figures) in enumerate(rows):
        centre = chart.plot_left + group_width * (index + 0.5)
        chart.groups.append((round(centre, 1), label))
        first_x = centre - bar_width * len(SERIES) / 2
        for position, (key, series_label, modifier) in enumerate(SERIES):
            value = int(figures.get(key) or 0)
            height = plot_height * value / top
            chart.bars.append(
                Bar(
                    x=round(first_x + position * bar_width, 1),
                    y=round(chart.plot_bottom - height, 1),
                    width=round(bar_width - 2, 1),
                    height=round(height, 1),
                    modifier=modifier,
                    label=f"{label}, {series_label}: {value}",
                )
            )
    return chart
