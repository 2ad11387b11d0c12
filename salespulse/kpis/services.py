"""Changes to roles and plans, validated the same way from the admin, the CLI and the API."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salespulse.kpis.models import DepartmentPlan, Kpi, Plan, Role, RoleKpi, check_role_kpi_count
from salespulse.lib.periods import week_start
from salespulse.org.models import Department, Employee


def kpis_by_codes(codes: list[str]) -> list[Kpi]:
    found = {k.code: k for k in Kpi.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(_("Unknown KPI code: %(codes)s") % {"codes": ", ".join(unknown)})
    if len(set(codes)) != len(codes):
        raise ValidationError(_("A KPI is listed twice."))
    return [found[c] for c in codes]


@transaction.atomic
def set_role(
    code: str, kpi_codes: list[str], name_ru: str = "", name_en: str = ""
) -> tuple[Role, str | None]:
    """Create or update a role with these KPIs in this order; returns it and a focus warning."""
    warning = check_role_kpi_count(len(kpi_codes))
    kpis = kpis_by_codes(kpi_codes)
    role, _created = Role.objects.get_or_create(code=code, defaults={"name_ru": name_ru or code})
    if name_ru:
        role.name_ru = name_ru
    if name_en:
        role.name_en = name_en
    role.full_clean()
    role.save()
    role.role_kpis.exclude(kpi__in=kpis).delete()
    for order, kpi in enumerate(kpis):
        RoleKpi.objects.update_or_create(role=role, kpi=kpi, defaults={"order": order})
    return role, warning


def _check_value(value: Decimal) -> None:
    if value < 0:
        raise ValidationError(_("A plan cannot be negative."))


def period_start(kind: str, day: date) -> date:
    if kind == Plan.Kind.MONTH:
        return day.replace(day=1)
    if kind == Plan.Kind.WEEK:
        return week_start(day)
    return day


def set_plan(employee: Employee, kpi: Kpi, kind: str, day: date, value: Decimal, by=None) -> Plan:
    """Set a seller's plan for the month, ISO week or day holding `day`."""
    _check_value(value)
    if not employee.is_seller:
        raise ValidationError(_("%(who)s is not a seller.") % {"who": employee})
    plan, _created = Plan.objects.update_or_create(
        employee=employee,
        kpi=kpi,
        kind=kind,
        start=period_start(kind, day),
        defaults={"value": value, "updated_by": by},
    )
    return plan


def set_department_plan(
    department: Department, kpi: Kpi, month: date, value: Decimal
) -> DepartmentPlan:
    _check_value(value)
    plan, _created = DepartmentPlan.objects.update_or_create(
        department=department, kpi=kpi, month=month.replace(day=1), defaults={"value": value}
    )
    return plan
