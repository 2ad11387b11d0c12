"""The company's and each seller's production calendar, read from the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings

from salespulse.lib.workcal import SellerCalendar, WorkCalendar
from salespulse.org.models import Absence, CalendarOverride

if TYPE_CHECKING:
    from salespulse.org.models import Employee


def company_calendar() -> WorkCalendar:
    """The calendar of the company's country with its own exceptions on top."""
    overrides = dict(CalendarOverride.objects.values_list("date", "is_working"))
    return WorkCalendar(settings.SALESPULSE_COUNTRY, overrides)


def absences_of(employees: Sequence[Employee]) -> dict[int, list[tuple[date, date]]]:
    """Employee id -> absence intervals, in one query (or none, when they were prefetched)."""
    result: dict[int, list[tuple[date, date]]] = {e.pk: [] for e in employees}
    if all("absences" in getattr(e, "_prefetched_objects_cache", {}) for e in employees):
        for e in employees:
            result[e.pk] = [(a.start, a.end) for a in e.absences.all()]
        return result
    rows = Absence.objects.filter(employee_id__in=list(result)).values_list(
        "employee_id", "start", "end"
    )
    for emp_id, start, end in rows:
        result[emp_id].append((start, end))
    return result


def seller_calendar(
    employee: Employee,
    base: WorkCalendar | None = None,
    absences: Iterable[tuple[date, date]] | None = None,
) -> SellerCalendar:
    """The seller's working days; pass `base` to share one company calendar among many sellers,
    and `absences` (from absences_of) to spare a query per seller."""
    if absences is None:
        # .all() rather than a fresh query so that a prefetch_related("absences") is used.
        absences = [(absence.start, absence.end) for absence in employee.absences.all()]
    return SellerCalendar(
        base if base is not None else company_calendar(),
        absences,
        hired_on=employee.hired_on,
        left_on=employee.left_on,
    )
