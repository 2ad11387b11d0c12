"""/api/v1/: the machine API. Each feature app adds its endpoints here."""

from django.urls import path

from salespulse.bonus import api as bonus_api
from salespulse.crm import api as crm_api
from salespulse.telephony import api as telephony_api

urlpatterns: list = [
    path("deals", crm_api.deals, name="api-deals"),
    path("calls", telephony_api.calls, name="api-calls"),
    path("bonus", bonus_api.bonus, name="api-bonus"),
]
