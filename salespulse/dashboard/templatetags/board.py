"""The board's cell, rendered in Python: a 50-seller board has hundreds of them, and an
{% include %} per cell costs more than the figures behind it."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from salespulse.lib import fmt

register = template.Library()

ARROWS = {"up": "▲", "down": "▼", "flat": "▶", "none": ""}


def _lang() -> str:
    return "en" if (get_language() or "ru").startswith("en") else "ru"


@register.filter
def board_cell(cell) -> SafeString:
    """A <td> with fact / plan, % of plan to date, the trend arrow and the sparkline."""
    if cell is None:
        return mark_safe('<td class="cell none">—</td>')
    lang = _lang()
    r, unit = cell.result, cell.kpi.unit
    # Every piece is our own formatting of numbers or a translated label: escaped once here,
    # without format_html's per-argument machinery (a board has hundreds of cells).
    parts = [f'<td class="cell pace-{cell.pace}"']
    title = []
    if r.forecast is not None:
        title.append(f"{escape(_('forecast'))}: {fmt.value(r.forecast, unit, lang)}")
    if title:
        parts.append(f' title="{"; ".join(title)}"')
    parts.append(f'><span class="fact">{fmt.value(cell.shown_fact, unit, lang)}</span>')
    if r.plan is not None:
        parts.append(f' <small class="plan">/ {fmt.value(r.plan, unit, lang)}</small>')
    parts.append('<span class="line2">')
    if cell.shown_pct is not None:
        parts.append(f'<span class="pct">{fmt.percent(cell.shown_pct, 0, lang)}</span>')
    trend = escape(_("against the previous period"))
    parts.append(
        f'<span class="trend {cell.trend}" title="{trend}: {fmt.percent(r.change, 0, lang)}">'
        f"{ARROWS.get(cell.trend, '')}</span>{cell.spark}</span></td>"
    )
    return mark_safe("".join(parts))  # noqa: S308 - numbers we format, labels escaped
