"""The plans page's grid: a department's sellers × the KPIs of their roles for one month.

Reading the grid, filling it (copy last month, change by N %, split the department's total)
and saving it in one go with every change kept. The rules of a cell are in lib.planning.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.kpis.models import DailyFact, Kpi, Plan, PlanChange, RoleKpi
from salespulse.lib import planning
from salespulse.lib.periods import month_end, month_start
from salespulse.org.calendars import absences_of, company_calendar, seller_calendar
from salespulse.org.models import Department, Employee

# Months of history behind "split by each seller's share".
HISTORY_MONTHS = 3


@dataclass
class Cell:
    kpi: Kpi
    value: Decimal | None  # the seller's own plan, else the role default
    default: bool  # still the role's default (no plan of the seller's own)
    text: str = ""  # what the input shows (typed text after a failed save)
    error: str = ""
    changed: bool = False  # filled by an action, not saved yet

    @property
    def name(self) -> str:
        return self.kpi.code


@dataclass
class Row:
    seller: Employee
    working_days: int
    cells: list[Cell | None]  # aligned with Grid.kpis; None where the role lacks the KPI
    absences: list = field(default_factory=list)

    def cell(self, code: str) -> Cell | None:
        return next((c for c in self.cells if c is not None and c.kpi.code == code), None)


@dataclass
class Grid:
    department: Department
    month: date
    kpis: list[Kpi]
    rows: list[Row]
    month_days: int  # the company's working days in the month

    def field(self, row: Row, cell: Cell) -> str:
        return f"p_{row.seller.pk}_{cell.kpi.code}"

    @property
    def errors(self) -> bool:
        return any(c is not None and c.error for r in self.rows for c in r.cells)


def plan_sellers_qs(department: Department, month: date):
    """The department's sellers working some day of the month (not left before it began)."""
    return (
        Employee.objects.filter(position=Employee.Position.SELLER, department=department)
        .exclude(left_on__lt=month)
        .exclude(hired_on__gt=month_end(month))
        .exclude(sales_role=None)
    )


