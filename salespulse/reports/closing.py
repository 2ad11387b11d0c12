"""Closing a day: validate everything first, then write one new version and the day's facts.

Guarantees a seller relies on:
- bad input changes nothing (every figure is checked before anything is written);
- a repeated submit (double click, a retried POST) creates nothing twice (the form's token);
- a save from a stale form (another tab saved meanwhile) is refused, not silently merged;
- every save is a new version; earlier ones stay for the head to see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.kpis.facts import set_reported_facts, withdraw_reported_facts
from salespulse.kpis.models import DailyFact, Kpi
from salespulse.lib import fmt
from salespulse.org.models import Employee
from salespulse.reports.models import DayReport, ReportEvent, ReportVersion
from salespulse.reports.status import deadline, local_today


class ClosingError(Exception):
    """Why a report cannot be saved; the message is for the seller, in their language."""

    def __init__(self, message: str, status: int = 400, field_errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field_errors = field_errors or {}


class Conflict(ClosingError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This report was changed in another window while you were editing. "
                "Reload the page to see the saved version, then make your change again."
            ),
            status=409,
        )


@dataclass
class Submission:
    values: dict[str, str] = field(default_factory=dict)  # manual KPI code -> typed text
    corrections: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (text, reason)
    comment: str = ""
    base_version: int = 0
    token: uuid.UUID | None = None


def input_kpis(employee: Employee, kpis: list[Kpi] | None = None) -> tuple[list[Kpi], list[Kpi]]:
    """The seller's KPIs a report holds: (typed ones, ones computed from events). `kpis`:
    the role's ordered KPIs when the caller has them already."""
    if employee.sales_role is None:
        return [], []
    if kpis is None:
        kpis = employee.sales_role.ordered_kpis()
    manual = [k for k in kpis if k.source == Kpi.Source.MANUAL]
    counted = (Kpi.Aggregation.DISTINCT, Kpi.Aggregation.COHORT)
    auto = [k for k in kpis if k.source == Kpi.Source.AUTO and k.aggregation not in counted]
    return manual, auto


def check_day(employee: Employee, day: date, now: datetime | None = None) -> None:
    if day > local_today(employee, now):
        raise ClosingError(_("A day that has not come yet cannot be closed."))
    if employee.hired_on and day < employee.hired_on:
        raise ClosingError(
            _("You joined on %(date)s: there is nothing to report before that.")
            % {"date": fmt.date_ru(employee.hired_on)}
        )
    if employee.left_on and day > employee.left_on:
        raise ClosingError(_("This day is after your last working day."))


def parse_figure(kpi: Kpi, text: str) -> Decimal:
    """A figure as typed, checked against what a day can hold; ClosingError otherwise."""
    text = (text or "").strip()
    if not text:
        raise ClosingError(_("Enter a number (0 if there was nothing)."))
    try:
        value = fmt.parse_decimal(text)
    except ValueError:
        raise ClosingError(_("“%(text)s” is not a number.") % {"text": text}) from None
    if value < 0:
        raise ClosingError(_("A figure cannot be negative."))
    if kpi.unit == Kpi.Unit.COUNT and value != value.to_integral_value():
        raise ClosingError(_("Enter a whole number."))
    limit = kpi.daily_max
    if limit is None and kpi.unit == Kpi.Unit.COUNT:
        limit = Decimal(settings.SALESPULSE_DAILY_MAX)
    if limit is not None and value > limit:
        raise ClosingError(
            _("%(value)s is more than a day can hold (at most %(limit)s): check for a typo.")
            % {"value": fmt.number(value, 2), "limit": fmt.number(limit)}
        )
    return value.quantize(Decimal("0.01"))


def auto_figures(employee: Employee, day: date, kpis: list[Kpi]) -> dict[str, Decimal | None]:
    """What telephony/CRM imports say for the day, whatever the seller reported."""
    found = {
        code: (auto if auto is not None else (value if source != DailyFact.Source.REPORT else None))
        for code, value, auto, source in DailyFact.objects.filter(
            employee=employee, day=day, kpi__in=kpis
        ).values_list("kpi__code", "value", "auto_value", "source")
    }
    return {k.code: found.get(k.code) for k in kpis}


