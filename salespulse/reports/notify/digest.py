"""The morning digest: one e-mail per head covering all the departments they head.

It reports on the last working day before the head's local today ("yesterday", or Friday on a
Monday): whose report is missing or late, who is behind the month's pace and by how much,
and each department's month forecast against plan. The month is the report day's month, so
the first digest of a month tells how the previous one closed.

Found and built in a fixed number of queries: the heads, their departments' sellers, then one
status and one figures load per distinct report day (heads in different time zones may be on
different dates), however many heads and sellers there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from salespulse.kpis.figures import sellers_queryset
from salespulse.kpis.models import Kpi
from salespulse.kpis.report import Row, kpi_rows
from salespulse.lib import attention, fmt
from salespulse.lib.periods import Period
from salespulse.lib.workcal import WorkCalendar
from salespulse.org.calendars import company_calendar, seller_calendar
from salespulse.org.models import Department, Employee
from salespulse.reports.cutoffs import cutoffs
from salespulse.reports.models import Notification
from salespulse.reports.notify.jobs import Job, existing_claims, still_to_send
from salespulse.reports.notify.mail import absolute_url, lang
from salespulse.reports.notify.schedule import digest_due
from salespulse.reports.status import DayStatus, statuses
from salespulse.reports.trail import corrected_unseen

# How far back to look for the last working day (the Russian New Year break is ~10 days).
LOOKBACK = timedelta(days=31)


@dataclass(frozen=True)
class Shortfall:
    kpi: Kpi
    behind: Decimal  # in the KPI's unit
    days: Decimal | None  # behind / the seller's average daily plan of the month


@dataclass
class Behind:
    seller: Employee
    items: list[Shortfall]

    @property
    def worst(self) -> Decimal:
        return max((s.days or Decimal(0) for s in self.items), default=Decimal(0))


@dataclass(frozen=True)
class Forecast:
    kpi: Kpi
    plan: Decimal | None
    fact: Decimal | None
    forecast: Decimal | None
    completion: Decimal | None  # forecast against plan (inverted for lower-is-better)


@dataclass
class Section:
    department: Department
    missing: list[Employee] = field(default_factory=list)
    late: list[Employee] = field(default_factory=list)
    behind: list[Behind] = field(default_factory=list)
    forecasts: list[Forecast] = field(default_factory=list)
    # "Name dd.mm.yyyy": corrected after a return, not yet marked as seen by a head.
    corrected: list[str] = field(default_factory=list)


def last_working_day(calendar: WorkCalendar, today: date) -> date | None:
    days = calendar.working_days(today - LOOKBACK, today - timedelta(days=1))
    return days[-1] if days else None


def shortfall(row: Row) -> Shortfall | None:
    """How far an additive KPI is behind its plan to date, or None when it is not behind."""
    r = row.result
    if not row.kpi.is_additive:
        return None
    lower = row.kpi.direction == Kpi.Direction.LOWER
    gap = attention.behind(r.fact, r.plan_to_date, r.plan, r.working_days, lower)
    if gap is None:
        return None
    return Shortfall(row.kpi, gap.units, gap.days if r.plan else None)


def forecast(row: Row) -> Forecast:
    r = row.result
    completion = None
    if r.forecast is not None and r.plan:
        if row.kpi.direction == Kpi.Direction.LOWER:
            completion = r.plan / r.forecast if r.forecast > 0 else None
        else:
            completion = r.forecast / r.plan
    return Forecast(row.kpi, r.plan, r.fact, r.forecast, completion)


def sections(sellers: list[Employee], day: date, now: datetime) -> dict[int, Section]:
    """Department id -> what the digest says about it for `day`."""
    result: dict[int, Section] = {}
    for seller in sellers:
        result.setdefault(seller.department_id, Section(seller.department))
    day_status = statuses(sellers, day, day, now)
    for seller in sellers:
        status = day_status[seller.pk][day]
        if status == DayStatus.MISSING:
            result[seller.department_id].missing.append(seller)
        elif status == DayStatus.LATE:
            result[seller.department_id].late.append(seller)

    behind: dict[int, list[Shortfall]] = defaultdict(list)
    # Judged as the board judges it at this moment (lib.cutoff): each seller's finished part.
    today = timezone.localtime(now).date()
    cuts = cutoffs(sellers, now=now)
    for row in kpi_rows(sellers, Period.of("month", day), cuts, today, totals=True):
        if row.seller is None:
            # A KPI with no plan has nothing to be forecast against.
            if row.result.plan is not None:
                result[row.department.pk].forecasts.append(forecast(row))
        elif row.seller.is_employed_on(day) and (s := shortfall(row)) is not None:
            behind[row.seller.pk].append(s)
    for seller in sellers:
        if items := behind.get(seller.pk):
            result[seller.department_id].behind.append(Behind(seller, items))
    for section in result.values():
        section.behind.sort(key=lambda b: -b.worst)
    for report in corrected_unseen([s.department for s in result.values()]):
        if report.employee.department_id in result:
            result[report.employee.department_id].corrected.append(
                f"{report.employee} {fmt.date_ru(report.day)}"
            )
    return result


def due_digests(now: datetime) -> list[Job]:
    User = get_user_model()
    departments_of: dict[int, list[int]] = defaultdict(list)
    for user_id, dept_id in Department.heads.through.objects.values_list(
        "user_id", "department_id"
    ):
        departments_of[user_id].append(dept_id)
    heads = list(User.objects.filter(pk__in=departments_of, is_active=True).exclude(email=""))
    if not heads:
        return []
    profiles = {
        e.user_id: e for e in Employee.objects.filter(user__in=heads).prefetch_related("absences")
    }
    base = company_calendar()
    hour = settings.SALESPULSE_DIGEST_HOUR

    candidates: list[tuple[AbstractBaseUser, date, date]] = []  # head, local today, report day
    for head in heads:
        profile = profiles.get(head.pk)
        tz = ZoneInfo(profile.timezone if profile else settings.TIME_ZONE)
        if not digest_due(now, hour, tz):
            continue
        today = now.astimezone(tz).date()
        # A head on vacation (or not employed yet) gets no digest, like a seller no reminder.
        calendar = seller_calendar(profile, base) if profile else base
        if not calendar.is_working(today):
            continue
        if (day := last_working_day(base, today)) is not None:
            candidates.append((head, today, day))
    if not candidates:
        return []

    claims = existing_claims(
        Notification.Kind.DIGEST, [h.pk for h, _, _ in candidates], {t for _, t, _ in candidates}
    )
    due = [
        (head, today, day, claims.get((head.pk, today)))
        for head, today, day in candidates
        if still_to_send(claims.get((head.pk, today)), now)
    ]
    if not due:
        return []

    wanted = {d for head, _, _, _ in due for d in departments_of[head.pk]}
    sellers = list(sellers_queryset().filter(department_id__in=wanted))
    by_day: dict[date, set[int]] = defaultdict(set)
    for head, _, day, _ in due:
        by_day[day].update(departments_of[head.pk])
    computed: dict[date, dict[int, Section]] = {
        day: sections([s for s in sellers if s.department_id in depts], day, now)
        for day, depts in by_day.items()
    }

    jobs = []
    for head, today, day, previous in due:
        parts = [computed[day][d] for d in departments_of[head.pk] if d in computed[day]]
        if not parts:
            continue  # departments with no sellers: nothing to report
        parts.sort(key=lambda s: s.department.name)
        jobs.append(
            Job(
                kind=Notification.Kind.DIGEST,
                user_id=head.pk,
                day=today,
                to=head.email,
                template="digest",
                context=_context_factory(head, day, parts),
                retry=previous,
            )
        )
    return jobs


def _context_factory(head: AbstractBaseUser, day: date, parts: list[Section]):
    def context() -> dict[str, Any]:
        code = lang()

        def value(v: Decimal | None, kpi: Kpi) -> str:
            return fmt.value(v, kpi.unit, code)

        departments = []
        for part in parts:
            departments.append(
                {
                    "name": part.department.name,
                    "url": absolute_url("department", code=part.department.code),
                    "missing": [str(e) for e in part.missing],
                    "late": [str(e) for e in part.late],
                    "corrected": part.corrected,
                    "behind": [
                        {
                            "seller": str(b.seller),
                            "items": [
                                {
                                    "kpi": s.kpi.name,
                                    "behind": value(s.behind, s.kpi),
                                    "days": fmt.number(s.days, 1, code),
                                }
                                for s in b.items
                            ],
                        }
                        for b in part.behind
                    ],
                    "forecasts": [
                        {
                            "kpi": f.kpi.name,
                            "plan": value(f.plan, f.kpi),
                            "fact": value(f.fact, f.kpi),
                            "forecast": value(f.forecast, f.kpi),
                            "completion": fmt.percent(f.completion, 0, code),
                        }
                        for f in part.forecasts
                    ],
                }
            )
        return {
            "name": head.first_name or head.get_username(),
            "day": fmt.date_ru(day),
            "missing": sum(len(p.missing) for p in parts),
            "late": sum(len(p.late) for p in parts),
            "departments": departments,
        }

    return context
