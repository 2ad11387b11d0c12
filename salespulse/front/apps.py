from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontConfig(AppConfig):
    name = "salespulse.front"
    label = "front"
    verbose_name = _("Screens")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from salespulse.front.middleware import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="salespulse.front.stamp_login")
