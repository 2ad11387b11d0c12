"""The funnel as an inline SVG: one horizontal bar per stage, conversions between them.

Count stages are drawn to scale against the widest of them (the first stage, normally).
Revenue is money, not a count of anything, so its bar takes the width of the deals bar
it is the value of; its label carries the amount. The bottleneck step's label and the bar
it leads into have the class "bottleneck". Labels come translated from the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from html import escape

from salespulse.lib import fmt
from salespulse.lib.funnel import REVENUE, Funnel, FunnelRow, Step

BAR_H = 26
GAP_H = 22
LABEL_W = 190
MIN_BAR = 2.0
# Self-contained looks, so the drawing reads the same wherever it is embedded.
STYLE = (
    "<style>.funnel rect{fill:#8fb3e3}.funnel .bottleneck rect{fill:#e06c5f}"
    ".funnel text{font:13px sans-serif;fill:#333}"
    ".funnel text.step{fill:#666}.funnel text.step.bottleneck{fill:#c0392b;font-weight:700}"
    "</style>"
)


def step_text(step: Step, value: Decimal | None, lang: str = "ru") -> str:
    """A step's conversion as shown: a percent, or money per deal for the average check."""
    if value is None:
        return fmt.DASH
    if step.per_unit:
        return fmt.money(value, lang)
    return fmt.percent(value, 0 if value >= Decimal("0.1") else 1, lang)


def stage_text(stage: str, value: Decimal | None, lang: str = "ru") -> str:
    if value is None:
        return fmt.DASH
    return fmt.money(value, lang) if stage == REVENUE else fmt.number(value, 0, lang)


def funnel_bars(
    funnel: Funnel,
    labels: Mapping[str, str],
    title: str,
    *,
    row: FunnelRow | None = None,
    lang: str = "ru",
    width: int = 600,
) -> str:
    """The team's funnel (or one seller's `row` of it) as an accessible SVG."""
    row = row if row is not None else funnel.team
    if not funnel.stages:
        return ""
    counts = [row.values[s] for s in funnel.stages if s != REVENUE]
    top = max((float(v) for v in counts if v is not None), default=0.0) or 1.0
    area = width - LABEL_W - 6
    centre = LABEL_W + area / 2

    def bar_width(stage: str) -> float:
        if stage == REVENUE:
            deals = row.values.get("deals_count")
            if deals is None:
                return area  # revenue alone: nothing to scale against
            return max(MIN_BAR, area * float(deals) / top) if deals else MIN_BAR
        value = row.values[stage]
        return max(MIN_BAR, area * float(value or 0) / top)

    parts: list[str] = []
    y = 4
    for i, stage in enumerate(funnel.stages):
        if i > 0:
            step = funnel.steps[i - 1]
            hot = step == row.bottleneck
            text = f"↓ {step_text(step, row.conversions[step], lang)}"
            parts.append(
                f'<text class="step{" bottleneck" if hot else ""}" x="{LABEL_W - 8}" '
                f'y="{y + GAP_H - 7}" text-anchor="end">{escape(text)}</text>'
            )
            y += GAP_H
        w = bar_width(stage)
        text = f"{labels.get(stage, stage)} {stage_text(stage, row.values[stage], lang)}"
        into_bottleneck = i > 0 and funnel.steps[i - 1] == row.bottleneck
        parts.append(
            f'<g class="stage stage-{escape(stage)}{" bottleneck" if into_bottleneck else ""}">'
            f'<rect x="{centre - w / 2:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" rx="3"/>'
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 8}" text-anchor="end">'
            f"{escape(text)}</text></g>"
        )
        y += BAR_H
    height = y + 4
    return (
        f'<svg class="chart funnel" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"{STYLE}{''.join(parts)}</svg>"
    )
