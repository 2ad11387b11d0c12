from django.contrib import admin

from salespulse.crm.models import Deal


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["day", "employee", "client_key", "amount", "is_repeat", "source"]
    list_filter = ["is_repeat", "source"]
    list_select_related = ["employee__user"]
    date_hierarchy = "day"
