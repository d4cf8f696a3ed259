"""Server-side SVG charts: no JavaScript, no CDN, readable without colour (labels and titles).

The x-axis holds every day of the range, with or without warnings, so one busy day is one
narrow bar among quiet ones; the y-axis has round ticks (1, 2 or 5 times a power of ten).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from html import escape

from markupsafe import Markup

COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#6b7280")


def day_range(first: dt.date, last: dt.date) -> list[str]:
    """Every day from ``first`` to ``last`` inclusive, as YYYY-MM-DD."""
    count = (last - first).days + 1
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(max(count, 0))]


def ticks(peak: int, most: int = 5) -> list[int]:
    """Round y-axis values from 0 to at least ``peak``, at most ``most`` + 1 of them.

    >>> ticks(7)
    [0, 2, 4, 6, 8]
    >>> ticks(1)
    [0, 1]
    >>> ticks(1234)
    [0, 500, 1000, 1500]
    """
    if peak <= 0:
        return [0, 1]
    rough = peak / most
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return list(range(0, math.ceil(peak / step) * step + 1, step))


def _label(day: str) -> str:
    return dt.date.fromisoformat(day).strftime("%b %d").replace(" 0", " ")


def stacked_bars(
    rows: list[tuple[str, str, int]],
    days: list[str] | None = None,
    width: int = 760,
    height: int = 240,
) -> Markup:
    """Warnings per day, stacked by platform (the six largest, then "other")."""
    if not rows:
        return Markup('<p class="muted">No warnings in this period.</p>')
    totals: dict[str, int] = defaultdict(int)
    for _, platform, n in rows:
        totals[platform] += n
    named = [p for p, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:6]]
    series = [*named, "other"] if len(totals) > len(named) else named
    by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, platform, n in rows:
        by_day[day][platform if platform in named else "other"] += n
    days = sorted(set(days or []) | set(by_day))
    scale = ticks(max(sum(v.values()) for v in by_day.values()))
    top_value = scale[-1]
    left, bottom, top = 44, 34, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    slot = plot_w / len(days)
    base = top + plot_h
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" width="100%" '
        f'viewBox="0 0 {width} {height + 24 * len(series) // 4 + 30}" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Warnings per day by platform</title>',
    ]
    for value in scale:
        y = base - value / top_value * plot_h
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
            f'stroke="{"#999" if value == 0 else "#e5e7eb"}"/>'
            f'<text class="y-tick" x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end">{value}</text>'
        )
    every = max(math.ceil(len(days) / 12), 1)
    for i, day in enumerate(days):
        x = left + i * slot + slot * 0.1
        y = float(base)
        for s, platform in enumerate(series):
            n = by_day.get(day, {}).get(platform, 0)
            if not n:
                continue
            h = n / top_value * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(slot * 0.8, 1):.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(day)}: '
                f"{escape(platform)} {n}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text class="x-tick" x="{left + (i + 0.5) * slot:.1f}" y="{base + 16}" '
                f'font-size="10" text-anchor="middle">{escape(_label(day))}</text>'
            )
    totals["other"] = sum(n for p, n in totals.items() if p not in named and p != "other")
    for s, platform in enumerate(series):
        lx, ly = left + (s % 4) * 180, height + 10 + (s // 4) * 22
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{COLOURS[s % len(COLOURS)]}"/>'
            f'<text x="{lx + 18}" y="{ly + 11}" font-size="12">{escape(platform)} '
            f"({totals[platform]})</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
