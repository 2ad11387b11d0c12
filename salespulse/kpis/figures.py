"""Bridge from the database to the KPI engine: a few bulk queries, then plain Python.

Every screen and report asks for figures through here, so the query count stays fixed
whatever the number of sellers, KPIs or days (no N+1).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Max, QuerySet
from django.db.models.functions import Cast

from salespulse.crm.distinct import distinct_keys
from salespulse.kpis.models import DailyFact, DepartmentPlan, Kpi, Plan, RoleKpi
from salespulse.lib.cutoff import Cutoff
from salespulse.lib.kpi import Aggregation, Direction, Engine, Group, KpiDef, Result, Series
from salespulse.lib.periods import Period, month_start, next_month
from salespulse.lib.plans import PlanSet
from salespulse.org.calendars import absences_of, company_calendar, seller_calendar
from salespulse.org.models import Department, Employee

# How far back a snapshot (`last`) KPI looks for its latest value before a period.
SNAPSHOT_LOOKBACK = timedelta(days=400)


def load_catalogue(kpis: Iterable[Kpi] | None = None) -> dict[str, KpiDef]:
    return {
        k.code: KpiDef(
            code=k.code,
            aggregation=Aggregation(k.aggregation),
            unit=k.unit,
            direction=Direction(k.direction),
            formula=k.parsed_formula(),
        )
        for k in (Kpi.objects.all() if kpis is None else kpis)
    }


def base_codes(catalogue: dict[str, KpiDef], codes: Iterable[str]) -> set[str]:
    """The stored KPIs a set of KPIs is computed from (formulas resolved recursively)."""
    result: set[str] = set()
    stack = list(codes)
    while stack:
        code = stack.pop()
        kpi = catalogue[code]
        if kpi.formula is None:
            result.add(code)
        else:
            stack.extend(kpi.formula.names)
    return result


@dataclass
class Figures:
    """Loaded series for a set of sellers over a span of days, ready to evaluate."""

    engine: Engine
    catalogue: dict[str, KpiDef]
    series: dict[int, Series]  # by employee id
    employees: dict[int, Employee]
    team_plans: dict[int, dict[str, PlanSet]]  # by department id
    team_calendar: object

    @property
    def calendars(self) -> dict[int, Callable[[date], bool]]:
        """Employee id -> is_working, each seller's own calendar as loaded."""
        return {pk: s.is_working for pk, s in self.series.items()}

    def seller(self, employee: Employee, code: str, period: Period, cut: Cutoff | date) -> Result:
        return self.engine.evaluate(code, self.series[employee.pk], period, cut)

    def team(self, department: Department, code: str, period: Period, cut: Cutoff | date) -> Result:
        members = [
            s for pk, s in self.series.items() if self.employees[pk].department_id == department.pk
        ]
        group = Group(
            members=members,
            plans=self.team_plans.get(department.pk, {}),
            is_working=self.team_calendar.is_working,
        )
        return self.engine.evaluate(code, group, period, cut)

    def group(
        self, employees: Sequence[Employee], code: str, period: Period, cut: Cutoff | date
    ) -> Result:
        group = Group(
            members=[self.series[e.pk] for e in employees], is_working=self.team_calendar.is_working
        )
        return self.engine.evaluate(code, group, period, cut)


