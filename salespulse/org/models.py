"""People and structure: departments, their heads, sellers, absences, the company calendar."""

import zoneinfo
from datetime import date, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

TIMEZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    heads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("heads"),
        related_name="headed_departments",
        blank=True,
    )
    report_deadline = models.TimeField(
        _("daily report deadline"),
        default=time(19, 0),
        help_text=_("In each seller's own time zone."),
    )
    reminder_minutes = models.PositiveSmallIntegerField(
        _("reminder, minutes before the deadline"),
        default=30,
        help_text=_("Sellers who have not closed a working day get an e-mail; 0 turns it off."),
    )
    show_leaderboard = models.BooleanField(
        _("Show the leaderboard to the team"),
        default=False,
        help_text=_(
            "Off by default: a public ranking tends to backfire (those at the bottom lose heart "
            "or bend their figures). When off, the head sees the full leaderboard and each "
            "seller sees only their own progress and place."
        ),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    """Everybody who is not only an admin: sellers, heads of sales, the commercial director."""

    class Position(models.TextChoices):
        SELLER = "seller", _("Seller")
        HEAD = "head", _("Head of sales")
        DIRECTOR = "director", _("Commercial director")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employee"
    )
    position = models.CharField(
        _("position"), max_length=20, choices=Position.choices, default=Position.SELLER
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="employees",
        null=True,
        blank=True,
    )
    sales_role = models.ForeignKey(
        "kpis.Role",
        verbose_name=_("sales role"),
        on_delete=models.PROTECT,
        related_name="employees",
        null=True,
        blank=True,
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_timezone],
    )
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    extension = models.CharField(_("telephony extension"), max_length=50, blank=True)
    crm_id = models.CharField(_("CRM user id"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["user__last_name", "user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["extension"],
                condition=~models.Q(extension=""),
                name="employee_unique_extension",
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def login(self) -> str:
        return self.user.username

    @property
    def is_seller(self) -> bool:
        return self.position == self.Position.SELLER

    def clean(self) -> None:
        if self.position == self.Position.SELLER:
            if self.department_id is None:
                raise ValidationError({"department": _("A seller belongs to a department.")})
            if self.sales_role_id is None:
                raise ValidationError({"sales_role": _("A seller has a sales role.")})
        if self.hired_on and self.left_on and self.left_on < self.hired_on:
            raise ValidationError({"left_on": _("Leaving date is before the hiring date.")})

    def is_employed_on(self, day: date) -> bool:
        if self.hired_on and day < self.hired_on:
            return False
        return not (self.left_on and day > self.left_on)


class Absence(models.Model):
    class Kind(models.TextChoices):
        VACATION = "vacation", _("Vacation")
        SICK = "sick", _("Sick leave")
        OTHER = "other", _("Other")

    employee = models.ForeignKey(
        Employee, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="absences"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="absence_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.employee}: {self.get_kind_display()} {self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"
        )

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The last day is before the first day.")})


class CalendarOverride(models.Model):
    """A company-level exception to the country's production calendar."""

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y}"
