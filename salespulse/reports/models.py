"""The daily report: a seller closes the day; every submission is a version kept forever."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayReport(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for correction")

    employee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("seller"),
        on_delete=models.CASCADE,
        related_name="day_reports",
    )
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # Bumped by every save: a form carries the version it was based on, and a save from a
    # stale form is refused instead of overwriting what another tab saved (no lost update).
    version = models.PositiveIntegerField(_("version"), default=0)
    comment = models.TextField(_("comment"), blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted"))
    submitted_at = models.DateTimeField(_("last submitted"))
    late = models.BooleanField(_("late"), default=False)
    returned_comment = models.TextField(_("head's comment"), blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    # When a head last marked the report as seen: a correction after a return is flagged
    # on the board and in the digest until then.
    seen_at = models.DateTimeField(_("seen by the head"), null=True, blank=True)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["employee", "day"], name="dayreport_unique")]
        indexes = [models.Index(fields=["day", "employee"], name="dayreport_day_employee")]

    def __str__(self) -> str:
        return f"{self.employee} · {self.day:%d.%m.%Y}"

    @property
    def corrected_unseen(self) -> bool:
        """Resubmitted after a return and not yet marked as seen by a head."""
        return (
            self.status == self.Status.SUBMITTED
            and self.returned_at is not None
            and self.submitted_at > self.returned_at
            and (self.seen_at is None or self.seen_at < self.submitted_at)
        )


class ReportVersion(models.Model):
    """What was submitted, by whom and when; never changed once written."""

    report = models.ForeignKey(DayReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # KPI code -> the typed figure as a decimal string.
    values = models.JSONField(_("figures"), default=dict)
    # KPI code -> {"auto": what telephony/CRM saw, "value": the seller's figure, "reason": why}.
    corrections = models.JSONField(_("corrections"), default=dict)
    comment = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("saved at"))
    late = models.BooleanField(_("late"), default=False)
    # The form's one-time key: a double click or a retried POST finds it and creates nothing.
    token = models.UUIDField(default=uuid.uuid4, unique=True)

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="reportversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class ReportEvent(models.Model):
    """What a head did with a report: returned it, commented, marked it as seen."""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("returned for correction")
        COMMENT = "comment", _("comment")
        SEEN = "seen", _("seen")

    report = models.ForeignKey(DayReport, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report} · {self.kind}"


class Notification(models.Model):
    """A reminder or digest claimed for one person and one local day.

    The unique constraint is the claim: two workers racing for the same notification
    both try to insert it and only one succeeds, so nobody gets it twice.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("reminder before the deadline")
        DIGEST = "digest", _("morning digest")

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(auto_now_add=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "day"], name="notification_claim")
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.user_id} · {self.day}"
