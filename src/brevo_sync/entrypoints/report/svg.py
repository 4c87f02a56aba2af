"""Charts as inline SVG strings: columns, bars, a funnel and a line, drawn here in Python.

No chart library and nothing fetched: the page must open offline, print, and read on a phone.
Each chart is a `viewBox` drawing that scales to its container's width (the text scales with
it); colours come from CSS classes (`.s0`, `.s1`, ...) so the page's print style can change
them. Every chart carries a `<title>` and an `aria-label`, and the page puts the same numbers
in a table beside it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# The drawing's own units. Narrow on purpose: scaled to a phone's width (~340 px) the text
# stays readable, and the page caps a chart's width so it does not grow huge on a desktop.
WIDTH = 460
ROW = 32  # height of one horizontal bar row
LABEL = 150  # room for the labels of horizontal bars


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per category; None: no value (nothing drawn)


def compact(value: float) -> str:
    """`1.2M`, `350k`, `42`: axis labels and bar ends (tables show the exact figures)."""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            text = f"{value / limit:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    return f"{value:.1f}".removesuffix(".0") if size < 10 else f"{value:.0f}"


def nice_max(value: float) -> float:
    """The top of an axis: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _svg(height: float, title: str, body: list[str], css: str = "chart") -> str:
    label = escape(title, quote=True)
    return (
        f'<svg class="{css}" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls}>{escape(text)}</text>'


def _legend(series: Sequence[Series], y: float) -> list[str]:
    parts, x = [], 8.0
    for i, s in enumerate(series):
        parts.append(f'<rect class="s{i}" x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12"/>')
        parts.append(_text(x + 18, y, s.name, "legend"))
        x += 26 + 7 * len(s.name)
    return parts


def column_chart(categories: Sequence[str], series: Sequence[Series], title: str) -> str:
    """Grouped vertical columns, one group per category (months), one column per series."""
    height, top, bottom, left = 260.0, 30.0, 40.0, 48.0
    plot_h, plot_w = height - top - bottom, WIDTH - left - 10
    peak = nice_max(max((v or 0 for s in series for v in s.values), default=0))
    body = _legend(series, 16)
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line class="grid" x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(_text(left - 6, y + 4, compact(peak * tick / 4), "axis", "end"))
    group = plot_w / max(len(categories), 1)
    bar = min(group * 0.8 / max(len(series), 1), 48)
    for c, name in enumerate(categories):
        x0 = left + group * c + (group - bar * len(series)) / 2
        for i, s in enumerate(series):
            value = s.values[c] if c < len(s.values) else None
            if value is None:
                continue
            h = plot_h * value / peak
            x, y = x0 + bar * i, top + plot_h - h
            body.append(
                f'<rect class="s{i}" x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}"><title>{escape(f"{name} {s.name}: {value:,.2f}")}</title></rect>'
            )
        body.append(_text(left + group * (c + 0.5), height - bottom + 16, name, "axis", "middle"))
    return _svg(height, title, body)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    *,
    unit: str = "",
    markers: Sequence[float | None] = (),
    marker_name: str = "",
) -> str:
    """Horizontal bars, one row per label; series overlap (the first is drawn widest), and an
    optional marker per row (a limit, e.g. a stage's maximum days)."""
    top = 30.0
    height = top + ROW * len(labels) + 10
    values = [v or 0 for s in series for v in s.values] + [m or 0 for m in markers]
    peak = nice_max(max(values, default=0))
    plot_w = WIDTH - LABEL - 50
    body = _legend(series, 16)
    if marker_name and any(m is not None for m in markers):
        key = 8.0 + sum(26 + 7 * len(s.name) for s in series)
        body.append(f'<line class="marker" x1="{key:.1f}" x2="{key:.1f}" y1="6" y2="18"/>')
        body.append(_text(key + 8, 16, marker_name, "legend"))
    for r, label in enumerate(labels):
        y = top + ROW * r
        body += _row_label(label, y)
        for i, s in enumerate(series):
            value = s.values[r] if r < len(s.values) else None
            if value is None:
                continue
            w = plot_w * value / peak
            inset = 4 + 4 * i  # a later series is drawn thinner, inside the first
            body.append(
                f'<rect class="s{i}" x="{LABEL}" y="{y + inset:.1f}" width="{max(w, 1):.1f}" '
                f'height="{ROW - 2 * inset:.1f}"><title>'
                f"{escape(f'{label} {s.name}: {value:,.2f}{unit}')}</title></rect>"
            )
        first = series[0].values[r] if series and r < len(series[0].values) else None
        marker = markers[r] if r < len(markers) else None
        end: float = LABEL
        if marker is not None:
            x = LABEL + plot_w * marker / peak
            end = x + 2
            body.append(
                f'<line class="marker" x1="{x:.1f}" x2="{x:.1f}" y1="{y + 2:.1f}" '
                f'y2="{y + ROW - 2:.1f}"/>'
            )
        if first is not None:  # the figure after the bar, or after the marker when further
            end = max(end, LABEL + plot_w * first / peak)
            body.append(_text(end + 5, y + ROW / 2 + 4, compact(first) + unit, "value"))
    return _svg(height, title, body)


