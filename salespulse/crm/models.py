"""Raw CRM events, kept as they came: deals, clients, and how each source's stages read."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salespulse.lib.crm.stages import DealStatus, StageKind, stage_key

# Sums are in the company's currency; a deal in another one is kept but not added up.
COMPANY_CURRENCY = "RUB"


class Client(models.Model):
    """A client; in an account manager's portfolio from the day it was handed over."""

    class Assigned(models.TextChoices):
        IMPORT = "import", _("client import or API")
        DEALS = "deals", _("first won deal with an account manager")

    # The normalised name: what deal exports (which give names, not ids) are matched by.
    key = models.CharField(_("key"), max_length=300, unique=True)
    name = models.CharField(_("name"), max_length=300)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    manager = models.ForeignKey(
        "org.Employee",
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        related_name="clients",
        null=True,
        blank=True,
    )
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)
    assigned_by = models.CharField(
        _("assigned by"), max_length=10, choices=Assigned.choices, blank=True
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["manager", "handed_over_on"], name="client_manager"),
            models.Index(fields=["external_id"], name="client_external_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    class Status(models.TextChoices):
        OPEN = DealStatus.OPEN.value, _("in progress")
        WON = DealStatus.WON.value, _("won")
        LOST = DealStatus.LOST.value, _("lost")

    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("seller"), on_delete=models.PROTECT, related_name="deals"
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.SET_NULL,
        related_name="deals",
        null=True,
        blank=True,
    )
    client_key = models.CharField(_("client"), max_length=300, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WON
    )
    created_at = models.DateTimeField(_("created at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The seller's local date of closed_at, kept so period queries use an index, not a
    # per-row time zone conversion.
    day = models.DateField(_("day"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=COMPANY_CURRENCY)
    is_repeat = models.BooleanField(_("repeat deal"), default=False)
    # What the CRM itself says (Bitrix24's «Повторная сделка»): counts as repeat even when
    # the client's earlier deals were never imported.
    crm_repeat = models.BooleanField(_("repeat in the CRM"), default=False)
    source = models.CharField(_("source"), max_length=50)
    external_id = models.CharField(_("external id"), max_length=200)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="deal_unique_source_id"),
        ]
        indexes = [
            models.Index(fields=["employee", "day"], name="deal_employee_day"),
            models.Index(fields=["client", "day"], name="deal_client_day"),
        ]

    def __str__(self) -> str:
        day = f"{self.day:%d.%m.%Y}" if self.day else "—"
        return f"{self.client_key} {self.amount} ({day})"


class Stage(models.Model):
    """How one source's stage reads: won, lost, or which step of the funnel."""

    class Kind(models.TextChoices):
        LEAD = StageKind.LEAD.value, _("lead")
        IN_PROGRESS = StageKind.IN_PROGRESS.value, _("deal in progress")
        WON = StageKind.WON.value, _("won")
        LOST = StageKind.LOST.value, _("lost")

    source = models.CharField(_("source"), max_length=50)
    name = models.CharField(_("stage in the CRM"), max_length=200)
    key = models.CharField(max_length=200, editable=False)
    kind = models.CharField(_("counts as"), max_length=20, choices=Kind.choices)
    confirmed = models.BooleanField(
        _("checked"),
        default=True,
        help_text=_("Unchecked: first seen in an import and guessed; please check it."),
    )

    class Meta:
        verbose_name = _("CRM stage")
        verbose_name_plural = _("CRM stages")
        ordering = ["source", "name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="stage_unique_source_key")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.key = stage_key(self.name)
        super().save(*args, **kwargs)


class ColumnMapping(models.Model):
    """A saved column mapping for any CSV/XLSX: which header holds which field."""

    class Kind(models.TextChoices):
        DEALS = "deals", _("deals")
        CLIENTS = "clients", _("clients")

    name = models.SlugField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DEALS)
    source = models.CharField(
        _("source"),
        max_length=50,
        blank=True,
        help_text=_(
            "Deals are stored and stages mapped under this name (the mapping's name if empty)."
        ),
    )
    columns = models.JSONField(
        _("columns"),
        default=dict,
        help_text=_(
            'Field to header, e.g. {"id": "Номер", "seller": "Менеджер", "amount": "Сумма"}'
        ),
    )

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_name(self) -> str:
        return self.source or self.name


class ImportRun(models.Model):
    """One import (file or API batch) and its result, for the result page and the record."""

    kind = models.CharField(_("kind"), max_length=10, default="deals")
    source = models.CharField(_("source"), max_length=50)
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    result = models.JSONField(_("result"), default=dict)

    class Meta:
        verbose_name = _("CRM import")
        verbose_name_plural = _("CRM imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name} {self.started_at:%d.%m.%Y %H:%M}"
