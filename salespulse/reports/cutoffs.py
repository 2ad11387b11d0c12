"""Each seller's cut-off (`lib.cutoff`) from the database: their local today, and whether
they have closed it. Every screen, export, e-mail and command asks here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.utils import timezone

from salespulse.lib.cutoff import Cutoff
from salespulse.org.models import Employee
from salespulse.reports.models import DayReport
from salespulse.reports.status import deadline, local_today


def cutoffs(
    employees: Sequence[Employee], day: date | None = None, now: datetime | None = None
) -> dict[int, Cutoff]:
    """employee id -> cut-off, in one query.

    With `day` every seller is cut on that day (a command's --date, a fixed date in a
    test); without it each seller on their own local today at `now`. A day whose report is
    submitted (and not returned) is finished for that seller.
    """
    now = now or timezone.now()
    todays = {e.pk: day or local_today(e, now) for e in employees}
    if not todays:
        return {}
    closed = set(
        DayReport.objects.filter(
            employee_id__in=list(todays),
            day__range=(min(todays.values()), max(todays.values())),
            status=DayReport.Status.SUBMITTED,
        ).values_list("employee_id", "day")
    )
    return {pk: Cutoff(today, (pk, today) in closed) for pk, today in todays.items()}


def judged(employee: Employee, cut: Cutoff, now: datetime | None = None) -> bool:
    """Is today judged yet (the «Сегодня» view's colours)? Once closed, or once the
    department's deadline has passed: before it the day is not over."""
    return cut.closed or (now or timezone.now()) >= deadline(employee, cut.today)
