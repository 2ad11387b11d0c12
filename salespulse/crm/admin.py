from django.contrib import admin, messages
from django.utils import timezone

from salespulse.crm import importer, portfolio
from salespulse.crm.models import Client, ColumnMapping, Deal, ImportRun, Stage
from salespulse.kpis import recount
from salespulse.kpis.models import Recount


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["external_id", "day", "employee", "client_key", "stage", "status", "amount",
                    "is_repeat", "source"]  # fmt: skip
    list_filter = ["status", "is_repeat", "source"]
    list_select_related = ["employee__user"]
    search_fields = ["external_id", "client_key", "title"]
    date_hierarchy = "day"
    raw_id_fields = ["client"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "handed_over_on", "assigned_by", "external_id"]
    list_filter = ["assigned_by"]
    list_select_related = ["manager__user"]
    search_fields = ["name", "external_id"]
    readonly_fields = ["key"]

    def save_model(self, request, obj, form, change):
        before = Client.objects.filter(pk=obj.pk).values_list("manager_id", flat=True).first()
        if obj.pk is None:
            from salespulse.lib.crm.names import client_key

            obj.key = client_key(obj.name)
        if {"manager", "handed_over_on"} & set(form.changed_data):
            obj.assigned_by = Client.Assigned.IMPORT
        super().save_model(request, obj, form, change)
        # The portfolio moved: both managers' figures follow.
        today = timezone.localdate()
        for manager_id in {before, obj.manager_id} - {None}:
            portfolio.refresh_portfolio_facts(manager_id, today)
            low, high = importer.portfolio_span(manager_id)
            if low is not None:
                portfolio.refresh_repeat_facts(manager_id, low, high)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "kind", "confirmed"]
    list_editable = ["kind", "confirmed"]
    list_filter = ["source", "kind", "confirmed"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "kind" in form.changed_data:
            # Deals already imported with this stage are won or lost by the new mapping:
            # the worker recounts them (a source may hold a hundred thousand deals).
            recount.request(
                Recount.Kind.STAGES, {"crm_source": obj.source}, None, f"stage {obj.name}"
            )
            messages.info(request, recount.ASKED)


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "source"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "kind", "source", "file_name", "user"]
    list_filter = ["kind", "source"]
    readonly_fields = ["kind", "source", "file_name", "user", "started_at", "result"]
