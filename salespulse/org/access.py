"""Who may see whom: the one place every view, command and API endpoint asks.

- an admin (superuser) and the commercial director see every department;
- a head sees the departments they head;
- a seller sees only themselves (team-wide views such as a leaderboard are the head's
  choice and are granted explicitly by the views that show them).
Outsiders get 404, not 403, so object ids are not confirmed to exist.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from salespulse.org.models import Department, Employee


def employee_of(user: AbstractBaseUser | AnonymousUser) -> Employee | None:
    if not user.is_authenticated:
        return None
    try:
        return user.employee
    except Employee.DoesNotExist:
        return None


def own_seller(user: AbstractBaseUser | AnonymousUser) -> Employee | None:
    """The logged-in user as a seller (a seller's own day pages), with what they show."""
    if not user.is_authenticated:
        return None
    employee = (
        Employee.objects.filter(user=user, position=Employee.Position.SELLER)
        .select_related("department", "sales_role")
        .first()
    )
    if employee is not None:
        # Kept on the user both ways: the header's links ask user.employee again.
        user.employee = employee
    return employee


def sees_everything(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    employee = employee_of(user)
    return employee is not None and employee.position == Employee.Position.DIRECTOR


def visible_departments(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    if sees_everything(user):
        return Department.objects.all()
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.filter(heads=user)


def visible_sellers(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Employee]:
    sellers = Employee.objects.filter(position=Employee.Position.SELLER)
    if sees_everything(user):
        return sellers
    if not user.is_authenticated:
        return sellers.none()
    headed = Department.objects.filter(heads=user).values("pk")
    own = sellers.filter(user=user)
    return sellers.filter(department__in=headed) | own


def can_manage(user: AbstractBaseUser | AnonymousUser, department: Department) -> bool:
    """Set plans, return reports: the department's heads, the director, an admin."""
    if sees_everything(user):
        return True
    return user.is_authenticated and department.heads.filter(pk=user.pk).exists()


def get_seller_or_404(user: AbstractBaseUser | AnonymousUser, login: str) -> Employee:
    try:
        return (
            visible_sellers(user)
            .select_related("user", "department", "sales_role")
            .get(user__username=login)
        )
    except Employee.DoesNotExist:
        raise Http404("No such seller") from None


def get_department_or_404(user: AbstractBaseUser | AnonymousUser, code: str) -> Department:
    try:
        return visible_departments(user).get(code=code)
    except Department.DoesNotExist:
        raise Http404("No such department") from None


def may_import(user: AbstractBaseUser | AnonymousUser, permission: str | None = None) -> bool:
    """Bring data in (files, syncs, the push APIs) and manage its sources.

    Staff and admins; and a user given the model permission of what is brought in
    (`crm.add_deal`: an integration's token user). Imported calls and deals change every
    seller's figures, so a seller or a head may not.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return permission is not None and user.has_perm(permission)
