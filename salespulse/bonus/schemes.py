"""Which scheme pays a seller in a month, and saving a new version of one.

A seller's own scheme beats their department's, which beats their role's; within the
most specific one, the latest version valid from on or before the month is in force (a
change applies from its month on, never to the months before).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from salespulse.bonus.models import Scheme
from salespulse.kpis.models import Kpi, Role
from salespulse.lib import bonus_spec
from salespulse.lib.bonus import Version, in_force
from salespulse.lib.periods import month_start
from salespulse.org.models import Department, Employee


def target_of(text: str) -> dict[str, Any]:
    """`ROLE`, `department:CODE` or `seller:LOGIN` as Scheme fields; ValueError otherwise."""
    kind, sep, code = text.strip().partition(":")
    if not sep:
        role = Role.objects.filter(code=kind).first()
        if role is None:
            raise ValueError(f"Unknown role: {kind}")
        return {"role": role}
    if kind == "department":
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise ValueError(f"Unknown department: {code}")
        return {"department": department}
    if kind == "seller":
        employee = Employee.objects.filter(
            user__username=code, position=Employee.Position.SELLER
        ).first()
        if employee is None:
            raise ValueError(f"Unknown seller: {code}")
        return {"employee": employee}
    raise ValueError(f"Unknown target {text!r}: use ROLE, department:CODE or seller:LOGIN")


def save(
    target: Mapping[str, Any],
    data: Mapping[str, Any],
    valid_from: date,
    user: AbstractBaseUser | None = None,
) -> Scheme:
    """A new version from `valid_from`'s month on (replacing one from the same month).
    Raises bonus_spec.SchemeError for a scheme that does not read."""
    known = set(Kpi.objects.values_list("code", flat=True))
    spec = bonus_spec.dump(bonus_spec.parse(data, known_kpis=known))
    scheme, _ = Scheme.objects.update_or_create(
        **target,
        valid_from=month_start(valid_from),
        defaults={"spec": spec, "updated_by": user},
    )
    return scheme


def schemes_for(employees: Sequence[Employee], month: date) -> dict[int, Scheme | None]:
    """employee id -> the scheme version in force in `month`, in one query."""
    month = month_start(month)
    rows = list(
        Scheme.objects.filter(
            Q(role_id__in={e.sales_role_id for e in employees if e.sales_role_id})
            | Q(department_id__in={e.department_id for e in employees if e.department_id})
            | Q(employee_id__in=[e.pk for e in employees]),
            valid_from__lte=month,
        )
    )
    by_target: dict[tuple[str, int], list[Version]] = {}
    for s in rows:
        key = (
            ("employee", s.employee_id)
            if s.employee_id
            else ("department", s.department_id)
            if s.department_id
            else ("role", s.role_id)
        )
        by_target.setdefault(key, []).append(Version(s.valid_from, s))
    result: dict[int, Scheme | None] = {}
    for e in employees:
        result[e.pk] = None
        for key in (("employee", e.pk), ("department", e.department_id), ("role", e.sales_role_id)):
            if key in by_target:
                result[e.pk] = in_force(by_target[key], month)
                break
    return result


def versions_of(target: Mapping[str, Any]) -> list[Scheme]:
    return list(Scheme.objects.filter(**target).order_by("-valid_from"))
