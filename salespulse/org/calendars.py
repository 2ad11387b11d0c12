"""The company's and each seller's production calendar, read from the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from salespulse.lib.workcal import SellerCalendar, WorkCalendar
from salespulse.org.models import CalendarOverride

if TYPE_CHECKING:
    from salespulse.org.models import Employee


def company_calendar() -> WorkCalendar:
    """The calendar of the company's country with its own exceptions on top."""
    overrides = dict(CalendarOverride.objects.values_list("date", "is_working"))
    return WorkCalendar(settings.SALESPULSE_COUNTRY, overrides)


def seller_calendar(employee: Employee, base: WorkCalendar | None = None) -> SellerCalendar:
    """The seller's working days; pass `base` to share one company calendar among many sellers."""
    # .all() rather than a fresh query so that a prefetch_related("absences") is used.
    absences = [(absence.start, absence.end) for absence in employee.absences.all()]
    return SellerCalendar(
        base if base is not None else company_calendar(),
        absences,
        hired_on=employee.hired_on,
        left_on=employee.left_on,
    )