def load(
    employees: Sequence[Employee], start: date, end: date, kpi_codes: Iterable[str] | None = None
) -> Figures:
    """Load what the engine needs for `employees` between start and end (both included).

    Callers pass a span covering the previous period too when they want the change.
    """
    kpis = list(Kpi.objects.all())
    catalogue = load_catalogue(kpis)
    engine = Engine(catalogue)
    ids = [e.pk for e in employees]
    wanted = base_codes(catalogue, kpi_codes if kpi_codes is not None else catalogue)
    # Snapshots at a period's end or start; keys counted over the period.
    snapshot = (Aggregation.LAST, Aggregation.OPENING)
    counted = (Aggregation.DISTINCT, Aggregation.COHORT)
    snapshot_codes = {c for c in wanted if catalogue[c].aggregation in snapshot}
    distinct_codes = {c for c in wanted if catalogue[c].aggregation in counted}
    day_codes = wanted - snapshot_codes - distinct_codes

    values: dict[int, dict[str, dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    # KPI ids, not a join on codes: the fact table is the biggest one we read.
    code_of = {k.pk: k.code for k in kpis if k.code in wanted}
    ids_of = {code: pk for pk, code in code_of.items()}
    rows = DailyFact.objects.filter(
        employee_id__in=ids, kpi_id__in=[ids_of[c] for c in day_codes], day__range=(start, end)
    )
    snap_ids = [ids_of[c] for c in snapshot_codes]
    snap_rows = DailyFact.objects.filter(
        employee_id__in=ids, kpi_id__in=snap_ids, day__range=(start, end)
    )
    for qs in (rows, snap_rows):
        for emp_id, kpi_id, day, value in _raw_rows(qs):
            values[emp_id][code_of[kpi_id]][day] = value
    # A snapshot stands until the next one: each seller's latest one before the span, not a
    # year of daily snapshots.
    if snap_ids:
        latest = {
            (emp_id, kpi_id): day
            for emp_id, kpi_id, day in DailyFact.objects.filter(
                employee_id__in=ids,
                kpi_id__in=snap_ids,
                day__range=(start - SNAPSHOT_LOOKBACK, start - timedelta(days=1)),
            )
            .values_list("employee_id", "kpi_id")
            .annotate(last=Max("day"))
            .values_list("employee_id", "kpi_id", "last")
        }
        before = DailyFact.objects.filter(
            employee_id__in=ids, kpi_id__in=snap_ids, day__in=set(latest.values())
        )
        for emp_id, kpi_id, day, value in _raw_rows(before):
            if latest.get((emp_id, kpi_id)) == day:
                values[emp_id][code_of[kpi_id]][day] = value

    keys, joined = distinct_keys(ids, distinct_codes, start, end)

    # Plans: explicit rows, then the role's default for months with no plan of their own.
    months = Period("range", start, end).months()
    month_plans: dict[tuple[int, str], dict[str, dict[date, Decimal]]] = defaultdict(
        lambda: {"month": {}, "week": {}, "day": {}}
    )
    plan_rows = Plan.objects.filter(
        employee_id__in=ids, start__range=(month_start(start) - timedelta(days=7), end)
    ).values_list("employee_id", "kpi__code", "kind", "start", "value")
    for emp_id, code, kind, day, value in plan_rows:
        month_plans[(emp_id, code)][kind][day] = value
    defaults = defaultdict(dict)
    role_ids = {e.sales_role_id for e in employees if e.sales_role_id}
    for role_id, code, value in RoleKpi.objects.filter(
        role_id__in=role_ids, default_plan__isnull=False
    ).values_list("role_id", "kpi__code", "default_plan"):
        defaults[role_id][code] = value
    for e in employees:
        for code, value in defaults.get(e.sales_role_id, {}).items():
            sets = month_plans[(e.pk, code)]
            for m in months:
                sets["month"].setdefault(m, value)

    team_plans: dict[int, dict[str, PlanSet]] = defaultdict(dict)
    team_rows = DepartmentPlan.objects.filter(
        department_id__in={e.department_id for e in employees},
        month__range=(month_start(start), end),
    ).values_list("department_id", "kpi__code", "month", "value")
    grouped: dict[tuple[int, str], dict[date, Decimal]] = defaultdict(dict)
    for dept_id, code, month, value in team_rows:
        grouped[(dept_id, code)][month] = value
    for (dept_id, code), by_month in grouped.items():
        team_plans[dept_id][code] = PlanSet(month=by_month)

    plans_of: dict[int, dict[str, PlanSet]] = defaultdict(dict)
    for (emp_id, code), sets in month_plans.items():
        plans_of[emp_id][code] = PlanSet(**sets)
    base = company_calendar()
    absences = absences_of(employees)
    series: dict[int, Series] = {}
    for e in employees:
        calendar = seller_calendar(e, base, absences.get(e.pk, []))
        plans = plans_of.get(e.pk, {})
        series[e.pk] = Series(
            values=values.get(e.pk, {}),
            keys=keys.get(e.pk, {}),
            joined=joined.get(e.pk, {}),
            plans=plans,
            # Spreading plans and counting days ask about the same days over and over.
            is_working=functools.cache(calendar.is_working),
            working_days_in=calendar.working_days,
        )
    return Figures(
        engine=engine,
        catalogue=catalogue,
        series=series,
        employees={e.pk: e for e in employees},
        team_plans=dict(team_plans),
        team_calendar=base,
    )


CENT = Decimal("0.01")


def _raw_rows(qs: QuerySet[DailyFact]) -> Iterator[tuple[int, int, date, Decimal]]:
    """(employee, kpi, day, value) rows of the fact table without Django's per-value converters.

    The board reads tens of thousands of these; the ORM's converters took more time than
    the query. SQLite hands back ISO strings and numbers, PostgreSQL dates and Decimals.
    """
    if connection.vendor == "sqlite":
        # SQLite's driver parses every date column with a regex; as text, fromisoformat is
        # several times cheaper. (PostgreSQL hands back dates already.)
        qs = qs.annotate(day_text=Cast("day", CharField()))
        qs = qs.values_list("employee_id", "kpi_id", "day_text", "value")
    else:
        qs = qs.values_list("employee_id", "kpi_id", "day", "value")
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # an empty IN list: nothing to read
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for emp_id, kpi_id, day, value in cursor.fetchall():
            if isinstance(day, str):
                day = date.fromisoformat(day)
            if isinstance(value, float):
                # repr() is the shortest string that reads back as the same float.
                value = Decimal(repr(value)).quantize(CENT)
            elif not isinstance(value, Decimal):
                value = Decimal(value)  # whole numbers and numeric text are exact already
            yield emp_id, kpi_id, day, value


def sellers_queryset():
    """Sellers with what figures need, fetched in one go."""
    return (
        Employee.objects.filter(position=Employee.Position.SELLER)
        .select_related("user", "department", "sales_role")
        .prefetch_related("absences")
    )


def span_for(period: Period) -> tuple[date, date]:
    """The days to load for a period and the previous one it is compared with."""
    return period.previous().start, period.end


__all__ = ["Figures", "load", "load_catalogue", "sellers_queryset", "span_for", "next_month"]
