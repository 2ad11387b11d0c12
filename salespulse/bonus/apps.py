from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BonusConfig(AppConfig):
    name = "salespulse.bonus"
    label = "bonus"
    verbose_name = _("Bonuses")
