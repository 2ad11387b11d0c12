from django.urls import path

from salespulse.bonus import views

app_name = "bonus"
urlpatterns = [
    path("<slug:code>/", views.payroll_view, name="payroll"),
    path("<slug:code>/close/", views.close_view, name="close"),
    path("<slug:code>/scheme/", views.scheme_view, name="scheme"),
]
