"""Charts as inline SVG drawn on the server: no JavaScript, no CDN, nothing to fetch.

Pure functions from numbers to markup, so they are easy to test and cannot
touch the database. All text is escaped. Sizes live in a ``viewBox`` and the
SVG is ``width="100%"``, so a chart shrinks with a narrow window. Colours are
CSS classes (``series-0`` ...) that the page styles, which keeps the admin's
light and dark themes. Each chart has a ``<title>`` and a ``<desc>`` for
screen readers; the page adds the full numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 24
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def number(value: int) -> str:
    """A count with the active locale's digit grouping."""
    return number_format(value, force_grouping=True)


def line_chart(
    chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[int]
) -> SafeString:
    """One series as a line over a filled area, e.g. a running total per day."""
    top = nice_ceiling(max(values, default=0))
    points = [(_x(index, len(values)), _y(value, top)) for index, value in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body: list[str] = [_grid(top), _x_labels(labels, centred=False)]
    if points:
        area = f"{points[0][0]:.1f},{_y(0, top):.1f} {path} {points[-1][0]:.1f},{_y(0, top):.1f}"
        body.append(format_html('<polygon class="area series-0" points="{}"/>', area))
        body.append(format_html('<polyline class="line series-0" points="{}"/>', path))
    return _svg(chart_id, title, description, HEIGHT, body)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> SafeString:
    """Several series as grouped bars per label, with a legend, e.g. follows and unfollows."""
    top = nice_ceiling(max((value for _, values in series for value in values), default=0))
    slot = PLOT_WIDTH / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    names = [name for name, _ in series]
    body: list[str] = [_grid(top), _x_labels(labels, centred=True), _legend(names)]
    for index, (_, values) in enumerate(series):
        for position, value in enumerate(values):
            if not value:
                continue
            y = _y(value, top)
            body.append(
                format_html(
                    '<rect class="bar series-{}" x="{}" y="{}" width="{}" height="{}"/>',
                    index,
                    f"{LEFT + position * slot + slot * 0.1 + index * bar:.1f}",
                    f"{y:.1f}",
                    f"{bar:.1f}",
                    f"{TOP + PLOT_HEIGHT - y:.1f}",
                )
            )
    return _svg(chart_id, title, description, HEIGHT, body)


def share_chart(
    chart_id: str, title: str, description: str, parts: Sequence[tuple[str, int]]
) -> SafeString:
    """Parts of a whole as one stacked bar, each labelled with its count and share."""
    total = sum(value for _, value in parts)
    height = 40 + 22 * len(parts)
    body: list[str] = []
    x = float(LEFT)
    for index, (name, value) in enumerate(parts):
        width = PLOT_WIDTH * value / total if total else 0.0
        if width:
            body.append(
                format_html(
                    '<rect class="bar series-{}" x="{}" y="8" width="{}" height="24"/>',
                    index,
                    f"{x:.1f}",
                    f"{width:.1f}",
                )
            )
        x += width
        share = f"{100 * value / total:.0f}" if total else "0"
        body.append(
            format_html(
                '<rect class="bar series-{}" x="{}" y="{}" width="12" height="12"/>'
                '<text x="{}" y="{}">{}: {} ({}%)</text>',
                index,
                LEFT,
                44 + 22 * index,
                LEFT + 18,
                54 + 22 * index,
                name,
                number(value),
                share,
            )
        )
    return _svg(chart_id, title, description, height, body)


def _x(index: int, count: int) -> float:
    if count <= 1:
        return LEFT + PLOT_WIDTH / 2
    return LEFT + PLOT_WIDTH * index / (count - 1)


def _y(value: int, top: int) -> float:
    return TOP + PLOT_HEIGHT * (1 - value / top)


def _grid(top: int) -> str:
    """Horizontal lines at 0, half and the top of the scale, numbered on the left."""
    return format_html_join(
        "",
        '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (LEFT, WIDTH - RIGHT, f"{y:.1f}", f"{y:.1f}", LEFT - 6, f"{y + 4:.1f}", number(value))
            for value in sorted({0, top // 2, top})
            for y in (_y(value, top),)
        ),
    )


def _x_labels(labels: Sequence[str], *, centred: bool) -> str:
    """The first, middle and last labels: enough to read a time axis at any width.

    ``centred`` places them under the middle of bar slots, else on line points.
    """
    if not labels:
        return ""
    count = len(labels)
    picks = sorted({0, count // 2, count - 1})
    anchors = {0: "start", count - 1: "end"}
    return format_html_join(
        "",
        '<text class="axis" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (
                f"{LEFT + PLOT_WIDTH * (index + 0.5) / count if centred else _x(index, count):.1f}",
                HEIGHT - 6,
                anchors.get(index, "middle") if count > 1 else "middle",
                labels[index],
            )
            for index in picks
        ),
    )


def _legend(names: Sequence[str]) -> str:
    return format_html_join(
        "",
        '<rect class="bar series-{}" x="{}" y="6" width="12" height="12"/>'
        '<text x="{}" y="16">{}</text>',
        (
            (index, LEFT + 140 * index, LEFT + 140 * index + 18, name)
            for index, name in enumerate(names)
        ),
    )


def _svg(chart_id: str, title: str, description: str, height: int, body: list[str]) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="line-auth-chart" viewBox="0 0 {} {}"'
        ' width="100%" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        format_html_join("", "{}", ((part,) for part in body)),
    )
