"""The seller page: every KPI for a period, one KPI by day, week or month against its plan,
and the report history with versions and comments.

The same page serves the seller (their own progress) and their managers (the drill-down
from the board); access is decided by the view through org.access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from salespulse.dashboard.board import Cell, make_cell, spark_weeks
from salespulse.kpis.figures import Figures, load
from salespulse.kpis.models import Kpi
from salespulse.lib.charts import plan_fact_chart
from salespulse.lib.cutoff import Cutoff
from salespulse.lib.periods import Period, month_start
from salespulse.lib.table import Column, Table
from salespulse.org.models import Employee
from salespulse.reports.cutoffs import cutoffs, judged
from salespulse.reports.models import DayReport

GRAINS = ("day", "week", "month")
# How far back the weekly and monthly charts reach.
CHART_WEEKS = 13
CHART_MONTHS = 12


@dataclass
class SellerPage:
    seller: Employee
    period: Period
    as_of: date
    kpis: list[Kpi]
    cells: list[Cell]
    kpi: Kpi | None
    grain: str
    points: list[tuple[str, Decimal | None, Decimal | None]] = field(default_factory=list)
    chart: SafeString = field(default_factory=lambda: mark_safe(""))
    reports: list[DayReport] = field(default_factory=list)
    figures: Figures | None = None


def _buckets(grain: str, period: Period, as_of: date) -> list[Period]:
    """The chart's points: days of the period, or weeks / months up to as_of."""
    if grain == "week":
        last = Period.of("week", as_of)
        return [
            Period.of("week", last.start - timedelta(days=7 * i))
            for i in reversed(range(CHART_WEEKS))
        ]
    if grain == "month":
        months, current = [], month_start(as_of)
        for _i in range(CHART_MONTHS):
            months.append(Period.of("month", current))
            current = month_start(current - timedelta(days=1))
        return list(reversed(months))
    return [Period.of("day", d) for d in period.days()]


def _label(grain: str, bucket: Period) -> str:
    if grain == "month":
        return f"{bucket.start:%m.%y}"
    return f"{bucket.start:%d.%m}"


def seller_page(
    seller: Employee,
    period: Period,
    today: date,
    kpi_code: str | None,
    grain: str,
    cut: Cutoff | None = None,
) -> SellerPage:
    """`cut`: the seller's cut-off (`reports.cutoffs`); by default the one of `today`."""
    grain = grain if grain in GRAINS else "day"
    cut = cut or cutoffs([seller], day=today)[seller.pk]
    as_of = cut.finished_end(period)
    last = cut.finished_through
    kpis = seller.sales_role.ordered_kpis() if seller.sales_role else []
    kpi = next((k for k in kpis if k.code == kpi_code), kpis[0] if kpis else None)
    buckets = _buckets(grain, period, min(cut.today, period.end))
    start = min(period.previous().start, buckets[0].start, spark_weeks(last)[0][0])
    end = max(period.end, buckets[-1].end, cut.today)
    figures = load([seller], start, end, kpi_codes=[k.code for k in kpis])
    series = figures.series[seller.pk]
    cells = []
    on_today = judged(seller, cut)
    for k in kpis:
        result = figures.seller(seller, k.code, period, cut)
        spark = [figures.engine.per_working_day(k.code, series, a, b) for a, b in spark_weeks(last)]
        cells.append(make_cell(k, result, spark, judged=on_today))
    page = SellerPage(seller, period, as_of, kpis, cells, kpi, grain, figures=figures)
    if kpi is not None:
        for bucket in buckets:
            r = figures.engine.evaluate(kpi.code, series, bucket, cut)
            # A bucket is shown to its cut-off (today's progress when nothing is finished),
            # and compared with its plan so far, like the board does.
            shown = cut.shown_end(bucket)
            fact = None
            if bucket.start <= shown:
                fact = r.fact if shown == r.as_of else r.fact_so_far
            whole = kpi.is_additive and bucket.end <= r.as_of
            plan = r.plan if whole or shown != r.as_of else r.plan_to_date
            page.points.append((_label(grain, bucket), fact, plan))
        page.chart = mark_safe(  # noqa: S308 - our own SVG, labels escaped inside
            plan_fact_chart(
                [p[0] for p in page.points],
                [p[1] for p in page.points],
                [p[2] for p in page.points],
                title=f"{kpi.name}: {_('fact against plan')}",
            )
        )
    page.reports = list(
        DayReport.objects.filter(employee=seller, day__range=(period.start, period.end))
        .select_related("returned_by")
        .annotate(versions_count=Count("versions"))
        .order_by("-day")
    )
    return page


def points_table(page: SellerPage) -> Table:
    """The chart's numbers, for the screen under the chart and for the export."""
    kpi = page.kpi
    unit = kpi.unit if kpi and kpi.unit in ("count", "money", "duration", "number") else "number"
    grain_title = {"day": _("Day"), "week": _("Week"), "month": _("Month")}[page.grain]
    table = Table(
        f"kpi-{kpi.code}" if kpi else "kpi",
        f"{kpi.name}, {grain_title.lower()}" if kpi else "",
        [
            Column("when", grain_title),
            Column("plan", _("Plan"), unit),
            Column("fact", _("Fact"), unit),
            # xgettext:no-python-format
            Column("done", _("% of plan"), "percent"),
        ],
    )
    for label, fact, plan in page.points:
        done = fact / plan if fact is not None and plan else None
        table.add(label, plan, fact, done)
    return table


def reports_table(page: SellerPage) -> Table:
    table = Table(
        "reports",
        _("Daily reports"),
        [
            Column("day", _("Day"), "date"),
            Column("status", _("Status")),
            Column("versions", _("Versions"), "count"),
            Column("comment", _("Seller's comment")),
            Column("returned", _("Head's comment")),
        ],
    )
    for r in page.reports:
        if r.status == DayReport.Status.RETURNED:
            status = _("returned")
        else:
            status = _("closed late") if r.late else _("closed on time")
        table.add(r.day, status, r.versions_count, r.comment, r.returned_comment)
    return table
