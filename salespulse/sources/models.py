"""Where data comes in from (a source) and each time it came (a run), for every kind.

A source says how to reach the data (a PBX's CDR table, a file, the push API) and when;
a run is one import or sync of it: who or what started it, where it stands, the rows it
read and what became of them. Runs are queued here and executed by `salespulse worker`
(`sources.runner`), never on a web server's thread.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salespulse.org.models import validate_timezone


def new_hook_key() -> str:
    return secrets.token_urlsafe(24)


class Source(models.Model):
    class Kind(models.TextChoices):
        ASTERISK_DB = "asterisk-db", _("PBX CDR table (MySQL, PostgreSQL, SQLite)")
        ASTERISK_FILE = "asterisk-file", _("CDR files (upload or CLI)")
        API = "api", _("Push API")
        CRM_FILE = "crm-file", _("CRM export files")
        BITRIX24 = "bitrix24", _("Bitrix24 (incoming webhook)")
        AMOCRM = "amocrm", _("amoCRM / Kommo (API v4)")

    class Status(models.TextChoices):
        NEW = "new", _("not synced yet")
        OK = "ok", _("working")
        FAILING = "failing", _("failing")
        # The CRM refused our credentials (401/403): retrying will not help, a person must.
        NO_ACCESS = "no-access", _("no access")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    url = models.CharField(
        _("URL"),
        max_length=500,
        blank=True,
        help_text=_("mysql://user:password@host:3306/asteriskcdrdb, postgres://…, sqlite:///path"),
    )
    timezone = models.CharField(
        _("PBX time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_timezone],
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    every_minutes = models.PositiveIntegerField(
        _("sync every, minutes"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    since = models.DateField(_("first sync from"), null=True, blank=True)
    # A CRM's secret is read when needed, from a file or an environment variable, so it
    # is never in the database, a page or a backup.
    token_file = models.CharField(_("token file"), max_length=500, blank=True)
    token_env = models.CharField(_("token environment variable"), max_length=100, blank=True)
    # The push endpoint's address is /sources/hooks/<pk>/<hook_key>/ (amoCRM signs nothing).
    hook_key = models.CharField(max_length=64, default=new_hook_key, editable=False)
    # Bitrix24's outgoing webhook sends this in auth[application_token]: checked on each push.
    app_token = models.CharField(_("application token"), max_length=100, blank=True)
    # The account's currency where the CRM does not give one per deal (amoCRM).
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    # What deals from here are stored under (crm.Deal.source, crm.Stage.source): the
    # CRM's name by default, so a deal pulled and the same deal in an export are one deal.
    deal_source = models.CharField(_("deals stored as"), max_length=50, blank=True)
    # A CRM's: {"users": {crm user id: employee login}} and what the connector keeps.
    options = models.JSONField(default=dict, blank=True)
    # Where the calls are stored (their legs, agent mappings, counted directions).
    calls = models.OneToOneField(
        "telephony.CallSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pipeline",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    # The latest call date read (the PBX's clock): the next sync reads from it minus
    # the overlap window.
    watermark = models.CharField(max_length=40, blank=True)
    # Where the last sync read from, and the rows the table had from there: unchanged
    # (and no newer call), nothing is new (telephony.pull).
    window_start = models.CharField(max_length=40, blank=True)
    window_rows = models.PositiveBigIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # When a sync last brought a new call, for the board's "silent since".
    last_new_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When a CRM's deals were last compared with every deal it lists (sources.reconcile):
    # a sync reconciles once a day, claimed by a conditional UPDATE of this.
    reconciled_at = models.DateTimeField(null=True, blank=True)
    # Calls an hour it usually brings in working hours (scheduled syncs of the last week),
    # for the board's "silent" line; 0 until known.
    calls_per_hour = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def due(self, now: timezone.datetime) -> bool:
        if not self.enabled or self.kind not in SYNCED_KINDS:
            return False
        last = self.last_attempt_at
        return last is None or now - last >= timedelta(minutes=self.every_minutes)

    @property
    def stored_as(self) -> str:
        return self.deal_source or self.kind

    def token(self) -> str:
        """The CRM's secret from its file or variable; "" when neither is set or readable."""
        if self.token_env:
            return os.environ.get(self.token_env, "").strip()
        if self.token_file:
            try:
                return Path(self.token_file).read_text(encoding="utf-8").strip()
            except OSError:
                return ""
        return ""

    @property
    def safe_url(self) -> str:
        from salespulse.lib.cdr.tables import TableError, parse_url

        if self.kind in CRM_KINDS:
            from salespulse.lib.crm.http import safe_url

            return safe_url(self.url)

        try:
            return parse_url(self.url).safe()
        except TableError:
            return ""


SYNCED_KINDS = (Source.Kind.ASTERISK_DB, Source.Kind.BITRIX24, Source.Kind.AMOCRM)
CRM_KINDS = (Source.Kind.BITRIX24, Source.Kind.AMOCRM)


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CUT_OFF = "cut_off", _("cut off")

    class Kind(models.TextChoices):
        SYNC = "sync", _("sync")
        CALL_FILE = "call-file", _("call records file")
        CALL_API = "call-api", _("calls pushed by the API")
        DEAL_FILE = "deal-file", _("CRM deals export")
        CLIENT_FILE = "client-file", _("CRM clients export")
        DEAL_API = "deal-api", _("deals pushed by the API")
        # A CRM's webhook said these deals changed: params {"changed": [ids], "deleted": [ids]}.
        CRM_PUSH = "crm-push", _("deals pushed by the CRM")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        CLI = "cli", _("command line")
        WEB = "web", _("web")
        API = "api", _("API")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A queued file: where it waits under the data directory, and the import record the
    # telephony result page follows.
    file_name = models.CharField(max_length=255, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    call_import = models.ForeignKey(
        "telephony.CallImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    crm_import = models.ForeignKey(
        "crm.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    call_source = models.ForeignKey(
        "telephony.CallSource", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # How a queued CRM export is to be read: {"kind", "format", "mapping"}.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    # imported, already_stored, repeats, not_sales, refused (and the rows they add up to)
    counts = models.JSONField(default=dict)
    rejected = models.JSONField(default=list)  # [{"line", "reason"}], the first ones
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="run_status_created")]

    def __str__(self) -> str:
        what = self.source or self.file_name
        return f"{self.get_kind_display()} {what} {self.created_at:%d.%m.%Y %H:%M}"