def submit(
    employee: Employee, day: date, data: Submission, author, now: datetime | None = None
) -> tuple[DayReport, bool]:
    """Save the day's report as a new version; returns (report, whether anything was saved)."""
    now = now or timezone.now()
    if data.token is not None:
        done = ReportVersion.objects.filter(token=data.token).select_related("report").first()
        if done is not None:
            if done.report.employee_id != employee.pk:
                raise ClosingError(_("This form belongs to another report."), status=400)
            return done.report, False
    check_day(employee, day, now)
    manual, auto = input_kpis(employee)
    errors: dict[str, str] = {}
    values: dict[str, Decimal] = {}
    for kpi in manual:
        try:
            values[kpi.code] = parse_figure(kpi, data.values.get(kpi.code, ""))
        except ClosingError as e:
            errors[kpi.code] = e.message
    corrections: dict[str, dict[str, str]] = {}
    seen = auto_figures(employee, day, auto)
    auto_codes = {k.code: k for k in auto}
    for code, (text, reason) in data.corrections.items():
        if code not in auto_codes or not (text or "").strip():
            continue
        try:
            value = parse_figure(auto_codes[code], text)
        except ClosingError as e:
            errors[code] = e.message
            continue
        if not reason.strip():
            errors[code] = _("Say why the figure differs from what was recorded automatically.")
            continue
        corrections[code] = {
            "auto": None if seen[code] is None else str(seen[code]),
            "value": str(value),
            "reason": reason.strip(),
        }
    if errors:
        raise ClosingError(_("Some figures need fixing."), field_errors=errors)
    comment = data.comment.strip()
    late = now > deadline(employee, day)

    try:
        with transaction.atomic():
            report = _save_report(employee, day, data.base_version, comment, late, now)
            ReportVersion.objects.create(
                report=report,
                # Versions count the seller's saves only (1, 2, 3): a head's return bumps
                # report.version (the lock), not the numbering the head reads.
                number=ReportVersion.objects.filter(report=report).count() + 1,
                values={c: str(v) for c, v in values.items()},
                corrections=corrections,
                comment=comment,
                author=author,
                created_at=now,
                late=late,
                token=data.token or uuid.uuid4(),
            )
            reported = dict(values)
            reported.update({c: Decimal(x["value"]) for c, x in corrections.items()})
            set_reported_facts(employee.pk, day, reported)
            withdraw_reported_facts(
                employee.pk, day, [c for c in auto_codes if c not in corrections]
            )
    except (IntegrityError, Conflict):
        # Another tab saved first, or the same form was sent twice (a double click: the
        # second request passed the token check before the first committed). The same
        # form is one save; another tab's is a conflict, never overwritten.
        done = ReportVersion.objects.filter(token=data.token).select_related("report").first()
        if data.token is not None and done is not None:
            return done.report, False
        raise Conflict() from None
    return report, True


def _save_report(
    employee: Employee, day: date, base_version: int, comment: str, late: bool, now: datetime
) -> DayReport:
    if base_version == 0:
        if DayReport.objects.filter(employee=employee, day=day).exists():
            raise Conflict()
        return DayReport.objects.create(
            employee=employee,
            day=day,
            status=DayReport.Status.SUBMITTED,
            version=1,
            comment=comment,
            first_submitted_at=now,
            submitted_at=now,
            late=late,
        )
    # The conditional update is the lock: only a form based on the current version saves.
    updated = DayReport.objects.filter(employee=employee, day=day, version=base_version).update(
        version=F("version") + 1,
        status=DayReport.Status.SUBMITTED,
        comment=comment,
        submitted_at=now,
    )
    if not updated:
        raise Conflict()
    return DayReport.objects.get(employee=employee, day=day)


def return_report(report: DayReport, head, comment: str, now: datetime | None = None) -> None:
    """The head sends a report back with a comment; the seller sees it and resubmits."""
    comment = comment.strip()
    if not comment:
        raise ClosingError(_("Say what needs correcting."))
    if report.status != DayReport.Status.SUBMITTED:
        raise ClosingError(_("This report has already been returned."), status=409)
    now = now or timezone.now()
    with transaction.atomic():
        updated = DayReport.objects.filter(pk=report.pk, version=report.version).update(
            status=DayReport.Status.RETURNED,
            returned_comment=comment,
            returned_by=head,
            returned_at=now,
            version=F("version") + 1,
        )
        if not updated:
            raise Conflict()
        ReportEvent.objects.create(
            report=report, kind=ReportEvent.Kind.RETURNED, author=head, at=now, text=comment
        )
