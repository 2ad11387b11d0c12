"""Bonus schemes (per role, department or seller, each valid from a month) and closed months.

The arithmetic is `salespulse.lib.bonus`; a scheme is stored as the data of its language
(`lib.bonus_spec`), so the file, the form and the database say the same thing.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salespulse.kpis.models import Kpi
from salespulse.lib import bonus_spec
from salespulse.lib.bonus import Scheme as SchemeSpec


class Scheme(models.Model):
    """One version of a scheme: for a role, or overriding it for a department or a seller,
    in force from `valid_from` (the first of a month) until its next version."""

    role = models.ForeignKey(
        "kpis.Role", verbose_name=_("sales role"), null=True, blank=True, on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("seller"), null=True, blank=True, on_delete=models.CASCADE
    )
    valid_from = models.DateField(_("valid from"), help_text=_("First day of the month."))
    spec = models.JSONField(_("scheme"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("bonus scheme")
        verbose_name_plural = _("bonus schemes")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__isnull=False, department__isnull=True, employee__isnull=True)
                    | Q(role__isnull=True, department__isnull=False, employee__isnull=True)
                    | Q(role__isnull=True, department__isnull=True, employee__isnull=False)
                ),
                name="bonusscheme_one_target",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__day=1), name="bonusscheme_from_month_start"
            ),
            models.UniqueConstraint(
                fields=["role", "valid_from"],
                condition=Q(role__isnull=False),
                name="bonusscheme_role_month",
            ),
            models.UniqueConstraint(
                fields=["department", "valid_from"],
                condition=Q(department__isnull=False),
                name="bonusscheme_department_month",
            ),
            models.UniqueConstraint(
                fields=["employee", "valid_from"],
                condition=Q(employee__isnull=False),
                name="bonusscheme_employee_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_label} · {self.valid_from:%m.%Y}"

    @property
    def target_label(self) -> str:
        if self.employee_id:
            return f"seller:{self.employee.login}"
        if self.department_id:
            return f"department:{self.department.code}"
        return self.role.code

    def parsed(self) -> SchemeSpec:
        return bonus_spec.parse(self.spec)

    def clean(self) -> None:
        # The admin edits the stored data directly: hold it to the language's rules.
        if sum(x is not None for x in (self.role_id, self.department_id, self.employee_id)) != 1:
            raise ValidationError(_("A scheme is for one role, one department or one seller."))
        if self.valid_from and self.valid_from.day != 1:
            raise ValidationError({"valid_from": _("First day of the month.")})
        known = set(Kpi.objects.values_list("code", flat=True))
        try:
            bonus_spec.parse(self.spec or {}, known_kpis=known)
        except bonus_spec.SchemeError as e:
            raise ValidationError({"spec": str(e)}) from None


class ClosedMonth(models.Model):
    """A department's month whose bonuses are paid: its payouts are frozen in `Payout`."""

    department = models.ForeignKey(
        "org.Department", on_delete=models.CASCADE, related_name="closed_months"
    )
    month = models.DateField(_("month"))
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        constraints = [
            models.UniqueConstraint(fields=["department", "month"], name="closedmonth_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.month:%m.%Y}"


class Payout(models.Model):
    """A seller's bonus of a closed month as it was paid (the JSON row of `salespulse bonus`)."""

    closed = models.ForeignKey(ClosedMonth, on_delete=models.CASCADE, related_name="payouts")
    employee = models.ForeignKey("org.Employee", on_delete=models.CASCADE, related_name="+")
    row = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["closed", "employee"], name="payout_unique")]

    def __str__(self) -> str:
        return f"{self.row.get('seller')} · {self.row.get('month')}: {self.row.get('total')}"
