from django.contrib import admin

from salespulse.telephony.models import (
    AgentAlias,
    CallImport,
    CallSource,
    ConversationThreshold,
)


@admin.register(CallSource)
class CallSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "format", "timezone", "directions"]


@admin.register(AgentAlias)
class AgentAliasAdmin(admin.ModelAdmin):
    list_display = ["key", "employee", "source"]
    list_select_related = ["employee__user", "source"]
    search_fields = ["key", "employee__user__username", "employee__user__last_name"]
    autocomplete_fields = ["employee"]


@admin.register(ConversationThreshold)
class ConversationThresholdAdmin(admin.ModelAdmin):
    list_display = ["department", "seconds"]


@admin.register(CallImport)
class CallImportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source", "file_name", "user"]
    list_select_related = ["source", "user"]
    readonly_fields = ["source", "user", "file_name", "created_at", "result"]

    def has_add_permission(self, request) -> bool:
        return False
