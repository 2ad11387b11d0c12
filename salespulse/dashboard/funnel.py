"""The department's sales funnel from the daily facts: figures in, lib.funnel does the rest.

Loads in a fixed number of queries (kpis.figures.load), or takes the figures a board has
already loaded. A seller works a stage when they have a figure for it in the period or a
plan for it: a cold caller has no deals, and that is not a zero conversion into deals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from salespulse.kpis.figures import Figures, load
from salespulse.lib import fmt
from salespulse.lib.cutoff import Cutoff
from salespulse.lib.funnel import REVENUE, STAGES, Funnel, FunnelRow, Step, build
from salespulse.lib.funnel_chart import funnel_bars
from salespulse.lib.kpi import Series
from salespulse.lib.periods import Period
from salespulse.lib.table import Column, Table
from salespulse.org.models import Employee


def department_funnel(
    sellers: Sequence[Employee],
    period: Period,
    cuts: Mapping[int, Cutoff] | Cutoff | date,
    figures: Figures | None = None,
) -> Funnel:
    """The funnel of `sellers` over the period to each one's cut-off (`lib.cutoff`: the
    finished part; today's progress when nothing is finished yet), rows keyed by Employee.
    One Cutoff (or a date: finished through it) cuts everyone on the same day.

    `figures` already loaded by the caller must cover the period and the funnel's stages.
    """
    sellers = list(sellers)
    if figures is None:
        figures = load(sellers, period.start, period.end, kpi_codes=STAGES)
    engine = figures.engine
    if isinstance(cuts, date):
        cuts = Cutoff.through(cuts)
    by_seller = {}
    for seller in sellers:
        cut = cuts if isinstance(cuts, Cutoff) else cuts[seller.pk]
        upto = cut.shown_end(period)
        series = figures.series[seller.pk]
        stage_values: dict[str, Decimal | None] = {}
        for code in STAGES:
            works = upto >= period.start and (
                _has_days(series, code, period.start, upto)
                or engine.plan(code, series, period.start, period.end) is not None
            )
            stage_values[code] = engine.value(code, series, period.start, upto) if works else None
        by_seller[seller] = stage_values
    return build(by_seller)


def _has_days(series: Series, code: str, start: date, end: date) -> bool:
    return any(start <= day <= end for day in series.values.get(code, {}))


def _lang() -> str:
    return "en" if (get_language() or "ru").startswith("en") else "ru"


def stage_labels() -> dict[str, str]:
    return {
        "calls": _("Calls"),
        "conversations": _("Conversations"),
        "leads": _("Leads"),
        "deals_count": _("Deals"),
        "deals_sum": _("Revenue"),
    }


def step_label(step: Step) -> str:
    """«разговоры → лиды»; the deals → revenue step is the average check."""
    if step.per_unit:
        return _("average check")
    labels = stage_labels()
    return f"{labels[step.src].lower()} → {labels[step.dst].lower()}"


def _name(seller: Employee) -> str:
    return seller.user.get_full_name() or seller.user.get_username()


def funnel_table(funnel: Funnel, period: Period) -> Table:
    """Sellers × stages with the conversions between them; the department as the footer."""
    labels = stage_labels()
    columns = [Column("seller", _("Seller"))]
    for i, stage in enumerate(funnel.stages):
        if i > 0:
            step = funnel.steps[i - 1]
            if not step.per_unit:
                title = f"{labels[step.src]} → {labels[step.dst].lower()}"
                columns.append(Column(step.key, title, "percent"))
        columns.append(Column(stage, labels[stage], "money" if stage == REVENUE else "count"))
        if i > 0 and funnel.steps[i - 1].per_unit:
            columns.append(Column(funnel.steps[i - 1].key, _("Average check"), "money"))
    columns.append(Column("bottleneck", _("Bottleneck")))
    title = f"{_('Funnel')} {fmt.date_ru(period.start)}–{fmt.date_ru(period.end)}"
    table = Table("funnel", title, columns)

    def values(row: FunnelRow, who: str) -> list:
        cells: list = [who]
        for i, stage in enumerate(funnel.stages):
            if i > 0 and not funnel.steps[i - 1].per_unit:
                cells.append(row.conversions[funnel.steps[i - 1]])
            cells.append(row.values[stage])
            if i > 0 and funnel.steps[i - 1].per_unit:
                cells.append(row.conversions[funnel.steps[i - 1]])
        cells.append(step_label(row.bottleneck) if row.bottleneck else "")
        return cells

    for row in funnel.sellers:
        table.add(*values(row, _name(row.key)))
    table.add_footer(*values(funnel.team, _("Department")))
    return table


def _gap_text(step: Step, gap: Decimal, lang: str) -> str:
    if step.per_unit:
        return fmt.money(gap, lang)
    return _("%(n)s pp") % {"n": fmt.number(gap * 100, 0, lang)}


def _lost_text(stage: str, lost: Decimal, lang: str) -> str:
    n = int(lost.to_integral_value())
    if stage == REVENUE:
        return _("%(money)s of revenue") % {"money": fmt.money(Decimal(n), lang)}
    number = fmt.number(n, 0, lang)
    forms = {
        "calls": ngettext("%(n)s call", "%(n)s calls", n),
        "conversations": ngettext("%(n)s conversation", "%(n)s conversations", n),
        "leads": ngettext("%(n)s lead", "%(n)s leads", n),
        "deals_count": ngettext("%(n)s deal", "%(n)s deals", n),
    }
    return forms[stage] % {"n": number}


def verdict(funnel: Funnel) -> str:
    """One line for the head: «Узкое место: разговоры → лиды, −7 п.п. к медиане команды; …»."""
    if len(funnel.stages) < 2 or not funnel.sellers:
        return _("Not enough figures for a funnel in this period.")
    step = funnel.bottleneck
    if step is None:
        return _("No bottleneck: every seller converts at or above the team median.")
    summary = funnel.summaries[step]
    lang = _lang()
    params = {
        "step": step_label(step),
        "lost": _lost_text(step.dst, summary.lost, lang),
        "n": summary.below,
    }
    if summary.gap is None:
        return _("Bottleneck: %(step)s; lost ≈ %(lost)s") % params
    params["gap"] = _gap_text(step, summary.gap, lang)
    return (
        ngettext(
            "Bottleneck: %(step)s, %(gap)s against the team median (%(n)s seller below it); "
            "lost ≈ %(lost)s",
            "Bottleneck: %(step)s, %(gap)s against the team median (%(n)s sellers below it); "
            "lost ≈ %(lost)s",
            summary.below,
        )
        % params
    )


def seller_verdict(funnel: Funnel, row: FunnelRow) -> str:
    """«разговоры → лиды: 11 % при медиане команды 18 % (−7 п.п.); потеряно ≈ 12 лидов»."""
    step = row.bottleneck
    if step is None:
        return _("at or above the team median")
    lang = _lang()
    median = funnel.summaries[step].median
    own = row.conversions[step]
    show = fmt.money if step.per_unit else (lambda v, lg: fmt.percent(v, 0, lg))
    return _("%(step)s: %(own)s against the team median %(median)s (%(gap)s); lost ≈ %(lost)s") % {
        "step": step_label(step),
        "own": show(own, lang),
        "median": show(median, lang),
        "gap": _gap_text(step, own - median, lang),
        "lost": _lost_text(step.dst, row.lost[step], lang),
    }


def funnel_svg(funnel: Funnel, row: FunnelRow | None = None) -> SafeString:
    # funnel_bars escapes every label it draws.
    return mark_safe(  # noqa: S308
        funnel_bars(funnel, stage_labels(), _("Sales funnel"), row=row, lang=_lang())
    )


def funnel_context(funnel: Funnel, period: Period) -> dict:
    """What dashboard/_funnel.html needs."""
    return {
        "funnel": funnel,
        "funnel_svg": funnel_svg(funnel),
        "funnel_table": funnel_table(funnel, period),
        "funnel_verdict": verdict(funnel),
        "funnel_sellers": [
            (row.key, seller_verdict(funnel, row), row.bottleneck is not None)
            for row in funnel.sellers
        ],
    }


def seller_funnel_html(funnel: Funnel, seller: Employee) -> SafeString:
    """One seller's funnel against the team's medians, for the seller page ('' if absent)."""
    row = funnel.row(seller)
    if row is None or len(funnel.stages) < 2:
        return mark_safe("")
    return format_html(
        '{}<p class="funnel-verdict">{}</p>', funnel_svg(funnel, row), seller_verdict(funnel, row)
    )