def plan_sellers(department: Department, month: date) -> list[Employee]:
    return list(
        plan_sellers_qs(department, month)
        .select_related("user", "sales_role")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def build(department: Department, month: date, lang: str = "ru") -> Grid:
    """The grid as saved: each seller's own plan or the role default."""
    month = month_start(month)
    sellers = plan_sellers(department, month)
    role_kpis: dict[int, list[RoleKpi]] = defaultdict(list)
    for rk in RoleKpi.objects.filter(role__in={s.sales_role_id for s in sellers}).select_related(
        "kpi"
    ):
        role_kpis[rk.role_id].append(rk)
    kpis: list[Kpi] = []
    for s in sellers:
        for rk in role_kpis[s.sales_role_id]:
            if rk.kpi not in kpis:
                kpis.append(rk.kpi)
    own = {
        (e, k): v
        for e, k, v in Plan.objects.filter(
            employee__in=sellers, kind=Plan.Kind.MONTH, start=month
        ).values_list("employee_id", "kpi_id", "value")
    }
    base = company_calendar()
    absences = absences_of(sellers)
    end = month_end(month)
    rows = []
    for s in sellers:
        defaults = {rk.kpi_id: rk.default_plan for rk in role_kpis[s.sales_role_id]}
        cells: list[Cell | None] = []
        for kpi in kpis:
            if kpi.pk not in defaults:
                cells.append(None)
                continue
            value = own.get((s.pk, kpi.pk), defaults[kpi.pk])
            cells.append(
                Cell(
                    kpi=kpi,
                    value=value,
                    default=(s.pk, kpi.pk) not in own,
                    text=planning.plan_text(value, kpi.unit, lang),
                )
            )
        calendar = seller_calendar(s, base, absences[s.pk])
        rows.append(Row(s, len(calendar.working_days(month, end)), cells))
    return Grid(department, month, kpis, rows, base.count_working_days(month, end))


def read_typed(grid: Grid, data, lang: str = "ru") -> None:
    """Put the typed texts into the grid and check each; a cell's error stays in the cell."""
    for row in grid.rows:
        for cell in row.cells:
            if cell is None:
                continue
            text = data.get(grid.field(row, cell))
            if text is None:
                continue
            cell.text = text
            try:
                value = planning.parse_plan(text, cell.kpi.unit)
            except planning.PlanError as e:
                cell.error = _(e.message) % e.params if e.params else _(e.message)
                continue
            if value != cell.value:
                cell.changed = True
            cell.value = value


def _set(cell: Cell, value: Decimal | None, lang: str) -> None:
    cell.value = value
    cell.text = planning.plan_text(value, cell.kpi.unit, lang)
    cell.error = ""
    cell.changed = True


def copy_previous(grid: Grid, lang: str = "ru") -> None:
    """Every cell gets what the seller's plan was last month (own or default)."""
    previous = build(grid.department, month_start(grid.month - timedelta(days=1)), lang)
    for row in grid.rows:
        before = next((r for r in previous.rows if r.seller.pk == row.seller.pk), None)
        for cell in row.cells:
            if cell is None or before is None:
                continue
            old = before.cell(cell.kpi.code)
            if old is not None and old.value is not None:
                _set(cell, old.value, lang)


def change_by(grid: Grid, percent: Decimal, lang: str = "ru") -> None:
    """Every cell with a value changed by `percent`."""
    for row in grid.rows:
        for cell in row.cells:
            if cell is not None and cell.value is not None and not cell.error:
                _set(cell, planning.scale(cell.value, percent, cell.kpi.unit), lang)


def history_weights(grid: Grid, kpi: Kpi) -> dict[int, Decimal]:
    """Each seller's fact of `kpi` over the last three months (one query)."""
    first = grid.month
    for _i in range(HISTORY_MONTHS):
        first = month_start(first - timedelta(days=1))
    sums = dict(
        DailyFact.objects.filter(
            employee__in=[r.seller for r in grid.rows],
            kpi=kpi,
            day__range=(first, grid.month - timedelta(days=1)),
        )
        .values("employee")
        .annotate(total=Sum("value"))
        .values_list("employee", "total")
    )
    return {r.seller.pk: Decimal(sums.get(r.seller.pk) or 0) for r in grid.rows}


def distribute(
    grid: Grid,
    kpi: Kpi,
    total: Decimal,
    method: str,
    typed: dict[int, Decimal] | None = None,
    lang: str = "ru",
) -> None:
    """Split a department total of an additive KPI among the sellers who have it.

    Equally, by each seller's share of the last three months, or by typed weights; every
    weight is then scaled by the seller's working days in the month (a vacation lowers it).
    """
    rows = [r for r in grid.rows if r.cell(kpi.code) is not None]
    if method == "history":
        base = history_weights(grid, kpi)
    elif method == "typed":
        base = {r.seller.pk: (typed or {}).get(r.seller.pk, Decimal(0)) for r in rows}
    else:
        base = {r.seller.pk: Decimal(1) for r in rows}
    weights = planning.weights_by_days(
        {r.seller.pk: base.get(r.seller.pk, Decimal(0)) for r in rows},
        {r.seller.pk: r.working_days for r in rows},
        grid.month_days,
    )
    parts = planning.split(total, weights, kpi.unit)
    for r in rows:
        _set(r.cell(kpi.code), parts[r.seller.pk], lang)


@transaction.atomic
def save(grid: Grid, by) -> int:
    """Write every cell that differs from what is saved; returns how many changed.

    Call only when the grid has no errors. An empty cell takes the seller back to the role
    default; a shown default saved becomes the seller's own plan. Each change is kept
    (PlanChange) with who and when.
    """
    saved = build(grid.department, grid.month)
    now = timezone.now()
    changes = 0
    for row in grid.rows:
        before = next(r for r in saved.rows if r.seller.pk == row.seller.pk)
        for cell in row.cells:
            if cell is None:
                continue
            old = before.cell(cell.kpi.code)
            old_own = None if old is None or old.default else old.value
            new_own = cell.value
            # Saving confirms the whole grid: a default the head saved becomes the seller's
            # own plan (so "no plan for next month" stops warning), an own plan unchanged
            # is left alone.
            if new_own == old_own:
                continue
            if new_own is None:
                Plan.objects.filter(
                    employee=row.seller, kpi=cell.kpi, kind=Plan.Kind.MONTH, start=grid.month
                ).delete()
            else:
                Plan.objects.update_or_create(
                    employee=row.seller,
                    kpi=cell.kpi,
                    kind=Plan.Kind.MONTH,
                    start=grid.month,
                    defaults={"value": new_own, "updated_by": by},
                )
            PlanChange.objects.create(
                employee=row.seller,
                kpi=cell.kpi,
                month=grid.month,
                old_value=old_own,
                new_value=new_own,
                changed_by=by,
                changed_at=now,
            )
            changes += 1
    return changes


def missing_next_month(department: Department, today: date) -> list[Employee]:
    """From the 20th: the sellers with no plan of their own for next month (role defaults
    do not count: they are what a forgotten plan silently falls back to)."""
    if today.day < 20:
        return []
    following = month_start(month_end(today) + timedelta(days=1))
    # One query, however many sellers: the board's query count must not grow with the team.
    own = Plan.objects.filter(employee=OuterRef("pk"), kind=Plan.Kind.MONTH, start=following)
    return [
        s
        for s in plan_sellers_qs(department, following)
        .annotate(planned=Exists(own))
        .filter(planned=False)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    ]


def parse_total(text: str, kpi: Kpi) -> Decimal | None:
    """A department total typed in the KPI's unit; None when it is empty or not a plan."""
    try:
        return planning.parse_plan(text, kpi.unit)
    except planning.PlanError:
        return None
