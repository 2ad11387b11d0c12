from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from salespulse.org.models import Absence, CalendarOverride, Department, Employee

User = get_user_model()


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


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["employee", "kind", "start", "end"]
    list_filter = ["kind"]
    list_select_related = ["employee__user"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
