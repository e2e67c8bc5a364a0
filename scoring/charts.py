"""The dashboard's charts, drawn on the server as inline SVG: no script, no library,
nothing fetched from outside (the site runs on closed networks). Each bar segment is a
link to the scores behind it, and carries a <title> a pointer or a screen reader shows.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from scoring.dashboard import Tally

# Colours that stay apart for the common colour blindnesses (blue / orange / grey).
COLOURS = {"yes": "#1a7f37", "no": "#cf222e", "na": "#8c959f"}
ROW = 22
LABEL_WIDTH = 190
BAR_WIDTH = 520
RATE_WIDTH = 70


def _legend(y: int) -> str:
    parts, x = [], LABEL_WIDTH
    for key, text in (("yes", _("YES")), ("no", _("NO")), ("na", _("NA"))):
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[key]}"></rect>'
            f'<text x="{x + 16}" y="{y + 11}">{escape(text)}</text>'
        )
        x += 70
    return "".join(parts)


def _segment(x: float, y: int, width: float, key: str, count: int, label: str, href: str) -> str:
    if count == 0:
        return ""
    tip = escape(f"{label}: {count} {key.upper()}")
    return (
        f'<a href="{escape(href)}"><rect x="{x:.1f}" y="{y}" width="{max(width, 1):.1f}" height="{ROW - 6}" '
        f'fill="{COLOURS[key]}"><title>{tip}</title></rect></a>'
    )


def stacked_bars(tallies: list[Tally], changelist_url: str, *, title: str) -> SafeString:
    """One horizontal bar per group, YES/NO/NA stacked to the group's share of the
    largest group, the compliance rate at the end."""
    if not tallies:
        return mark_safe("")
    biggest = max(t.total for t in tallies) or 1
    height = ROW * len(tallies) + 30
    width = LABEL_WIDTH + BAR_WIDTH + RATE_WIDTH
    rows = []
    for i, tally in enumerate(tallies):
        y = i * ROW + 4
        rows.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">{escape(tally.label[:28])}</text>')
        x = float(LABEL_WIDTH)
        for key in ("yes", "no", "na"):
            count = getattr(tally, key)
            w = BAR_WIDTH * count / biggest
            rows.append(_segment(x, y, w, key, count, tally.label, f"{changelist_url}?{tally.links[key]}"))
            x += w
        rows.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 12}">{escape(tally.rate_percent)}</text>')
    rows.append(_legend(ROW * len(tallies) + 12))
    # Every text in it went through escape(); numbers are formatted here.
    return mark_safe(  # noqa: S308
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" style="max-width:{width}px" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def daily_columns(tallies: list[Tally], changelist_url: str, *, title: str) -> SafeString:
    """One column per day, YES/NO/NA stacked, and the compliance rate as a line."""
    if not tallies:
        return mark_safe("")
    plot_h, top, left = 160, 10, 40
    step = max(6, min(40, 760 // len(tallies)))
    width = left + step * len(tallies) + 10
    height = top + plot_h + 60
    biggest = max(t.total for t in tallies) or 1
    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="#888"></line>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{biggest}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    points = []
    for i, tally in enumerate(tallies):
        x = left + i * step + 1
        y = float(top + plot_h)
        for key in ("yes", "no", "na"):
            count = getattr(tally, key)
            h = plot_h * count / biggest
            y -= h
            if count:
                tip = escape(f"{tally.label}: {count} {key.upper()}")
                href = escape(f"{changelist_url}?{tally.links[key]}")
                parts.append(
                    f'<a href="{href}"><rect x="{x}" y="{y:.1f}" width="{step - 2}" height="{max(h, 1):.1f}" '
                    f'fill="{COLOURS[key]}"><title>{tip}</title></rect></a>'
                )
        if tally.rate is not None:
            points.append(f"{x + (step - 2) / 2:.1f},{top + plot_h * (1 - tally.rate):.1f}")
        if len(tallies) <= 16 or i % max(1, len(tallies) // 12) == 0:
            parts.append(
                f'<text x="{x}" y="{top + plot_h + 14}" transform="rotate(45 {x} {top + plot_h + 14})">'
                f"{escape(tally.label[5:])}</text>"
            )
    if len(points) > 1:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#0969da" stroke-width="2">'
            f"<title>{escape(_('compliance rate'))}</title></polyline>"
        )
    # Every text in it went through escape(); numbers are formatted here.
    return mark_safe(  # noqa: S308
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" style="max-width:{max(width, 400)}px" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
