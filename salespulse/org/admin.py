from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from salespulse.org.models import Absence, CalendarOverride, Department, Employee

User = get_user_model()

CallKeys = tuple[str, str, int | None]  # extension, time zone, department


def _call_keys(employees) -> dict[int, CallKeys]:
    """What of an employee decides their call figures: whose calls, which day, threshold."""
    rows = employees.values_list("pk", "extension", "timezone", "department_id")
    return {pk: (extension, zone, department) for pk, extension, zone, department in rows}


def _ask_recounts(request, before: dict[int, CallKeys], after: dict[int, CallKeys]) -> None:
    """Ask the worker to recount the call figures an employee's change moves (kpis.recount).

    A new extension or time zone moves calls between sellers or days: the stored calls are
    attributed again. A new department may mean another conversation threshold.
    """
    from salespulse.kpis import recount
    from salespulse.kpis.models import Recount

    asked = False
    for pk, (extension, zone, department) in after.items():
        was = before.get(pk)
        departments = {d for d in (department, was and was[2]) if d is not None}
        if (was is None and extension) or (was is not None and was[:2] != (extension, zone)):
            recount.request(Recount.Kind.AGENTS, {"sources": None}, departments, "employee")
            asked = True
        elif was is not None and was[2] != department:
            recount.request(Recount.Kind.CALLS, {"employees": [pk]}, departments, "department")
            asked = True
    if asked:
        messages.info(request, recount.ASKED)


class EmployeeInline(admin.StackedInline):
    model = Employee
    can_delete = False
    verbose_name_plural = _("employee profile")
    fk_name = "user"


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class SalespulseUserAdmin(UserAdmin):
    inlines = [EmployeeInline]
    list_display = ["username", "first_name", "last_name", "email", "is_staff"]

    def save_related(self, request, form, formsets, change) -> None:
        employee = Employee.objects.filter(user_id=form.instance.pk)
        before = _call_keys(employee)
        super().save_related(request, form, formsets, change)
        _ask_recounts(request, before, _call_keys(employee))


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "report_deadline", "show_leaderboard"]
    filter_horizontal = ["heads"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "position", "department", "sales_role", "timezone", "hired_on"]
    list_filter = ["position", "department", "sales_role"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "extension"]
    list_select_related = ["user", "department", "sales_role"]
    inlines = [AbsenceInline]

    def save_model(self, request, obj, form, change) -> None:
        before = _call_keys(Employee.objects.filter(pk=obj.pk)) if obj.pk else {}
        super().save_model(request, obj, form, change)
        _ask_recounts(request, before, _call_keys(Employee.objects.filter(pk=obj.pk)))


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["employee", "kind", "start", "end"]
    list_filter = ["kind"]
    list_select_related = ["employee__user"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
