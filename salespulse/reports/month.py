"""A seller's month: days with plan, fact and report status; week and month totals; a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

from salespulse.bonus.payroll import Statement, statements
from salespulse.kpis.figures import load, span_for
from salespulse.kpis.models import Kpi
from salespulse.lib.charts import plan_fact_chart
from salespulse.lib.kpi import Result
from salespulse.lib.periods import Period, days_between
from salespulse.org.models import Employee
from salespulse.reports.cutoffs import cutoffs
from salespulse.reports.status import DayStatus, statuses


@dataclass
class DayRow:
    day: date
    plan: Decimal | None
    fact: Decimal | None
    status: DayStatus


@dataclass
class WeekRow:
    start: date
    end: date
    result: Result


@dataclass
class MonthPage:
    employee: Employee
    period: Period
    kpis: list[Kpi]
    summary: list[tuple[Kpi, Result]]
    kpi: Kpi | None
    days: list[DayRow]
    weeks: list[WeekRow]
    chart: SafeString
    bonus: Statement | None = None  # the month's bonus at the same cut-off


def month_page(employee: Employee, period: Period, today: date, kpi_code: str | None) -> MonthPage:
    kpis = employee.sales_role.ordered_kpis() if employee.sales_role else []
    cut = cutoffs([employee], day=today)[employee.pk]
    # Days are listed with figures up to today (today's so far); totals are judged at the cut.
    as_of = cut.so_far_end(period)
    figures = load([employee], *span_for(period), kpi_codes=[k.code for k in kpis])
    summary = [(k, figures.seller(employee, k.code, period, cut)) for k in kpis]
    kpi = next((k for k in kpis if k.code == kpi_code), kpis[0] if kpis else None)
    bonus = next(iter(statements([employee], period, today, adjustments=True)), None)
    page = MonthPage(employee, period, kpis, summary, kpi, [], [], mark_safe(""), bonus)
    if kpi is None:
        return page
    engine, series = figures.engine, figures.series[employee.pk]
    day_status = statuses([employee], period.start, period.end, calendars=figures.calendars)[
        employee.pk
    ]
    additive = kpi.is_additive
    day_plans = engine.day_plans(kpi.code, series, period.start, period.end) if additive else {}
    for day in days_between(period.start, period.end):
        fact = engine.value(kpi.code, series, day, day) if day <= as_of else None
        if additive and fact == 0 and day_status[day] in (DayStatus.OFF, DayStatus.FUTURE):
            fact = None
        plan = day_plans.get(day) if additive else engine.level(kpi.code, series, day)
        page.days.append(DayRow(day, plan, fact, day_status[day]))
    # ISO weeks, clipped to the month so the rows add up to the month's figure.
    start = period.start
    while start <= period.end:
        end = min(Period.of("week", start).end, period.end)
        week = Period("range", start, end)
        page.weeks.append(WeekRow(start, end, engine.evaluate(kpi.code, series, week, cut)))
        start = end.fromordinal(end.toordinal() + 1)
    page.chart = mark_safe(_chart(page, additive))  # noqa: S308 - our own SVG, labels escaped
    return page


def _chart(page: MonthPage, additive: bool) -> str:
    labels = [f"{d.day.day:02d}" for d in page.days]
    if additive:
        # Running totals: whether the month is on track is visible at a glance.
        fact, plan, running_fact, running_plan = [], [], Decimal(0), Decimal(0)
        for row in page.days:
            running_plan += row.plan or 0
            plan.append(running_plan)
            if row.fact is None and row.status == DayStatus.FUTURE:
                fact.append(None)
            else:
                running_fact += row.fact or 0
                fact.append(running_fact)
        return plan_fact_chart(labels, fact, plan, page.kpi.name)
    return plan_fact_chart(
        labels, [r.fact for r in page.days], [r.plan for r in page.days], page.kpi.name
    )
