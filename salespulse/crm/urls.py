from django.urls import path

from salespulse.crm import views

urlpatterns = [
    path("clients/", views.managers, name="crm-managers"),
    path("clients/<str:login>/", views.clients, name="crm-clients"),
    path("import/", views.upload, name="crm-upload"),
    path("import/<int:pk>/", views.import_result, name="crm-import-result"),
]
