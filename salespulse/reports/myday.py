"""What "My day" and "My month" show a seller, assembled in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from salespulse.bonus.payroll import Statement, statements
from salespulse.kpis.figures import load, span_for
from salespulse.kpis.models import Kpi
from salespulse.lib import attention
from salespulse.lib.kpi import Result
from salespulse.lib.periods import Period
from salespulse.org.models import Employee
from salespulse.reports.closing import auto_figures, input_kpis
from salespulse.reports.cutoffs import cutoffs
from salespulse.reports.models import DayReport
from salespulse.reports.status import DayStatus, statuses

# How far back "My day" looks for working days left without a report.
MISSED_LOOKBACK = timedelta(days=31)


@dataclass
class KpiLine:
    kpi: Kpi
    month: Result  # the month at the seller's cut-off: finished part, and today's progress
    input: str  # "manual", "auto" or "" (derived: computed, not typed)
    auto_value: Decimal | None = None
    reported: str = ""  # what the current report version says, for the form
    correction: dict | None = None

    @property
    def lagging(self) -> bool:
        """Behind plan to date (the board's red), or a run rate that misses the month."""
        r = self.month
        if attention.pace_class(r.completion) == "behind":
            return True
        return bool(
            self.kpi.is_additive and r.plan and r.forecast is not None and r.forecast < r.plan
        )


@dataclass
class DayPage:
    employee: Employee
    day: date
    today: date
    report: DayReport | None
    lines: list[KpiLine]
    status: DayStatus
    missed: list[date]  # earlier working days with no report
    returned: list[DayReport]  # reports the head sent back
    bonus: Statement | None = None  # the month's bonus at the same cut-off


def day_page(employee: Employee, day: date, today: date) -> DayPage:
    kpis = employee.sales_role.ordered_kpis() if employee.sales_role else []
    manual, auto = input_kpis(employee, kpis)
    month = Period.of("month", day)
    # The month of the day shown, judged at the seller's own cut-off (lib.cutoff).
    cut = cutoffs([employee], day=today)[employee.pk]
    figures = load([employee], *span_for(month), kpi_codes=[k.code for k in kpis])
    report = (
        DayReport.objects.filter(employee=employee, day=day).prefetch_related("versions").first()
    )
    latest = report.versions.all()[0] if report is not None else None
    seen = auto_figures(employee, day, auto)
    lines = []
    for kpi in kpis:
        kind = "manual" if kpi in manual else "auto" if kpi in auto else ""
        line = KpiLine(kpi, figures.seller(employee, kpi.code, month, cut), kind)
        if kind == "auto":
            line.auto_value = seen.get(kpi.code)
            line.correction = latest.corrections.get(kpi.code) if latest else None
        if kind == "manual" and latest is not None:
            line.reported = latest.values.get(kpi.code, "")
        lines.append(line)
    days = statuses(
        [employee], min(today - MISSED_LOOKBACK, day), today, calendars=figures.calendars
    )[employee.pk]
    missed = sorted(
        (d for d, s in days.items() if s == DayStatus.MISSING and d != day), reverse=True
    )
    returned = list(
        DayReport.objects.filter(employee=employee, status=DayReport.Status.RETURNED).order_by(
            "-day"
        )
    )
    return DayPage(
        employee=employee,
        day=day,
        today=today,
        report=report,
        lines=lines,
        status=days.get(day, DayStatus.OPEN),
        missed=missed,
        returned=returned,
        bonus=next(iter(statements([employee], month, today)), None),
    )
