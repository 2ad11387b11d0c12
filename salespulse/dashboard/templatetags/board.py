"""The board's cell, rendered in Python: a 50-seller board has hundreds of them, and an
{% include %} per cell costs more than the figures behind it."""

from django import template
from django.utils.html import format_html
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
    plan = (
        format_html(' <small class="plan">/ {}</small>', fmt.value(r.plan, unit, lang))
        if r.plan is not None
        else ""
    )
    pct = (
        format_html('<span class="pct">{}</span>', fmt.percent(r.completion, 0, lang))
        if r.completion is not None
        else ""
    )
    title = (
        format_html(' title="{}: {}"', _("forecast"), fmt.value(r.forecast, unit, lang))
        if r.forecast is not None
        else ""
    )
    return format_html(
        '<td class="cell pace-{}"{}><span class="fact">{}</span>{}'
        '<span class="line2">{}<span class="trend {}" title="{}: {}">{}</span>{}</span></td>',
        cell.pace,
        title,
        fmt.value(r.fact, unit, lang),
        plan,
        pct,
        cell.trend,
        _("against the previous period"),
        fmt.percent(r.change, 0, lang),
        ARROWS.get(cell.trend, ""),
        cell.spark,
    )
