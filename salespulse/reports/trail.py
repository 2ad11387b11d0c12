"""A report's trail as the head reads it: every version with what changed, the returns with
their comments, the head's comments and "seen" marks, in the order they happened; and the
reports corrected after a return that no head has looked at yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.kpis.figures import load
from salespulse.kpis.models import Kpi
from salespulse.lib.periods import Period
from salespulse.org.models import Department, Employee
from salespulse.reports.closing import ClosingError, auto_figures, input_kpis
from salespulse.reports.cutoffs import cutoffs
from salespulse.reports.models import DayReport, ReportEvent, ReportVersion
from salespulse.reports.status import local_today


@dataclass
class Change:
    kpi: Kpi | None
    code: str
    old: str | None  # decimal strings as versions keep them; None: not there before
    new: str | None


@dataclass
class Step:
    at: datetime
    kind: str  # version / returned / comment / seen
    author: object
    text: str = ""
    version: ReportVersion | None = None
    changes: list[Change] = field(default_factory=list)


def _figures(version: ReportVersion) -> dict[str, str]:
    """What a version says per KPI: the typed figures and the corrected recorded ones."""
    result = dict(version.values)
    result.update({c: x["value"] for c, x in version.corrections.items()})
    return result


def _changes(before: dict[str, str], after: dict[str, str], kpis: dict[str, Kpi]) -> list[Change]:
    changes = []
    for code in [*after, *(c for c in before if c not in after)]:
        old, new = before.get(code), after.get(code)
        if old is None or new is None or Decimal(old) != Decimal(new):
            changes.append(Change(kpis.get(code), code, old, new))
    return changes


def trail(report: DayReport, kpis: dict[str, Kpi]) -> list[Step]:
    """Everything that happened to the report, oldest first (two queries)."""
    steps: list[Step] = []
    previous: dict[str, str] | None = None
    for v in report.versions.select_related("author").order_by("number"):
        now = _figures(v)
        changes = [] if previous is None else _changes(previous, now, kpis)
        steps.append(Step(v.created_at, "version", v.author, v.comment, v, changes))
        previous = now
    for e in report.events.select_related("author"):
        steps.append(Step(e.at, e.kind, e.author, e.text))
    steps.sort(key=lambda s: s.at)
    return steps


def comment(report: DayReport, head, text: str) -> ReportEvent:
    text = text.strip()
    if not text:
        raise ClosingError(_("Write a comment."))
    return ReportEvent.objects.create(
        report=report, kind=ReportEvent.Kind.COMMENT, author=head, at=timezone.now(), text=text
    )


def mark_seen(report: DayReport, head) -> None:
    now = timezone.now()
    DayReport.objects.filter(pk=report.pk).update(seen_at=now)
    ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.SEEN, author=head, at=now)


def corrected_unseen(departments: Sequence[Department]) -> list[DayReport]:
    """Reports resubmitted after a return that no head has marked as seen since (one query)."""
    return list(
        DayReport.objects.filter(
            employee__department__in=departments,
            status=DayReport.Status.SUBMITTED,
            returned_at__isnull=False,
            submitted_at__gt=F("returned_at"),
        )
        .filter(Q(seen_at__isnull=True) | Q(seen_at__lt=F("submitted_at")))
        .select_related("employee__user")
        .order_by("-day")
    )


@dataclass
class DayLine:
    kpi: Kpi
    typed: str | None  # what the latest version says (typed or corrected)
    recorded: Decimal | None  # what telephony/CRM imports say for the day
    plan: Decimal | None  # the day's plan
    fact: Decimal | None  # the day's figure as every screen counts it


def day_lines(seller: Employee, day: date, report: DayReport | None) -> list[DayLine]:
    """The day's figures beside the typed ones: recorded by telephony/CRM and the plan."""
    kpis = seller.sales_role.ordered_kpis() if seller.sales_role else []
    if not kpis:
        return []
    _manual, auto = input_kpis(seller)
    recorded = auto_figures(seller, day, auto)
    latest = report.versions.order_by("-number").first() if report is not None else None
    typed = _figures(latest) if latest is not None else {}
    period = Period.of("day", day)
    figures = load([seller], period.start, period.end, kpi_codes=[k.code for k in kpis])
    cut = cutoffs([seller], day=local_today(seller))[seller.pk]
    lines = []
    for kpi in kpis:
        result = figures.seller(seller, kpi.code, period, cut)
        lines.append(
            DayLine(
                kpi,
                typed.get(kpi.code),
                recorded.get(kpi.code),
                result.plan,
                result.fact if result.fact is not None else result.today_fact,
            )
        )
    return lines
