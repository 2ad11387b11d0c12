"""`{{ statement|next_step:kpis }}`: the next step worded for a page."""

from django import template

from salespulse.bonus.wording import lang, next_step_text, rule_name
from salespulse.kpis.models import Kpi
from salespulse.lib import fmt

register = template.Library()


@register.filter
def next_step(statement, kpis) -> str:
    """kpis: code -> Kpi (name and unit)."""
    step = statement.next_step if statement is not None else None
    if step is None:
        return ""
    kpi = kpis.get(step.kpi) if kpis else None
    return next_step_text(step, kpi.name if kpi else step.kpi, kpi.unit if kpi else "number")


@register.filter
def rule(code: str) -> str:
    return rule_name(code)


@register.filter
def rub(value) -> str:
    """Whole rubles: ``23 400 ₽``."""
    return fmt.rubles(value, lang())


@register.inclusion_tag("bonus/_panel.html")
def bonus_panel(statement):
    """The seller's bonus panel; the KPI names and units in one query."""
    codes = {c.kpi for c in statement.components} if statement is not None else set()
    if statement is not None and statement.next_step is not None:
        codes.add(statement.next_step.kpi)
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=codes)} if codes else {}
    return {"statement": statement, "kpis": kpis}
