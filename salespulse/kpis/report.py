"""KPI rows for a set of sellers and a period: what the CLI report and the screens list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from salespulse.kpis.figures import load, sellers_queryset, span_for
from salespulse.kpis.models import Kpi, RoleKpi
from salespulse.lib.cutoff import Cutoff, team_cutoff
from salespulse.lib.kpi import Result
from salespulse.lib.periods import Period
from salespulse.org.models import Department, Employee


@dataclass(frozen=True)
class Row:
    seller: Employee | None  # None for a department total
    department: Department
    kpi: Kpi
    result: Result


def role_kpis(role_ids: set[int]) -> dict[int, list[Kpi]]:
    """Each role's KPIs in their display order, in one query."""
    result: dict[int, list[Kpi]] = {rid: [] for rid in role_ids}
    for rk in (
        RoleKpi.objects.filter(role_id__in=role_ids)
        .select_related("kpi")
        .order_by("role_id", "order", "id")
    ):
        result[rk.role_id].append(rk.kpi)
    return result


def kpi_rows(
    sellers: Sequence[Employee],
    period: Period,
    cuts: Mapping[int, Cutoff],
    today: date,
    totals: bool = False,
) -> list[Row]:
    """One row per seller × KPI of their role at each seller's cut-off; with `totals`, a row
    per department × KPI at the department's (`today`, finished once all have closed it)."""
    sellers = list(sellers)
    kpis_by_role = role_kpis({s.sales_role_id for s in sellers if s.sales_role_id})
    codes = {k.code for kpis in kpis_by_role.values() for k in kpis}
    figures = load(sellers, *span_for(period), kpi_codes=codes)
    rows: list[Row] = []
    departments: dict[int, tuple[Department, list[Kpi]]] = {}
    members: dict[int, list[Cutoff]] = {}
    for seller in sellers:
        kpis = kpis_by_role.get(seller.sales_role_id, [])
        cut = cuts[seller.pk]
        for kpi in kpis:
            rows.append(
                Row(seller, seller.department, kpi, figures.seller(seller, kpi.code, period, cut))
            )
        dept, dept_kpis = departments.setdefault(seller.department_id, (seller.department, []))
        dept_kpis.extend(k for k in kpis if k not in dept_kpis)
        members.setdefault(seller.department_id, []).append(cut)
    if totals:
        for dept, kpis in departments.values():
            cut = team_cutoff(today, members[dept.pk])
            for kpi in kpis:
                rows.append(Row(None, dept, kpi, figures.team(dept, kpi.code, period, cut)))
    return rows


def sellers_for_scope(scope: str) -> list[Employee]:
    """`all`, `department:CODE` or `seller:LOGIN`; ValueError with a one-line reason otherwise."""
    sellers = sellers_queryset().order_by("department__name", "user__username")
    if scope == "all":
        return list(sellers)
    kind, _, code = scope.partition(":")
    if kind == "department" and code:
        if not Department.objects.filter(code=code).exists():
            raise ValueError(f"Unknown department: {code}")
        return list(sellers.filter(department__code=code))
    if kind == "seller" and code:
        found = list(sellers.filter(user__username=code))
        if not found:
            raise ValueError(f"Unknown seller: {code}")
        return found
    raise ValueError(f"Unknown scope {scope!r}: use all, department:CODE or seller:LOGIN")
