"""Raw CRM events, kept as they came: the source of `distinct` KPIs and of deal figures."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Deal(models.Model):
    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("seller"), on_delete=models.PROTECT, related_name="deals"
    )
    client_key = models.CharField(_("client"), max_length=200)
    closed_at = models.DateTimeField(_("closed at"))
    # The seller's local date of closed_at, kept so period queries use an index, not a
    # per-row time zone conversion.
    day = models.DateField(_("day"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    is_repeat = models.BooleanField(_("repeat deal"), default=False)
    source = models.CharField(_("source"), max_length=50)
    external_id = models.CharField(_("external id"), max_length=200)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="deal_unique_source_id"),
        ]
        indexes = [models.Index(fields=["employee", "day"], name="deal_employee_day")]

    def __str__(self) -> str:
        return f"{self.client_key} {self.amount} ({self.day:%d.%m.%Y})"
