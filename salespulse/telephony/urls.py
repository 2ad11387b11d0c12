from django.urls import path

from salespulse.telephony import views

urlpatterns = [
    path("import/", views.upload, name="telephony-upload"),
    path("import/<int:pk>/", views.import_result, name="telephony-import-result"),
    path("unmapped/", views.unmapped, name="telephony-unmapped"),
]
