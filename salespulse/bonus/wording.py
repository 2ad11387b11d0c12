"""How a bonus reads: the next step and a component's rule, in the active language."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from salespulse.lib import fmt
from salespulse.lib.bonus import NextStep
from salespulse.lib.kpi import Direction


def lang() -> str:
    return "en" if (get_language() or "ru").startswith("en") else "ru"


def next_step_text(step: NextStep | None, kpi_name: str, unit: str) -> str:
    """«Лиды: ещё 6 — +5 000 ₽ (ступень 100 %)»."""
    if step is None:
        return ""
    more = fmt.rubles(step.more, lang()) if unit == "money" else fmt.value(step.more, unit, lang())
    if step.direction is Direction.LOWER:
        amount = _("%(more)s less") % {"more": more}
    else:
        amount = _("%(more)s more") % {"more": more}
    at = fmt.percent(step.at, 0, lang()) if step.at is not None else ""
    reason = {
        "step": _("step %(at)s") % {"at": at},
        "gate": _("gate %(at)s") % {"at": at},
        "threshold": _("past the threshold"),
        "unit": _("per unit"),
    }.get(step.kind, step.kind)
    return f"{kpi_name}: {amount} — +{fmt.rubles(step.gain, lang())} ({reason})"


def rule_name(rule: str) -> str:
    return {
        "per_unit": _("per unit"),
        "percent": _("percent of"),
        "completion": _("by completion"),
        "weighted": _("weighted KPIs"),
        "team": _("team multiplier"),
    }.get(rule, rule)
