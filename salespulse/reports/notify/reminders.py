"""Reminders: N minutes before the deadline, to sellers who have not closed a working day.

Found in a fixed number of queries however many sellers there are: the sellers (with their
departments and absences), the company calendar, the day's reports and claims, and the
figures for those who are due.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from salespulse.kpis.figures import sellers_queryset
from salespulse.kpis.report import Row, kpi_rows
from salespulse.lib import fmt
from salespulse.lib.periods import Period
from salespulse.org.calendars import company_calendar, seller_calendar
from salespulse.org.models import Employee
from salespulse.reports.cutoffs import cutoffs
from salespulse.reports.models import DayReport, Notification
from salespulse.reports.notify.jobs import Job, existing_claims, still_to_send
from salespulse.reports.notify.mail import absolute_url, lang
from salespulse.reports.notify.schedule import reminder_due
from salespulse.reports.status import deadline, local_today


def due_reminders(now: datetime) -> list[Job]:
    sellers = (
        sellers_queryset()
        .filter(department__reminder_minutes__gt=0, user__is_active=True)
        .exclude(user__email="")
    )
    base = company_calendar()
    candidates: list[tuple[Employee, date]] = []
    for seller in sellers:
        day = local_today(seller, now)
        if not reminder_due(now, deadline(seller, day), seller.department.reminder_minutes):
            continue
        if seller_calendar(seller, base).is_working(day):
            candidates.append((seller, day))
    if not candidates:
        return []

    days = {day for _, day in candidates}
    reported = set(
        DayReport.objects.filter(employee__in=[s for s, _ in candidates], day__in=days).values_list(
            "employee_id", "day"
        )
    )
    candidates = [(s, d) for s, d in candidates if (s.pk, d) not in reported]
    claims = existing_claims(Notification.Kind.REMINDER, [s.user_id for s, _ in candidates], days)
    due = [
        (s, d, claims.get((s.user_id, d)))
        for s, d in candidates
        if still_to_send(claims.get((s.user_id, d)), now)
    ]

    # Today's figures so far, one load per distinct local day (sellers in different time
    # zones may be on different dates): a fixed number of queries, not one per seller.
    by_day: dict[date, list[Employee]] = defaultdict(list)
    for seller, day, _ in due:
        by_day[day].append(seller)
    rows: dict[int, list[Row]] = defaultdict(list)
    for day, group in by_day.items():
        for row in kpi_rows(group, Period.of("month", day), cutoffs(group, day=day), day):
            rows[row.seller.pk].append(row)

    return [
        Job(
            kind=Notification.Kind.REMINDER,
            user_id=seller.user_id,
            day=day,
            to=seller.user.email,
            template="reminder",
            context=_context_factory(seller, day, rows[seller.pk]),
            retry=previous,
        )
        for seller, day, previous in due
    ]


def _context_factory(seller: Employee, day: date, rows: list[Row]):
    def context() -> dict[str, Any]:
        code = lang()
        figures = []
        for row in rows:
            r = row.result
            # Only additive KPIs have a day's share of the plan to compare with.
            if r.today_plan is None:
                continue
            unit = row.kpi.unit
            left = r.today_remainder if r.today_remainder and r.today_remainder > 0 else None
            figures.append(
                {
                    "kpi": row.kpi.name,
                    "plan": fmt.value(r.today_plan, unit, code),
                    "fact": fmt.value(r.today_fact or 0, unit, code),
                    "left": fmt.value(left, unit, code) if left is not None else None,
                }
            )
        return {
            "name": seller.user.first_name or str(seller),
            "day": fmt.date_ru(day),
            "deadline": seller.department.report_deadline.strftime("%H:%M"),
            "timezone": seller.timezone,
            # The day itself, not "today": a reminder opened after midnight must still
            # lead to the day it was about.
            "url": absolute_url("reports:day-of", day=day.isoformat()),
            "figures": figures,
        }

    return context
