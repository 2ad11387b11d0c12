from django.urls import path

from salespulse.reports import views

app_name = "reports"
urlpatterns = [
    path("day/", views.my_day, name="day"),
    path("day/<str:day>/", views.my_day, name="day-of"),
    path("month/", views.my_month, name="month"),
    path("sellers/<str:login>/", views.seller_month, name="seller-month"),
    path("sellers/<str:login>/<str:day>/", views.seller_report, name="seller-report"),
    path("sellers/<str:login>/<str:day>/return/", views.return_report, name="return"),
    path("sellers/<str:login>/<str:day>/comment/", views.comment_report, name="comment"),
    path("sellers/<str:login>/<str:day>/seen/", views.mark_seen, name="seen"),
]
