from django.contrib import admin

from salespulse.sources.models import Run, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "every_minutes", "status", "last_success_at"]
    list_filter = ["kind", "status", "enabled"]
    readonly_fields = [
        "status", "watermark", "window_start", "window_rows", "last_attempt_at",
        "last_success_at", "last_new_at", "last_error", "calls_per_hour",
    ]  # fmt: skip


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "trigger", "source", "file_name", "status", "rows_read"]
    list_filter = ["kind", "trigger", "status"]
    list_select_related = ["source"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
