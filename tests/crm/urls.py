"""The project's URLs with the CRM screens mounted, whether or not the root URLconf has them yet."""

from django.urls import include, path

from salespulse.urls import urlpatterns as root

urlpatterns = list(root)
if not any(str(p.pattern) == "crm/" for p in root):
    urlpatterns.append(path("crm/", include("salespulse.crm.urls")))
