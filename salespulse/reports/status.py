"""Report status of seller-days: on time, late, returned, missing, still open, or a day off.

Computed from the reports table and the sellers' calendars in a fixed number of queries,
for one seller's month or a whole department's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils import timezone

from salespulse.lib.periods import days_between
from salespulse.org.calendars import absences_of, company_calendar, seller_calendar
from salespulse.org.models import Employee
from salespulse.reports.models import DayReport


class DayStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    RETURNED = "returned"
    MISSING = "missing"  # a working day with no report after the deadline
    OPEN = "open"  # a working day whose deadline has not passed yet
    OFF = "off"  # not a working day for this seller, and nothing reported
    FUTURE = "future"


def local_now(employee: Employee, now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(ZoneInfo(employee.timezone))


def local_today(employee: Employee, now: datetime | None = None) -> date:
    return local_now(employee, now).date()


def deadline(employee: Employee, day: date) -> datetime:
    """The moment the day's report is due, in the seller's own time zone."""
    return datetime.combine(day, employee.department.report_deadline, ZoneInfo(employee.timezone))


def statuses(
    employees: Sequence[Employee],
    start: date,
    end: date,
    now: datetime | None = None,
    calendars: Mapping[int, Callable[[date], bool]] | None = None,
) -> dict[int, dict[date, DayStatus]]:
    """employee id -> day -> status. Employees need their department.

    `calendars` (employee id -> is_working) are the sellers' calendars when the caller has
    them already, as the figures it loaded do (`Figures.calendars`): the same calendar, two
    queries fewer.
    """
    now = now or timezone.now()
    reports = {
        (emp_id, day): (status, late)
        for emp_id, day, status, late in DayReport.objects.filter(
            employee_id__in=[e.pk for e in employees], day__range=(start, end)
        )
        .order_by()
        .values_list("employee_id", "day", "status", "late")
    }
    if calendars is None:
        base = company_calendar()
        absences = absences_of(employees)
        calendars = {e.pk: seller_calendar(e, base, absences[e.pk]).is_working for e in employees}
    result: dict[int, dict[date, DayStatus]] = {}
    for e in employees:
        is_working = calendars[e.pk]
        today = local_today(e, now)
        days: dict[date, DayStatus] = {}
        for day in days_between(start, end):
            report = reports.get((e.pk, day))
            if report is not None:
                status, late = report
                if status == DayReport.Status.RETURNED:
                    days[day] = DayStatus.RETURNED
                else:
                    days[day] = DayStatus.LATE if late else DayStatus.ON_TIME
            elif day > today:
                days[day] = DayStatus.FUTURE
            elif not is_working(day):
                days[day] = DayStatus.OFF
            # A deadline is a time on its own day: only today's can be still ahead.
            elif day == today and now < deadline(e, day):
                days[day] = DayStatus.OPEN
            else:
                days[day] = DayStatus.MISSING
        result[e.pk] = days
    return result


def missing_streak(days: dict[date, DayStatus], until: date) -> int:
    """How many working days in a row, up to `until`, have no report."""
    streak = 0
    day = until
    while day in days:
        status = days[day]
        if status == DayStatus.MISSING:
            streak += 1
        elif status not in (DayStatus.OFF, DayStatus.OPEN, DayStatus.FUTURE):
            break
        day -= timedelta(days=1)
    return streak
