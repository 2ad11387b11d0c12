from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from salespulse.kpis.models import (
    DailyFact,
    DepartmentPlan,
    Kpi,
    Plan,
    Recount,
    Role,
    RoleKpi,
    check_role_kpi_count,
)


class RoleKpiFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE", False)]
        # Raises for more than the maximum; the warning for 6-8 is shown after saving.
        check_role_kpi_count(len(kept))


class RoleKpiInline(admin.TabularInline):
    model = RoleKpi
    formset = RoleKpiFormSet
    extra = 1
    autocomplete_fields = ["kpi"]


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "name_en", "unit", "source", "aggregation", "formula"]
    list_filter = ["source", "aggregation", "unit"]
    search_fields = ["code", "name_ru", "name_en"]

    def get_readonly_fields(self, request, obj=None):
        # Built-in codes are referenced by imports and formulas: renaming one breaks them.
        return ["code"] if obj and obj.builtin else []

    def get_deleted_objects(self, objs, request):
        # A KPI another KPI's formula uses is protected, like a row a foreign key protects:
        # the admin then shows what stands in the way instead of deleting.
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        doomed = {k.pk for k in objs}
        for kpi in objs:
            for user in kpi.formula_dependents():
                if user.pk not in doomed:
                    protected.append(
                        _("%(kpi)s: its formula uses %(code)s") % {"kpi": user, "code": kpi.code}
                    )
        return deleted, counts, perms, protected


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "name_en"]
    inlines = [RoleKpiInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        try:
            warning = check_role_kpi_count(form.instance.role_kpis.count())
        except ValidationError:  # the formset already refused it
            warning = None
        if warning:
            messages.warning(request, warning)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["employee", "kpi", "kind", "start", "value"]
    list_filter = ["kind", "kpi"]
    list_select_related = ["employee__user", "kpi"]
    date_hierarchy = "start"


@admin.register(DepartmentPlan)
class DepartmentPlanAdmin(admin.ModelAdmin):
    list_display = ["department", "kpi", "month", "value"]
    list_select_related = ["department", "kpi"]


@admin.register(DailyFact)
class DailyFactAdmin(admin.ModelAdmin):
    list_display = ["employee", "kpi", "day", "value", "source"]
    list_filter = ["source", "kpi"]
    list_select_related = ["employee__user", "kpi"]
    date_hierarchy = "day"


@admin.register(Recount)
class RecountAdmin(admin.ModelAdmin):
    """What changed settings asked the worker to recount, and how it went (read only)."""

    list_display = ["requested_at", "kind", "reason", "claimed_at", "finished_at", "error"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "scope", "departments", "reason", "requested_at", "claimed_at",
                       "finished_at", "error"]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False
