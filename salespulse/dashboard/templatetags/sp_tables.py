"""Rendering a `salespulse.lib.table.Table` on screen (dashboard/_table.html) and its export links.

The cells are formatted here with lib/fmt from the same raw values the XLSX and CSV
exports write, so the screen and the files agree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import template
from django.http import HttpRequest, QueryDict
from django.utils.translation import get_language

from salespulse.lib import fmt
from salespulse.lib.table import Column

register = template.Library()

NUMERIC_UNITS = ("count", "money", "duration", "percent", "number")


def _lang() -> str:
    return "en" if (get_language() or "ru").startswith("en") else "ru"


def _number(value: object) -> Decimal | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return value
    if isinstance(value, str) and value:  # a figure kept as a decimal string
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


@register.filter
def cell(value: object, unit: str = "text") -> str:
    """One table value as the screen shows it: ``1 234,50 ₽``, ``88 %``, ``1:02:05``.

    A percent cell holds a fraction (0.875 -> 88 %); a missing figure is a dash, a
    missing text is empty.
    """
    if unit in NUMERIC_UNITS:
        if isinstance(value, str) and _number(value) is None:
            return value or fmt.DASH  # text in a numeric column ("n/a") is shown as it is
        number = _number(value)
        if number is None:
            return fmt.DASH
        if unit == "percent":
            return fmt.percent(number, 0, _lang())
        return fmt.value(number, unit, _lang())
    if value is None:
        return "" if unit == "text" else fmt.DASH
    if isinstance(value, date):
        return fmt.date_ru(value)
    return str(value)


@register.filter
def cell_class(unit: str) -> str:
    """The CSS class of a column's cells: "num" (right-aligned), "date" or "text"."""
    if unit in NUMERIC_UNITS:
        return "num"
    return "date" if unit == "date" else "text"


@register.filter
def with_columns(row: list, columns: list[Column]) -> list[tuple[object, Column]]:
    """Pairs of (value, column) for a row: ``{% for value, column in row|with_columns:cols %}``."""
    return list(zip(row, columns, strict=False))


@register.simple_tag
def export_url(request: HttpRequest | None, table_name: str, fmt_name: str = "xlsx") -> str:
    """The current page's URL asking for an export; the period and other filters are kept."""
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query["export"] = table_name
    query["format"] = fmt_name
    return f"{request.path if request is not None else ''}?{query.urlencode()}"