def funnel_chart(steps: Sequence[tuple[str, int]], title: str) -> str:
    """Centred bars narrowing with the count that reached each stage, the conversion from
    the step before written beside each."""
    top = 8.0
    height = top + ROW * len(steps) + 8
    peak = max((n for _, n in steps), default=0) or 1
    centre, plot_w = LABEL + (WIDTH - LABEL - 44) / 2, WIDTH - LABEL - 44
    body: list[str] = []
    previous: int | None = None
    for r, (label, count) in enumerate(steps):
        y = top + ROW * r
        w = max(plot_w * count / peak, 2)
        body += _row_label(label, y)
        body.append(
            f'<rect class="s0" x="{centre - w / 2:.1f}" y="{y + 3:.1f}" width="{w:.1f}" '
            f'height="{ROW - 6}"><title>{escape(f"{label}: {count:,}")}</title></rect>'
        )
        body.append(_text(centre, y + ROW / 2 + 4, f"{count:,}", "inbar", "middle"))
        if previous:
            rate = 100 * count / previous
            body.append(_text(WIDTH - 8, y + ROW / 2 + 4, f"{rate:.0f}%", "value", "end"))
        previous = count
    return _svg(height, title, body)


def line_chart(categories: Sequence[str], values: Sequence[float | None], title: str) -> str:
    """A percentage over time (0-100 %): points joined where consecutive, gaps left open."""
    height, top, bottom, left = 220.0, 16.0, 40.0, 48.0
    plot_h, plot_w = height - top - bottom, WIDTH - left - 20
    body: list[str] = []
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<line class="grid" x1="{left}" x2="{WIDTH - 20}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(_text(left - 6, y + 4, f"{25 * tick}%", "axis", "end"))
    step = plot_w / max(len(categories), 1)
    points: list[tuple[float, float] | None] = []
    for c, name in enumerate(categories):
        x = left + step * (c + 0.5)
        body.append(_text(x, height - bottom + 16, name, "axis", "middle"))
        value = values[c] if c < len(values) else None
        points.append(None if value is None else (x, top + plot_h - plot_h * value / 100))
    run: list[str] = []
    for point in [*points, None]:
        if point is not None:
            run.append(f"{point[0]:.1f},{point[1]:.1f}")
        elif run:
            body.append(f'<polyline class="line" points="{" ".join(run)}"/>')
            run = []
    for c, point in enumerate(points):
        value = values[c] if c < len(values) else None
        if point is None or value is None:
            continue
        body.append(
            f'<circle class="dot" cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="4"><title>'
            f"{escape(f'{categories[c]}: {value:.1f}%')}</title></circle>"
        )
        body.append(_text(point[0], point[1] - 9, f"{value:.0f}%", "value", "middle"))
    return _svg(height, title, body)


def _row_label(label: str, y: float) -> list[str]:
    """A bar's label right-aligned before it: `Stage (Pipeline)` on two lines, the pipeline
    small, so long names fit a phone's width."""
    name, _, rest = label.partition(" (")
    if not rest:
        return [_text(LABEL - 6, y + ROW / 2 + 4, _clip(label, 19), "label", "end")]
    return [
        _text(LABEL - 6, y + ROW / 2 - 1, _clip(name, 19), "label", "end"),
        _text(LABEL - 6, y + ROW / 2 + 12, _clip(rest.removesuffix(")"), 23), "axis", "end"),
    ]


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
