from django.contrib import admin, messages

from salespulse.kpis.recount import ASKED
from salespulse.telephony import recount
from salespulse.telephony.models import (
    AgentAlias,
    CallImport,
    CallSource,
    ConversationThreshold,
)

# The settings below change figures already counted: saving one asks the worker to count
# them again (kpis.recount), as a recount can outlast a request.


@admin.register(CallSource)
class CallSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "format", "timezone", "directions"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "directions" in form.changed_data:
            recount.directions_changed(obj.pk)
            messages.info(request, ASKED)


@admin.register(AgentAlias)
class AgentAliasAdmin(admin.ModelAdmin):
    list_display = ["key", "employee", "source"]
    list_select_related = ["employee__user", "source"]
    search_fields = ["key", "employee__user__username", "employee__user__last_name"]
    autocomplete_fields = ["employee"]

    def save_model(self, request, obj, form, change):
        before = list(AgentAlias.objects.filter(pk=obj.pk).values_list("source", "employee"))
        super().save_model(request, obj, form, change)
        recount.mapping_changed([*before, (obj.source_id, obj.employee_id)])
        messages.info(request, ASKED)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        recount.mapping_changed([(obj.source_id, obj.employee_id)])

    def delete_queryset(self, request, queryset):
        gone = list(queryset.values_list("source", "employee"))
        super().delete_queryset(request, queryset)
        if gone:
            recount.mapping_changed(gone)


@admin.register(ConversationThreshold)
class ConversationThresholdAdmin(admin.ModelAdmin):
    list_display = ["department", "seconds"]

    def save_model(self, request, obj, form, change):
        before = list(
            ConversationThreshold.objects.filter(pk=obj.pk).values_list("department", flat=True)
        )
        departments = {*before, obj.department_id}
        super().save_model(request, obj, form, change)
        if form.changed_data:
            recount.threshold_changed(departments)
            messages.info(request, ASKED)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        recount.threshold_changed([obj.department_id])

    def delete_queryset(self, request, queryset):
        departments = list(queryset.values_list("department", flat=True))
        super().delete_queryset(request, queryset)
        if departments:
            recount.threshold_changed(departments)


@admin.register(CallImport)
class CallImportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source", "file_name", "user"]
    list_select_related = ["source", "user"]
    readonly_fields = ["source", "user", "file_name", "created_at", "result"]

    def has_add_permission(self, request) -> bool:
        return False
