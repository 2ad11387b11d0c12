"""The project's URLs with the funnel page mounted, whether or not the root URLconf has it yet."""

from django.urls import include, path

from salespulse.urls import urlpatterns as root

urlpatterns = [*root, path("dashboard/", include("salespulse.dashboard.funnel_urls"))]
