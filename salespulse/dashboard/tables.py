"""The board's tables as `Table`s: what the screen lists is what XLSX and CSV exports hold."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from salespulse.dashboard.board import Attention, Board
from salespulse.lib import fmt
from salespulse.lib.attention import level_share
from salespulse.lib.table import Column, Table


def _unit(kpi_unit: str) -> str:
    return kpi_unit if kpi_unit in ("count", "money", "duration", "percent", "number") else "number"


def _kpi_values(kpi, *values):
    """A percentage KPI holds percent units (42.5 for 42,5 %); a percent column fractions."""
    if kpi.unit != "percent":
        return list(values)
    return [None if v is None else v / 100 for v in values]


def sellers_table(board: Board) -> Table:
    """Sellers × KPIs: plan, fact, completion and forecast; department totals as the footer."""
    columns = [Column("seller", _("Seller"))]
    for kpi in board.kpis:
        unit = _unit(kpi.unit)
        columns += [
            Column(f"{kpi.code}_plan", f"{kpi.name}: {_('plan')}", unit),
            Column(f"{kpi.code}_fact", f"{kpi.name}: {_('fact')}", unit),
            # xgettext:no-python-format
            Column(f"{kpi.code}_done", f"{kpi.name}: {_('% of plan to date')}", "percent"),
            Column(f"{kpi.code}_forecast", f"{kpi.name}: {_('forecast')}", unit),
        ]
    columns.append(Column("report", _("Last report"), "text"))
    table = Table("sellers", _("Sellers"), columns)
    for line in board.lines:
        values: list = [line.seller.user.get_full_name() or line.seller.login]
        for cell in line.cells:
            if cell is None:
                values += [None, None, None, None]
            else:
                r = cell.result
                values += [*_kpi_values(cell.kpi, r.plan, cell.shown_fact), cell.shown_pct]
                values += _kpi_values(cell.kpi, r.forecast)
        values.append(report_text(line.last_status, line.last_day, line.streak))
        table.add(*values)
    footer: list = [_("Department")]
    for cell in board.totals:
        r = cell.result
        footer += [*_kpi_values(cell.kpi, r.plan, cell.shown_fact), cell.shown_pct]
        footer += _kpi_values(cell.kpi, r.forecast)
    footer.append(None)
    table.add_footer(*footer)
    return table


def report_text(status, day, streak: int) -> str:
    if day is None or status is None:
        return ""
    if streak > 1:
        return _("no report for %(n)s working days") % {"n": streak}
    names = {
        "on_time": _("on time"),
        "late": _("late"),
        "returned": _("returned"),
        "missing": _("missing"),
        "open": _("open"),
    }
    return f"{fmt.date_ru(day)}: {names.get(str(status), str(status))}"


def attention_table(board: Board) -> Table:
    table = Table(
        "attention",
        _("Needs attention"),
        [Column("seller", _("Seller")), Column("reason", _("Reason"))],
    )
    for item in board.attention:
        table.add(item.seller.user.get_full_name() or item.seller.login, item.text)
    return table


def reason(item: Attention, lang: str | None = None) -> str:
    """One line saying why a seller is on the list, with the numbers behind it."""
    from django.utils.translation import get_language

    lang = lang or ("en" if (get_language() or "ru").startswith("en") else "ru")
    d = item.detail
    kpi = item.kpi
    if item.kind == "missing":
        if d["streak"] > 1:
            return _("no daily report for %(n)s working days in a row") % {"n": d["streak"]}
        return _("no daily report for %(day)s") % {"day": fmt.date_ru(d["day"])}
    if item.kind == "returned":
        return _("the report for %(day)s is returned for correction") % {
            "day": fmt.date_ru(d["day"])
        }
    assert kpi is not None
    if item.kind == "falling":
        drop = d["drop"]
        return _(
            "%(kpi)s fell by %(drop)s against their own last 4 weeks "
            "(%(recent)s a day instead of %(usual)s)"
        ) % {
            "kpi": kpi.name,
            "drop": fmt.percent(drop.drop, 0, lang),
            "recent": fmt.value(drop.recent, kpi.unit, lang),
            "usual": fmt.value(drop.usual, kpi.unit, lang),
        }
    if item.kind == "pace":
        pace = d["pace"]
        text = _("%(kpi)s: at this pace %(share)s of the plan (%(forecast)s of %(plan)s)") % {
            "kpi": kpi.name,
            "share": fmt.percent(pace.share, 0, lang),
            "forecast": fmt.value(pace.forecast, kpi.unit, lang),
            "plan": fmt.value(pace.plan, kpi.unit, lang),
        }
        if pace.needed is not None:
            text += ", " + _("needs %(needed)s a day instead of %(current)s") % {
                "needed": fmt.value(pace.needed, kpi.unit, lang),
                "current": fmt.value(pace.current, kpi.unit, lang),
            }
        return text
    if item.kind == "level":
        return _("%(kpi)s: %(fact)s against a plan of %(plan)s (%(gap)s short)") % {
            "kpi": kpi.name,
            "fact": fmt.value(d["fact"], kpi.unit, lang),
            "plan": fmt.value(d["plan"], kpi.unit, lang),
            "gap": fmt.shortfall(d["gap"], kpi.unit, lang),
        }
    if item.kind == "mismatch":
        return _(
            "%(kpi)s: typed %(typed)s, the system recorded %(recorded)s (%(days)s days corrected)"
        ) % {
            "kpi": kpi.name,
            "typed": fmt.value(d["typed"], kpi.unit, lang),
            "recorded": fmt.value(d["recorded"], kpi.unit, lang),
            "days": d["days"],
        }
    return item.kind


def departments_table(boards: Sequence[Board]) -> Table:
    """The director's view: a row per department and KPI, with the department's counts."""
    table = Table(
        "departments",
        _("Departments"),
        [
            Column("department", _("Department")),
            Column("sellers", _("Sellers"), "count"),
            Column("kpi", _("KPI")),
            Column("plan", _("Plan"), "number"),
            Column("fact", _("Fact"), "number"),
            # xgettext:no-python-format
            Column("done", _("% of plan to date"), "percent"),
            Column("forecast", _("Forecast"), "number"),
            # xgettext:no-python-format
            Column("forecast_share", _("Forecast, % of plan"), "percent"),
            Column("behind", _("Sellers behind plan"), "count"),
            Column("missing", _("No report"), "count"),
            Column("attention", _("Need attention"), "count"),
        ],
    )
    for board in boards:
        missing = len(board.not_reported)
        flagged = len({a.seller.pk for a in board.attention})
        for cell in board.totals:
            r = cell.result
            behind = len({s.pk for s, k, _b in board.behind if k.pk == cell.kpi.pk})
            table.add(
                str(board.department),
                len(board.lines),
                cell.kpi.name,
                r.plan,
                r.fact,
                r.completion,
                r.forecast,
                forecast_share(cell),
                behind,
                missing,
                flagged,
            )
    return table


def main_cell(board: Board):
    """The department's headline KPI: the last additive KPI with a plan (the result, not effort:
    deal sum rather than calls), else its first KPI."""
    planned = board.forecast
    if planned:
        money = [c for c in planned if c.kpi.unit == "money"]
        return (money or planned)[-1]
    return board.totals[0] if board.totals else None


def forecast_share(cell):
    """The forecast against the plan; a level KPI's level against its planned level."""
    r = cell.result
    lower = cell.kpi.direction == "lower"
    return level_share(r.forecast, r.plan if cell.kpi.is_additive else r.plan_to_date, lower)
