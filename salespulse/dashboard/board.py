"""The head's board: sellers × KPIs with pace, trend and forecast, and who needs attention.

Built for one or many departments from a fixed number of queries (figures.load, report
statuses, typed-versus-recorded gaps), then plain Python: the number of queries does not
grow with the number of sellers, KPIs or days.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils.safestring import SafeString, mark_safe

from salespulse.kpis.figures import Figures, load, sellers_queryset
from salespulse.kpis.models import DailyFact, Kpi
from salespulse.kpis.report import role_kpis
from salespulse.lib import attention
from salespulse.lib.charts import sparkline
from salespulse.lib.cutoff import Cutoff, team_cutoff
from salespulse.lib.kpi import Group, Result, Series
from salespulse.lib.periods import Kind, Period
from salespulse.org.models import Department, Employee
from salespulse.reports.cutoffs import cutoffs, judged
from salespulse.reports.status import DayStatus, missing_streak, statuses

# Weeks in a sparkline; the funnel's stages are loaded with the board so it costs no query.
SPARK_WEEKS = 8
# The overview of all departments reads as little as its questions need: no previous
# period, and sparklines as long as the falling check's own five weeks.
OVERVIEW_SPARK_WEEKS = 5
FUNNEL_CODES = ("calls", "conversations", "leads", "deals_count", "deals_sum")
# How far back report statuses are read to count a streak of missing reports.
STREAK_DAYS = 21


@dataclass
class Cell:
    kpi: Kpi
    result: Result
    pace: str  # ahead / near / behind / none
    trend: str  # up / down / flat / none
    spark: SafeString
    behind: attention.Behind | None
    # What the cell shows: the finished part's fact and completion; for today while it is
    # open (the «Сегодня» view), today's progress so far against today's plan.
    shown_fact: Decimal | None = None
    shown_pct: Decimal | None = None


@dataclass
class SellerLine:
    seller: Employee
    cells: list[Cell | None]  # aligned with Board.kpis; None where the role lacks the KPI
    last_day: date | None  # the seller's last working day before today
    last_status: DayStatus | None
    today_status: DayStatus
    streak: int  # working days in a row without a report, up to the last working day


@dataclass(frozen=True)
class Attention:
    seller: Employee
    kind: str  # missing / returned / falling / pace / level / mismatch
    kpi: Kpi | None
    weight: Decimal  # for ordering: bigger first
    detail: dict  # numbers the message is built from

    @functools.cached_property
    def text(self) -> str:
        """The line the head reads, in the active language (built once per item)."""
        from salespulse.dashboard.tables import reason

        return reason(self)


@dataclass
class Board:
    department: Department
    period: Period
    as_of: date  # the department's last finished day (before the period: nothing finished)
    today: date
    kpis: list[Kpi]
    lines: list[SellerLine] = field(default_factory=list)
    totals: list[Cell] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)
    behind: list[tuple[Employee, Kpi, attention.Behind]] = field(default_factory=list)
    figures: Figures | None = None
    cut: Cutoff | None = None  # the department's cut-off
    cuts: dict[int, Cutoff] = field(default_factory=dict)  # each seller's own, by employee id

    @property
    def sellers(self) -> list[Employee]:
        return [line.seller for line in self.lines]

    @property
    def not_reported(self) -> list[SellerLine]:
        """Sellers whose last working day has no report (or a returned one), longest first."""
        lines = [
            ln
            for ln in self.lines
            if ln.last_status in (DayStatus.MISSING, DayStatus.RETURNED) or ln.streak
        ]
        return sorted(lines, key=lambda ln: (-ln.streak, ln.seller.user.last_name))

    @property
    def attention_by_seller(self) -> list[tuple[Employee, list[Attention]]]:
        """One entry per seller, the most pressing first, with all their reasons."""
        grouped: dict[int, list[Attention]] = {}
        for item in self.attention:  # already sorted by weight
            grouped.setdefault(item.seller.pk, []).append(item)
        return [(items[0].seller, items) for items in grouped.values()]

    @property
    def behind_by_seller(self) -> list[tuple[Employee, Kpi, attention.Behind, int]]:
        """Each lagging seller once, on the KPI they are furthest behind, with how many lag."""
        worst: dict[int, tuple[Employee, Kpi, attention.Behind, int]] = {}
        for seller, kpi, gap in self.behind:  # sorted by days behind, most first
            if seller.pk in worst:
                s, k, g, n = worst[seller.pk]
                worst[seller.pk] = (s, k, g, n + 1)
            else:
                worst[seller.pk] = (seller, kpi, gap, 1)
        return list(worst.values())

    @property
    def reported_today(self) -> tuple[int, int]:
        """(reported, expected) for the day in progress."""
        expected = [ln for ln in self.lines if ln.today_status != DayStatus.OFF]
        done = [ln for ln in expected if ln.today_status in (DayStatus.ON_TIME, DayStatus.LATE)]
        return len(done), len(expected)

    @property
    def forecast(self) -> list[Cell]:
        """Department totals with a plan: will the period be made? Sums at their run rate,
        ratios and percentages (average check, retention) at their level."""
        return [
            c for c in self.totals if c.result.plan is not None and c.result.forecast is not None
        ]


def department_sellers(departments: Sequence[Department]) -> list[Employee]:
    """Sellers of the departments employed at some point, by name (one query + absences)."""
    # Absences come in one query with the figures (absences_of), not a prefetch per seller.
    return list(
        sellers_queryset()
        .prefetch_related(None)
        .filter(department__in=departments)
        .order_by("user__last_name", "user__first_name", "pk")
    )


def build(
    departments: Sequence[Department],
    period: Period,
    today: date,
    *,
    now: datetime | None = None,
    detail: bool = True,
    extra_codes: Sequence[str] = FUNNEL_CODES,
) -> list[Board]:
    """One board per department; `detail=False` skips per-seller sparklines (director view).

    `today` is the viewer's day, which picks the period. With `now` (a live page) each seller
    is cut on their own local today at that moment; without it on `today` (lib.cutoff).
    """
    sellers = department_sellers(departments)
    cuts = cutoffs(sellers, day=None if now else today, now=now)
    kpis_by_role = role_kpis({s.sales_role_id for s in sellers if s.sales_role_id})
    codes = {k.code for ks in kpis_by_role.values() for k in ks}
    if detail:
        codes |= set(extra_codes)
    weeks = SPARK_WEEKS if detail else OVERVIEW_SPARK_WEEKS
    last_finished = Cutoff(today).finished_end(period)
    spark_start = last_finished - timedelta(days=7 * weeks - 1)
    falling_start = last_finished - timedelta(days=7 * (attention.FALLING_WEEKS + 1))
    start = min(period.start, spark_start, falling_start)
    if detail:
        start = min(start, period.previous().start)
    figures = load(sellers, start, max(period.end, today), kpi_codes=codes)
    status = statuses(
        sellers,
        today - timedelta(days=STREAK_DAYS if detail else 14),
        today,
        now=now,
        calendars=figures.calendars,
    )
    board_kpis = {k for ks in kpis_by_role.values() for k in ks}
    gaps = _typed_gaps(sellers, board_kpis, period.start, last_finished)

    by_dept: dict[int, list[Employee]] = defaultdict(list)
    for s in sellers:
        by_dept[s.department_id].append(s)
    boards = []
    for dept in departments:
        members = by_dept.get(dept.pk, [])
        kpis: list[Kpi] = []
        for s in members:
            kpis.extend(k for k in kpis_by_role.get(s.sales_role_id, []) if k not in kpis)
        cut = team_cutoff(today, [cuts[s.pk] for s in members])
        board = Board(
            dept, period, cut.finished_end(period), today, kpis, figures=figures, cut=cut,
            cuts={s.pk: cuts[s.pk] for s in members},
        )  # fmt: skip
        for s in members:
            board.lines.append(
                _line(
                    board, s, kpis_by_role.get(s.sales_role_id, []), status[s.pk], cuts[s.pk],
                    detail, now,
                )
            )  # fmt: skip
        team = _group(figures, dept)
        # Before the deadline nobody is judged on today: the day is not over.
        team_judged = all(judged(s, cuts[s.pk], now) for s in members)
        for kpi in kpis:
            # The overview loads no previous period: no trend arrow, the sparkline shows it.
            result = figures.engine.evaluate(kpi.code, team, period, cut, compare=detail)
            spark = _spark(figures, kpi.code, team, board.as_of, weeks)
            board.totals.append(make_cell(kpi, result, spark, judged=team_judged))
        _collect_attention(board, status, gaps)
        boards.append(board)
    return boards


def _spark(
    figures: Figures, code: str, who: Series | Group, last: date, weeks: int
) -> list[Decimal | None]:
    """Weekly points per working day: a week with a holiday or a vacation is not a dip."""
    return [figures.engine.per_working_day(code, who, a, b) for a, b in spark_weeks(last, weeks)]


def _group(figures: Figures, dept: Department) -> Group:
    return Group(
        members=[
            s for pk, s in figures.series.items() if figures.employees[pk].department_id == dept.pk
        ],
        plans=figures.team_plans.get(dept.pk, {}),
        is_working=figures.team_calendar.is_working,
    )


def spark_weeks(as_of: date, weeks: int = SPARK_WEEKS) -> list[tuple[date, date]]:
    """Seven-day stretches ending on as_of, oldest first."""
    return [
        (as_of - timedelta(days=7 * i + 6), as_of - timedelta(days=7 * i))
        for i in reversed(range(weeks))
    ]


def make_cell(
    kpi: Kpi, result: Result, spark_values: list[Decimal | None] | None, judged: bool = True
) -> Cell:
    """A KPI's cell. `judged=False`: today is still open and before its deadline, so the
    «Сегодня» view shows progress without a colour."""
    lower = kpi.direction == Kpi.Direction.LOWER
    if kpi.is_additive:
        gap = attention.behind(
            result.fact, result.plan_to_date, result.plan, result.working_days, lower
        )
    else:
        gap = attention.below_level(result.fact, result.plan_to_date, lower)
    spark = mark_safe(sparkline(spark_values)) if spark_values else mark_safe("")  # noqa: S308
    shown_fact, shown_pct = result.fact, result.completion
    if result.period.kind is Kind.DAY and result.in_progress:
        shown_fact = result.fact_so_far
        if kpi.is_additive:
            shown_pct = attention.level_share(result.today_fact, result.today_plan, lower)
        pace = attention.pace_class(shown_pct) if judged else "none"
    else:
        pace = attention.pace_class(result.completion)
    return Cell(
        kpi=kpi,
        result=result,
        pace=pace,
        trend=attention.trend(result.change),
        spark=spark,
        behind=gap,
        shown_fact=shown_fact,
        shown_pct=shown_pct,
    )


def _line(
    board: Board,
    seller: Employee,
    kpis: list[Kpi],
    days: dict[date, DayStatus],
    cut: Cutoff,
    detail: bool,
    now: datetime | None = None,
) -> SellerLine:
    figures = board.figures
    assert figures is not None
    own = {k.code for k in kpis}
    cells: list[Cell | None] = []
    series = figures.series[seller.pk]
    today = board.today
    today_status = days.get(today, DayStatus.OFF)
    on_today = judged(seller, cut, now)
    for kpi in board.kpis:
        if kpi.code not in own:
            cells.append(None)
            continue
        if (
            not detail
            and not kpi.is_additive
            and figures.engine.plan(kpi.code, series, board.period.start, board.period.end) is None
        ):
            # The overview judges a ratio or a percentage only against a planned level.
            cells.append(None)
            continue
        result = figures.engine.evaluate(kpi.code, series, board.period, cut, compare=detail)
        spark = _spark(figures, kpi.code, series, board.as_of, SPARK_WEEKS) if detail else []
        cells.append(make_cell(kpi, result, spark, judged=on_today))
    last_day = None
    for day in sorted(days, reverse=True):
        if day < today and days[day] not in (DayStatus.OFF, DayStatus.FUTURE):
            last_day = day
            break
    return SellerLine(
        seller=seller,
        cells=cells,
        last_day=last_day,
        last_status=days.get(last_day) if last_day else None,
        today_status=today_status,
        streak=missing_streak(days, today - timedelta(days=1)),
    )


def _typed_gaps(
    sellers: Sequence[Employee], kpis: Iterable[Kpi], start: date, end: date
) -> dict[int, dict[str, tuple[Decimal, Decimal, int]]]:
    """employee -> KPI code -> (typed, recorded, days) over the days a seller overrode events,
    for the board's KPIs."""
    result: dict[int, dict[str, tuple[Decimal, Decimal, int]]] = defaultdict(dict)
    if end < start:
        return result
    rows = (
        DailyFact.objects.filter(
            # Naming the KPIs lets the database read the (employee, KPI, day) index by
            # ranges; without them SQLite read every fact of each seller (30 ms a page).
            employee_id__in=[s.pk for s in sellers],
            kpi_id__in=[k.pk for k in kpis],
            day__range=(start, end),
            auto_value__isnull=False,
        )
        .exclude(value=F("auto_value"))
        .values_list("employee_id", "kpi__code", "value", "auto_value")
    )
    for emp_id, code, value, auto in rows:
        typed, recorded, n = result[emp_id].get(code, (Decimal(0), Decimal(0), 0))
        result[emp_id][code] = (typed + value, recorded + auto, n + 1)
    return result


