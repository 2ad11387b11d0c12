from datetime import date
from decimal import Decimal

from salespulse.kpis.figures import load
from salespulse.kpis.models import DailyFact
from salespulse.org.models import Employee


def facts(employee: Employee, code: str) -> dict[date, Decimal]:
    return dict(
        DailyFact.objects.filter(employee=employee, kpi__code=code).values_list("day", "value")
    )


def kpi(employee: Employee, code: str, start: date, end: date) -> Decimal | None:
    """The figure a screen shows for the seller over start..end."""
    figures = load([employee], start, end, [code])
    return figures.engine.value(code, figures.series[employee.pk], start, end)
