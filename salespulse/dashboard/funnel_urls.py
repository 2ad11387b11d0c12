"""The funnel's route, included by the project's dashboard URLs (no app namespace)."""

from django.urls import path

from salespulse.dashboard.funnel_views import department_funnel_page

urlpatterns = [
    path("<slug:code>/funnel/", department_funnel_page, name="department-funnel"),
]
