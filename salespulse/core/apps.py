from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salespulse.core"
    label = "core"
