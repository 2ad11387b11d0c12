"""Explicit builders for people and structure; KPIs and roles come from the built-in catalogue.

Every builder writes to the database, so tests that use them need `django_db`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from salespulse.kpis import builtin
from salespulse.kpis.models import Kpi, Role, RoleKpi
from salespulse.org.models import Department, Employee

PASSWORD = "correct-horse-battery"

User = get_user_model()


def ensure_catalogue() -> None:
    # The data migration installs it, but a transactional test without serialized rollback
    # flushes the tables afterwards. Only an empty catalogue is refilled, so a test that
    # deletes a built-in KPI on purpose does not get it back behind its back.
    if not Kpi.objects.filter(builtin=True).exists():
        builtin.install(Kpi, Role, RoleKpi)


def role(code: str) -> Role:
    ensure_catalogue()
    return Role.objects.get(code=code)


def make_user(
    login: str,
    *,
    password: str = PASSWORD,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    **fields,
) -> AbstractUser:
    return User.objects.create_user(
        username=login,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
        **fields,
    )


def make_department(
    code: str, name: str | None = None, heads: Iterable[AbstractUser] = ()
) -> Department:
    department = Department.objects.create(code=code, name=name or code.replace("-", " ").title())
    department.heads.set(list(heads))
    return department


def make_seller(
    login: str,
    department: Department,
    role_code: str | None = "salesperson",
    *,
    first_name: str = "",
    last_name: str = "",
    password: str = PASSWORD,
    **fields,
) -> Employee:
    """A seller with a user account; `role_code=None` makes one with no sales role."""
    user = make_user(login, password=password, first_name=first_name, last_name=last_name)
    return Employee.objects.create(
        user=user,
        position=Employee.Position.SELLER,
        department=department,
        sales_role=role(role_code) if role_code else None,
        **fields,
    )


def make_head(
    login: str, departments: Iterable[Department] = (), *, password: str = PASSWORD, **fields
) -> AbstractUser:
    """A head of sales heading `departments`; returns the user (what access rules take)."""
    user = make_user(login, password=password)
    Employee.objects.create(user=user, position=Employee.Position.HEAD, **fields)
    for department in departments:
        department.heads.add(user)
    return user


def make_director(login: str, *, password: str = PASSWORD) -> AbstractUser:
    user = make_user(login, password=password)
    Employee.objects.create(user=user, position=Employee.Position.DIRECTOR)
    return user


def make_admin(login: str, *, password: str = PASSWORD) -> AbstractUser:
    """A superuser with no employee profile: an IT admin, not part of any department."""
    return make_user(login, password=password, is_staff=True, is_superuser=True)
