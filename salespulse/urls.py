from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from salespulse.dashboard import views as dashboard
from salespulse.front import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="front/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="front/set_password.html", success_url="/login/"
        ),
        name="set-password",
    ),
    path("sellers/<str:login>/", dashboard.seller, name="seller"),
    path("departments/", dashboard.departments, name="departments"),
    path("departments/<slug:code>/", dashboard.department, name="department"),
    path("departments/", include("salespulse.dashboard.leaderboard_urls")),
    path("departments/", include("salespulse.dashboard.funnel_urls")),
    path("departments/", include("salespulse.dashboard.plans_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("salespulse.api.urls")),
    path("reports/", include("salespulse.reports.urls")),
    path("bonus/", include("salespulse.bonus.urls")),
    path("telephony/", include("salespulse.telephony.urls")),
    path("crm/", include("salespulse.crm.urls")),
    path("sources/", include("salespulse.sources.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "salespulse.front.views.bad_request"
handler403 = "salespulse.front.views.permission_denied"
handler404 = "salespulse.front.views.page_not_found"
handler500 = "salespulse.front.views.server_error"
