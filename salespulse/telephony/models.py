"""Call sources, the raw call legs they send (kept as they came), and agent mappings."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from salespulse.lib import cdr
from salespulse.lib.tabular import TabularError
from salespulse.org.models import validate_timezone

DIRECTIONS = cdr.DIRECTIONS


def validate_pattern(value: str) -> None:
    try:
        re.compile(value)
    except re.error as e:
        raise ValidationError(
            _("Not a regular expression: %(error)s"), params={"error": e}
        ) from None


class CallSource(models.Model):
    """A PBX, a dialler or a cloud PBX export, with how to read what it sends."""

    class Format(models.TextChoices):
        DETECT = "detect", _("Recognise the layout of each file")
        ASTERISK = "asterisk", _("Asterisk cdr_csv (Master.csv)")
        FREEPBX = "freepbx", _("FreePBX/Issabel cdr table (CSV export)")
        ASTERISK_CUSTOM = "asterisk-custom", _("Asterisk cdr_custom (template)")
        FREESWITCH = "freeswitch", _("FreeSWITCH mod_cdr_csv (template)")
        CSV = "csv", _("Any CSV/XLSX with a header row (column mapping)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    format = models.CharField(
        _("format"), max_length=20, choices=Format.choices, default=Format.DETECT
    )
    template = models.TextField(
        _("template"),
        blank=True,
        help_text=_(
            "For template formats: the template line from cdr_custom.conf or "
            "cdr_csv.conf.xml, or column names separated by commas. Empty: the stock one."
        ),
    )
    mapping = models.JSONField(
        _("column mapping"),
        default=dict,
        blank=True,
        help_text=_('For CSV/XLSX: {"start": "Дата звонка", "agent": "Оператор", …}'),
    )
    timezone = models.CharField(
        _("PBX time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_timezone],
        help_text=_("The clock of times written without an offset (UTC if usegmtime=yes)."),
    )
    directions = models.CharField(
        _("counted directions"),
        max_length=40,
        default="outbound,inbound",
        help_text=_("Which calls count for the calls KPI: outbound, inbound, internal."),
    )
    extension_pattern = models.CharField(
        _("extension pattern"),
        max_length=200,
        default=r"\d{2,6}",
        validators=[validate_pattern],
        help_text=_("A regular expression for internal extensions (to list unmapped agents)."),
    )
    trunks = models.TextField(
        _("trunks"),
        blank=True,
        help_text=_(
            "Peers of the provider trunks (211553, trunk-*), separated by commas or spaces: "
            "their side of a call is outside, never an agent. Trunks seen carrying outside "
            "numbers are recognised without being listed."
        ),
    )
    outside_contexts = models.TextField(
        _("outside contexts"),
        blank=True,
        default=", ".join(cdr.DEFAULT_OUTSIDE_CONTEXTS),
        help_text=_("Dialplan contexts of calls from providers (stadion-pstn, from-trunk*)."),
    )
    # Set once a queue_log has been imported for the source: only then are its calls
    # looked up for a queue's word on them.
    has_queue_log = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("call source")
        verbose_name_plural = _("call sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def counted_directions(self) -> set[str]:
        return {d.strip() for d in self.directions.split(",") if d.strip()}

    def outside(self) -> cdr.Outside:
        """What this source knows of outside parties, for one import."""
        return cdr.Outside(
            cdr.split_list(self.trunks),
            cdr.split_list(self.outside_contexts),
            self.extension_pattern or r"\d{2,6}",
        )

    def clean(self) -> None:
        unknown = self.counted_directions - set(DIRECTIONS)
        if unknown:
            raise ValidationError(
                {"directions": _("Unknown direction: %(d)s") % {"d": ", ".join(sorted(unknown))}}
            )
        if self.template and self.format in (self.Format.ASTERISK_CUSTOM, self.Format.FREESWITCH):
            try:
                names = cdr.parse_template(self.template)
            except TabularError as e:
                raise ValidationError({"template": _(e.message)}) from None
            if "start" not in names:
                raise ValidationError({"template": _("The template has no start time.")})
        if not isinstance(self.mapping, dict) or not all(
            isinstance(v, str | list) for v in self.mapping.values()
        ):
            raise ValidationError({"mapping": _("A mapping is field: header name.")})
        unknown_fields = set(self.mapping) - set(cdr.MAPPING_FIELDS)
        if unknown_fields:
            raise ValidationError(
                {"mapping": _("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown_fields))}}
            )


class AgentAlias(models.Model):
    """A key on call records (extension, SIP peer, login, phone) that means this seller.

    Employee.extension and the seller's login are matched without an alias; aliases add
    what they cannot say: a second phone, a mobile number, a peer named differently.
    """

    source = models.ForeignKey(
        CallSource,
        verbose_name=_("call source"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every source."),
    )
    key = models.CharField(_("extension, login or phone"), max_length=100)
    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("seller"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("agent mapping")
        verbose_name_plural = _("agent mappings")
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="agentalias_unique_source_key"),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(source__isnull=True),
                name="agentalias_unique_global_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.employee}"


class CallLeg(models.Model):
    """One CDR row as it came, with the seller and local day it was attributed to."""

    # No index of their own on the two foreign keys: the unique (source, external_id) and
    # the (employee, day) indexes lead with them and serve their lookups, and every index
    # costs each imported row. No database constraint on PostgreSQL either (migration
    # 0005): its check of every leg at commit took a fifth of an import; deleting a
    # source or a seller goes through Django, which protects or unlinks their legs.
    source = models.ForeignKey(
        CallSource,
        on_delete=models.PROTECT,
        related_name="legs",
        db_index=False,
        db_constraint=False,
    )
    # The PBX's own id of the row, or "h:", the start's UTC minute and a hash of all the
    # row's fields ("q:" for what a queue_log says): importing twice changes nothing.
    external_id = models.CharField(max_length=100)
    # Legs of one call share it (Asterisk linkedid/uniqueid, FreeSWITCH uuid).
    call_key = models.CharField(max_length=150)
    start = models.DateTimeField()
    answer = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField()
    duration = models.PositiveIntegerField(validators=[MaxValueValidator(cdr.MAX_DURATION)])
    billsec = models.PositiveIntegerField()
    disposition = models.CharField(max_length=12)
    src = models.CharField(max_length=100, blank=True)
    dst = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=200, blank=True)
    dstchannel = models.CharField(max_length=200, blank=True)
    # The key the seller was found by, or an unmapped agent's key ("" when none).
    agent = models.CharField(max_length=100, blank=True)
    direction = models.CharField(max_length=10, blank=True)
    employee = models.ForeignKey(
        "org.Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The seller's local date of the start; kept so day figures read an index.
    day = models.DateField(null=True, blank=True)
    link = models.CharField(max_length=100, blank=True)
    raw = models.TextField(blank=True)  # the row's cells, JSON

    class Meta:
        verbose_name = _("call leg")
        verbose_name_plural = _("call legs")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="callleg_unique_source_id"
            ),
        ]
        indexes = [
            # Day figures read a seller's legs by day. No index on call_key: nothing looks
            # a call up by it, and each index costs every imported row.
            models.Index(fields=["employee", "day"], name="callleg_employee_day"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"


class CallImport(models.Model):
    """One import (a file from the CLI or the web, or an API batch) and what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("importing")
        DONE = "done", _("done")

    source = models.ForeignKey(CallSource, on_delete=models.CASCADE, related_name="imports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    file_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A big web upload is imported by the worker (sources.runner): the result
    # page follows it by these.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    rows_read = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    result = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("call import")
        verbose_name_plural = _("call imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name or self.source} {self.created_at:%d.%m.%Y %H:%M}"


class ConversationThreshold(models.Model):
    """A department's own threshold for a conversation (default: the setting, 15 s)."""

    department = models.OneToOneField(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="conversation_threshold",
    )
    seconds = models.PositiveIntegerField(
        _("a conversation is longer than, seconds"), validators=[MaxValueValidator(3600)]
    )

    class Meta:
        verbose_name = _("conversation threshold")
        verbose_name_plural = _("conversation thresholds")

    def __str__(self) -> str:
        return f"{self.department}: {self.seconds} s"
