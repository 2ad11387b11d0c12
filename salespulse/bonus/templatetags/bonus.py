"""`{{ statement|next_step:kpis }}`: the next step worded for a page."""

from django import template

from salespulse.bonus.wording import lang, next_step_text, rule_name
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
