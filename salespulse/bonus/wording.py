"""How a bonus reads: the next step and a component's rule, in the active language."""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from salespulse.lib import fmt
from salespulse.lib.bonus import NextStep
from salespulse.lib.bonus_spec import SchemeError
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


def _reasons() -> dict[str, str]:
    # The scheme language's reasons (lib.bonus, lib.bonus_spec), worded for a page.
    return {
        "steps must go up in completion": _("steps must go up in completion"),
        "a higher step cannot pay less than a lower one": _(
            "a higher step cannot pay less than a lower one"
        ),
        "gates and steps are not negative": _("gates and steps are not negative"),
        "a weighted bonus needs at least one KPI": _("a weighted bonus needs at least one KPI"),
        "the weights must add up to 100 %%": _("the weights must add up to 100 %%"),
        "team steps must go up in completion": _("team steps must go up in completion"),
        "a higher team step cannot multiply by less": _(
            "a higher team step cannot multiply by less"
        ),
        "a team multiplier is the last component, and there is one at most": _(
            "a team multiplier is the last component, and there is one at most"
        ),
        "%(key)s is missing": _("%(key)s is missing"),
        "no KPI %(code)r": _("no KPI %(code)r"),
    }


def _place(where: str) -> str:
    """``components[2].parts[1].steps`` -> «составляющая 2, KPI 1, steps»."""
    text = re.sub(r"components\[(\d+)\]", lambda m: _("component %s") % m.group(1), where)
    text = re.sub(r"\.parts\[(\d+)\]", lambda m: ", " + _("KPI %s") % m.group(1), text)
    return text.replace(".", ", ")


def explain(error: SchemeError) -> str:
    """A scheme's mistake in the reader's language (known reasons; others as they are)."""
    reason = _reasons().get(error.reason, error.reason) % error.params
    return f"{_place(error.where)}: {reason}" if error.where else reason
