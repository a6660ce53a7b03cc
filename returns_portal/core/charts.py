"""Small server-side SVG charts for the dashboard: no JavaScript, no external library or CDN.
Labels are escaped; sizes are fixed so the page does not move while it loads."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK, MUTED, ACCENT, WARN = "#1b2330", "#4f5b6b", "#0a5aa8", "#b54708"


def bars(
    rows: Sequence[tuple[str, float, str]], *, width: int = 620, label_width: int = 220, warn: set[str] | None = None
) -> SafeString:
    """Horizontal bars: (label, value, text shown after the bar). Labels in `warn` are drawn in orange."""
    row_height, top = 24, 4
    biggest = max((value for _label, value, _text in rows), default=0) or 1
    room = width - label_width - 120  # space for the value text after the longest bar
    parts = []
    for index, (label, value, text) in enumerate(rows):
        y = top + index * row_height
        length = max(1.0, room * value / biggest) if value else 0
        colour = WARN if warn and label in warn else ACCENT
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">{escape(label[:34])}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="16" rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" fill="{MUTED}">{escape(text)}</text>'
        )
    height = top * 2 + max(1, len(rows)) * row_height
    return _svg(width, height, "".join(parts))


def columns(points: Sequence[tuple[str, float]], *, width: int = 620, height: int = 170) -> SafeString:
    """Vertical columns over time, e.g. returns per week; every few labels shown under the axis."""
    if not points:
        return _svg(width, 40, f'<text x="0" y="20" fill="{MUTED}">No returns in this period.</text>')
    bottom, left = height - 24, 36
    biggest = max(value for _label, value in points) or 1
    step = (width - left) / len(points)
    every = max(1, len(points) // 8)
    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="{MUTED}"/>',
        f'<text x="{left - 6}" y="14" text-anchor="end" fill="{MUTED}">{int(biggest)}</text>',
    ]
    for index, (label, value) in enumerate(points):
        bar_height = (bottom - 8) * value / biggest
        x = left + index * step
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{bottom - bar_height:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar_height:.1f}" fill="{ACCENT}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        if index % every == 0:
            centre = x + step / 2
            parts.append(
                f'<text x="{centre:.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
            )
    return _svg(width, height, "".join(parts))


def _svg(width: int, height: int, body: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif" font-size="12" role="img">{body}</svg>'
    )
