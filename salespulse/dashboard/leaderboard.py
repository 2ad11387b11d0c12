"""A department's leaderboard for one KPI: ranked by % of plan, with "most improved" beside it.

A fixed number of queries whatever the number of sellers: the sellers, their roles' KPIs,
then one figures.load over the period and the previous one; the rest is the KPI engine and
lib.ranking. Deal KPIs bring their two siblings along (deals, deal sum, average check), so a
seller with many small deals and one with a few large ones are both seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from salespulse.kpis.figures import load, sellers_queryset, span_for
from salespulse.kpis.models import Kpi
from salespulse.kpis.report import role_kpis
from salespulse.lib import ranking
from salespulse.lib.cutoff import Cutoff, team_cutoff
from salespulse.lib.kpi import Engine, Result, Series
from salespulse.lib.periods import Period
from salespulse.lib.table import Column, Table
from salespulse.org.models import Department, Employee
from salespulse.reports.cutoffs import cutoffs

# Deal KPIs are shown side by side whichever of them the board is ranked by.
DEAL_KPIS = ("deals_count", "deals_sum", "avg_check")
# How many rises the "most improved" list shows.
IMPROVED_TOP = 3
POINT = Decimal("0.1")


@dataclass
class Line:
    seller: Employee
    result: Result
    previous_completion: Decimal | None  # the previous period over the same stretch of days
    change: Decimal | None  # completion against previous_completion, percentage points
    rank: int | None = None
    siblings: dict[str, Decimal | None] = field(default_factory=dict)  # deal KPIs' facts

    @property
    def name(self) -> str:
        return seller_name(self.seller)


@dataclass
class Leaderboard:
    department: Department
    kpis: list[Kpi]  # what the department's roles are judged by: the KPI choice
    kpi: Kpi | None  # None when the department has no KPIs at all
    period: Period
    as_of: date
    lines: list[Line]  # best first, those without a plan last
    improved: list[tuple[Line, Decimal]]  # the largest rises of completion, in points
    siblings: list[Kpi]  # the other deal KPIs shown next to the chosen one

    @property
    def ranked(self) -> int:
        return sum(1 for line in self.lines if line.rank is not None)

    def line_of(self, employee: Employee) -> Line | None:
        return next((line for line in self.lines if line.seller.pk == employee.pk), None)


def seller_name(seller: Employee) -> str:
    return seller.user.get_full_name() or seller.login


def previous_completion(
    engine: Engine, code: str, series: Series, period: Period, result: Result
) -> Decimal | None:
    """Completion over the same stretch of the previous period as `result`'s finished part
    (the 1st–19th of March against the 1st–19th of February)."""
    if result.as_of < period.start:
        return None
    before = period.previous()
    stretch = min((result.as_of - period.start).days, before.length - 1)
    end = before.start + timedelta(days=stretch)
    return engine.evaluate(code, series, before, Cutoff.through(end), compare=False).completion


def department_kpis(sellers: Sequence[Employee]) -> tuple[list[Kpi], dict[int, set[str]]]:
    """The KPIs of the sellers' roles in display order, and each role's KPI codes."""
    by_role = role_kpis({s.sales_role_id for s in sellers if s.sales_role_id})
    kpis: list[Kpi] = []
    for role_id in sorted(by_role):
        kpis.extend(k for k in by_role[role_id] if k not in kpis)
    return kpis, {rid: {k.code for k in ks} for rid, ks in by_role.items()}


def build(
    department: Department,
    code: str | None,
    period: Period,
    today: date,
    now: datetime | None = None,
) -> Leaderboard:
    """Judged like the head's board (`lib.cutoff`): each seller's finished part."""
    last = max(period.start, min(today, period.end))
    # Who worked here at some point of the period so far: not who left before it began.
    sellers = [
        s
        for s in sellers_queryset().filter(department=department).order_by("pk")
        if not (s.left_on and s.left_on < period.start) and not (s.hired_on and s.hired_on > last)
    ]
    cuts = cutoffs(sellers, day=None if now else today, now=now)
    as_of = team_cutoff(today, cuts.values()).finished_end(period)
    kpis, codes_by_role = department_kpis(sellers)
    kpi = next((k for k in kpis if k.code == code), kpis[0] if kpis else None)
    board = Leaderboard(department, kpis, kpi, period, as_of, [], [], [])
    if kpi is None:
        return board
    sellers = [s for s in sellers if kpi.code in codes_by_role.get(s.sales_role_id, ())]
    shown = [kpi.code]
    if kpi.code in DEAL_KPIS:
        board.siblings = [k for c in DEAL_KPIS if c != kpi.code for k in kpis if k.code == c]
        shown += [k.code for k in board.siblings]
    figures = load(sellers, *span_for(period), kpi_codes=shown)

    entries: list[ranking.Entry[int]] = []
    lines: dict[int, Line] = {}
    for seller in sellers:
        series = figures.series[seller.pk]
        cut = cuts[seller.pk]
        result = figures.engine.evaluate(kpi.code, series, period, cut)
        before = previous_completion(figures.engine, kpi.code, series, period, result)
        entry = ranking.Entry(seller.pk, seller_name(seller), result.completion, before)
        points = ranking.change_points(entry)
        line = Line(seller, result, before, _points(points))
        for sibling in board.siblings:
            line.siblings[sibling.code] = figures.seller(seller, sibling.code, period, cut).fact
        entries.append(entry)
        lines[seller.pk] = line
    for place in ranking.rank(entries):
        line = lines[place.entry.key]
        line.rank = place.rank
        board.lines.append(line)
    board.improved = [
        (lines[rise.entry.key], _points(rise.points) or Decimal(0))
        for rise in ranking.most_improved(entries, IMPROVED_TOP)
    ]
    return board


def _points(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(POINT, rounding=ROUND_HALF_UP)


def _unit(kpi: Kpi) -> str:
    return kpi.unit if kpi.unit in ("count", "money", "duration", "number") else "number"


def leaderboard_table(board: Leaderboard, lines: Sequence[Line] | None = None) -> Table:
    """The ranking as a `Table`; `lines` narrows it (a seller's own row when it is hidden)."""
    kpi = board.kpi
    columns = [Column("rank", _("Place"), "count"), Column("seller", _("Seller"))]
    if kpi is not None:
        unit = _unit(kpi)
        columns += [
            Column("plan", _("Plan"), unit),
            Column("fact", _("Fact"), unit),
            # xgettext:no-python-format
            Column("completion", _("% of plan to date"), "percent"),
            Column("change", _("Against the previous period, p.p."), "number"),
        ]
        columns += [Column(k.code, k.name, _unit(k)) for k in board.siblings]
    title = _("Leaderboard") + (f": {kpi.name}" if kpi is not None else "")
    table = Table("leaderboard", title, columns)
    for line in board.lines if lines is None else lines:
        r = line.result
        siblings = [line.siblings.get(k.code) for k in board.siblings]
        table.add(line.rank, line.name, r.plan, r.fact, r.completion, line.change, *siblings)
    return table


def improved_table(board: Leaderboard) -> Table:
    table = Table(
        "improved",
        _("Most improved"),
        [
            Column("seller", _("Seller")),
            # xgettext:no-python-format
            Column("before", _("% of plan, previous period"), "percent"),
            # xgettext:no-python-format
            Column("now", _("% of plan to date"), "percent"),
            Column("change", _("Rise, p.p."), "number"),
        ],
    )
    for line, points in board.improved:
        table.add(line.name, line.previous_completion, line.result.completion, points)
    return table
