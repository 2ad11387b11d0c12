from django.contrib import admin

from salespulse.bonus.models import ClosedMonth, Scheme


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "valid_from", "updated_at", "updated_by")
    list_filter = ("role", "department")
    readonly_fields = ("updated_at", "updated_by")


@admin.register(ClosedMonth)
class ClosedMonthAdmin(admin.ModelAdmin):
    list_display = ("department", "month", "closed_at", "closed_by")
    readonly_fields = ("department", "month", "closed_at", "closed_by")

    def has_add_permission(self, request) -> bool:
        return False  # a month is closed by its head, which freezes its payouts
