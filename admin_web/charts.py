"""Server-side SVG charts: no JavaScript, no CDN, readable without colour (labels and titles)."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from markupsafe import Markup

COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#6b7280")


def stacked_bars(rows: list[tuple[str, str, int]], width: int = 760, height: int = 240) -> Markup:
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
    days = sorted(by_day)
    peak = max(sum(v.values()) for v in by_day.values())
    left, bottom, top = 40, 30, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    bar_w = max(plot_w / len(days) * 0.8, 1)
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" width="100%" '
        f'viewBox="0 0 {width} {height + 24 * len(series) // 4 + 30}" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Warnings per day by platform</title>',
        f'<text x="0" y="{top + 10}" font-size="11">{peak}</text>',
        f'<text x="0" y="{top + plot_h}" font-size="11">0</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        'stroke="#999"/>',
    ]
    for i, day in enumerate(days):
        x = left + i * plot_w / len(days)
        y = float(top + plot_h)
        for s, platform in enumerate(series):
            n = by_day[day].get(platform, 0)
            if not n:
                continue
            h = n / peak * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(day)}: {escape(platform)} '
                f"{n}</title></rect>"
            )
        if len(days) <= 15 or i % max(len(days) // 10, 1) == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" font-size="10">{escape(day[5:])}</text>'
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
