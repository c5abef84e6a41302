"""Inline SVG bar charts drawn on the server: no JavaScript, no build step, no image files.

Each chart is decorative for assistive technology (``aria-hidden``); the template puts the same
numbers in a table beside it for screen readers. Bars carry a ``<title>`` for a mouse hover.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

GRANT_COLOUR = "#1a7f37"
WITHDRAW_COLOUR = "#cf222e"
WIDTH, HEIGHT = 372, 132
LEFT, RIGHT, TOP, BOTTOM = 28, 6, 8, 22


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4 if value > 4 else max(value, 1)
    return value


def grouped_bars(*, labels: list[str], first: list[int], second: list[int],
                 first_name: str, second_name: str) -> SafeString:
    """Two bars per column (``first`` green, ``second`` red) over the column ``labels``."""
    columns = len(labels)
    top = _nice_max(max([*first, *second, 0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / columns
    bar = max(slot / 2 - 2, 2)
    baseline = TOP + plot_h
    bars = []
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        x = LEFT + i * slot + 1
        for offset, value, colour, name in ((0, a, GRANT_COLOUR, first_name),
                                            (bar + 1, b, WITHDRAW_COLOUR, second_name)):
            h = plot_h * value / top
            bars.append((f"{x + offset:.1f}", f"{baseline - h:.1f}", f"{bar:.1f}", f"{h:.1f}",
                         colour, f"{labels[i]}: {name} {value}"))
    rects = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        bars)
    ticks = format_html_join(
        "", '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#57606a">{}</text>',
        ((f"{LEFT + i * slot + slot / 2:.1f}", HEIGHT - 6, labels[i])
         for i in range(columns) if i % 3 == 0 or i == columns - 1))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="dash-chart" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" aria-hidden="true" focusable="false">'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#8c959f" stroke-width="1"/>'
        '<line x1="{l}" y1="{t}" x2="{r}" y2="{t}" stroke="#d0d7de" stroke-dasharray="2 3"/>'
        '<text x="{tx}" y="{ty}" font-size="10" text-anchor="end" fill="#57606a">{top}</text>'
        '<text x="{tx}" y="{b}" font-size="10" text-anchor="end" fill="#57606a">0</text>'
        "{rects}{ticks}</svg>",
        w=WIDTH, h=HEIGHT, l=LEFT, r=WIDTH - RIGHT, b=baseline, t=TOP, tx=LEFT - 4,
        ty=TOP + 4, top=top, rects=rects, ticks=ticks or mark_safe(""))