def _collect_attention(
    board: Board,
    status: dict[int, dict[date, DayStatus]],
    gaps: dict[int, dict[str, tuple[Decimal, Decimal, int]]],
) -> None:
    figures = board.figures
    assert figures is not None
    items: list[Attention] = []
    month = board.period.kind in (Kind.MONTH, Kind.QUARTER)
    for line in board.lines:
        seller = line.seller
        if line.streak:
            items.append(
                Attention(
                    seller,
                    "missing",
                    None,
                    Decimal(200 + line.streak),
                    {"streak": line.streak, "day": line.last_day},
                )
            )
        returned = [d for d, st in status[seller.pk].items() if st == DayStatus.RETURNED]
        if returned:
            items.append(Attention(seller, "returned", None, Decimal(150), {"day": max(returned)}))
        series = figures.series[seller.pk]
        # Every KPI's falling check asks about the same five weeks of the seller's calendar.
        in_window = frozenset(series.working_days_between(*attention.falling_span(board.as_of)))
        for cell in line.cells:
            if cell is None:
                continue
            kpi, r = cell.kpi, cell.result
            if cell.behind is not None and (cell.behind.level or cell.behind.days > 0):
                board.behind.append((seller, kpi, cell.behind))
            if cell.behind is not None and cell.behind.level and month:
                share = attention.level_share(
                    r.fact, r.plan_to_date, kpi.direction == Kpi.Direction.LOWER
                )
                items.append(
                    Attention(
                        seller,
                        "level",
                        kpi,
                        40 + (1 - (share or 0)) * 100,
                        {"fact": r.fact, "plan": r.plan_to_date, "gap": cell.behind.units},
                    )
                )
            if kpi.is_additive and kpi.direction == Kpi.Direction.HIGHER:
                values = series.values.get(kpi.code, {})
                counts = kpi.unit == Kpi.Unit.COUNT
                drop = attention.falling(values, in_window.__contains__, board.as_of, counts=counts)
                if drop is not None:
                    items.append(
                        Attention(seller, "falling", kpi, 60 + drop.drop * 100, {"drop": drop})
                    )
                if month:
                    short = attention.pace_short(
                        r.fact, r.plan, r.forecast, r.required_pace, r.working_days_passed
                    )
                    if short is not None:
                        items.append(
                            Attention(
                                seller, "pace", kpi, 40 + (1 - short.share) * 100, {"pace": short}
                            )
                        )
        for code, (typed, recorded, n) in gaps.get(seller.pk, {}).items():
            gap = attention.mismatch(typed, recorded)
            kpi = next((k for k in board.kpis if k.code == code), None)
            if gap is not None and kpi is not None:
                items.append(
                    Attention(
                        seller,
                        "mismatch",
                        kpi,
                        Decimal(30),
                        {"typed": typed, "recorded": recorded, "days": n, "gap": gap},
                    )
                )
    board.attention = sorted(items, key=lambda a: -a.weight)
    # Sums by days of work behind, most first; levels (no days of work) after them.
    board.behind.sort(key=lambda item: (item[2].level, -(item[2].days or 0)))
