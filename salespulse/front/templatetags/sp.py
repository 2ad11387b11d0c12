"""Template filters that format figures the Russian way (or English, by the active language)."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from salespulse.lib import fmt

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "ru").startswith("en") else "ru"


@register.filter
def kpi_value(value, unit: str) -> str:
    if isinstance(value, str):  # figures kept in report versions as decimal strings
        value = Decimal(value) if value else None
    return fmt.value(value, unit or "number", _lang())


@register.filter
def count(value) -> str:
    """A whole number with thousands apart: ``100 001`` (ru), ``100,001`` (en); a dash
    for a count that is not there (a template's missing value is "")."""
    return fmt.number(value if isinstance(value, int) else None, 0, _lang())


@register.filter
def pct(fraction) -> str:
    return fmt.percent(fraction, 0, _lang())


@register.filter
def ru_date(day) -> str:
    return fmt.date_ru(day)


@register.filter
def get(mapping, key):
    """mapping[key] in a template (None when missing)."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def days_of_work(value) -> str:
    """Days of work behind plan: a tenth is enough to tell half a day from two."""
    return fmt.number(value, 1, _lang())


@register.filter
def kpi_shortfall(value, unit: str) -> str:
    """A gap to plan in the KPI's unit: p.p. for percentages."""
    return fmt.shortfall(value, unit or "number", _lang())
