"""Inline SVG charts drawn by our own code: no chart library, nothing from a CDN.

The SVG scales to its container (viewBox + width 100%), so one drawing fits a phone and
a laptop alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

Number = Decimal | int | float


def _scale(values: Sequence[Number | None]) -> float:
    top = max((float(v) for v in values if v is not None), default=0.0)
    return top if top > 0 else 1.0


def plan_fact_chart(
    labels: Sequence[str],
    fact: Sequence[Number | None],
    plan: Sequence[Number | None],
    title: str,
    width: int = 600,
    height: int = 180,
) -> str:
    """Fact (solid, with dots) against plan (dashed) over the same points."""
    n = len(labels)
    if n == 0:
        return ""
    pad_left, pad_bottom, pad_top = 6, 18, 8
    inner_w, inner_h = width - 2 * pad_left, height - pad_bottom - pad_top
    top = _scale(list(fact) + list(plan))

    def x(i: int) -> float:
        return pad_left + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def y(v: Number) -> float:
        return pad_top + inner_h * (1 - float(v) / top)

    def path(values: Sequence[Number | None]) -> str:
        parts, pen_down = [], False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{x(i):.1f},{y(v):.1f}")
            pen_down = True
        return " ".join(parts)

    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5"/>'
        for i, v in enumerate(fact)
        if v is not None
    )
    ticks = "".join(
        f'<text x="{x(i):.1f}" y="{height - 4}" text-anchor="{_anchor(i, n)}">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
        if n <= 8 or i % max(1, n // 6) == 0 or i == n - 1
    )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="none" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<line class="axis" x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - pad_left}" '
        f'y2="{pad_top + inner_h}"/>'
        f'<path class="plan" d="{path(plan)}"/>'
        f'<path class="fact" d="{path(fact)}"/><g class="dots">{dots}</g>'
        f'<g class="ticks">{ticks}</g></svg>'
    )


def _anchor(i: int, n: int) -> str:
    """Edge labels hang inwards, so the first and last ones are not cut off."""
    if n > 1 and i == 0:
        return "start"
    if n > 1 and i == n - 1:
        return "end"
    return "middle"


def sparkline(values: Sequence[Number | None], width: int = 80, height: int = 20) -> str:
    """A tiny trend line for a table cell."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    top = _scale([v for _, v in points])
    n = len(values)
    coords = " ".join(
        f"{(width - 2) * i / (n - 1) + 1:.1f},{height - 1 - (height - 2) * float(v) / top:.1f}"
        for i, v in points
    )
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><polyline points="{coords}"/></svg>'
    )
