"""Setting a month's plans: a cell as typed, scaling a grid, splitting a team's total.

Plain Python: the plans page (kpis.planning) reads and writes the database, the rules are here.
A plan cell is typed in the unit the screens show: talk time as ``h:mm`` (``30:00`` is thirty
hours), money and counts as numbers (``150 000``, ``1 234,50 ₽``), a percentage as percent
units (``60`` or ``60 %``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from salespulse.lib import fmt
from salespulse.lib.plans import QUANTUM

K = TypeVar("K")

_HM = re.compile(r"(\d+):([0-5]\d)(?::([0-5]\d))?")
# A monthly plan above this is a typo, whatever the unit (a billion roubles a seller).
PLAN_MAX = Decimal("999999999999")


class PlanError(ValueError):
    """Why a typed plan cell is refused; the message is an English msgid to translate."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def parse_plan(text: str, unit: str) -> Decimal | None:
    """The typed cell as the stored value (seconds for a duration); None for an empty cell."""
    s = (text or "").strip().replace(fmt.NBSP, " ")
    if not s:
        return None
    if unit == "duration":
        m = _HM.fullmatch(s)
        if m is None:
            raise PlanError("Enter time as h:mm, e.g. 30:00 for thirty hours.")
        hours, minutes, seconds = m.groups()
        return Decimal(int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0))
    if unit == "percent" and s.endswith("%"):
        s = s[:-1].rstrip()
    try:
        value = fmt.parse_decimal(s)
    except ValueError:
        raise PlanError("“%(text)s” is not a number.", text=text.strip()[:40]) from None
    if value < 0:
        raise PlanError("A plan cannot be negative.")
    if value > PLAN_MAX:
        raise PlanError("This is more than any monthly plan: check for a typo.")
    if unit == "count" and value != value.to_integral_value():
        raise PlanError("Enter a whole number.")
    return value.quantize(QUANTUM.get(unit, Decimal("0.01")), ROUND_HALF_UP)


def plan_text(value: Decimal | None, unit: str, lang: str = "ru") -> str:
    """A stored plan as it is typed back into its cell (the inverse of parse_plan)."""
    if value is None:
        return ""
    if unit == "duration":
        total = int(value.to_integral_value(ROUND_HALF_UP))
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        # Under an hour the seconds are written out: a 2-minute average talk time reads
        # "0:02:00" beside a default of "0:02:40", not "0:02", which looks like a typo.
        return f"{hours}:{minutes:02d}" + (f":{seconds:02d}" if seconds or not hours else "")
    places = 0 if value == value.to_integral_value() else 2
    return fmt.number(value, places, lang)


def scale(value: Decimal, percent: Decimal, unit: str) -> Decimal:
    """A plan changed by ``percent`` (5 for +5 %, −10 for −10 %), rounded to the unit's step."""
    step = QUANTUM.get(unit, Decimal("0.01"))
    if unit == "duration":
        step = Decimal(60)  # whole minutes: a plan of 31:30, not 31:29:57
    scaled = value * (Decimal(100) + percent) / Decimal(100)
    result = (scaled / step).quantize(Decimal(1), ROUND_HALF_UP) * step
    return max(result, Decimal(0))


def split(total: Decimal, weights: Mapping[K, Decimal], unit: str) -> dict[K, Decimal]:
    """``total`` split in proportion to ``weights``; the parts add up to ``total`` exactly.

    Running totals are rounded (as lib.plans.spread does for days), so rounding never drifts.
    Everybody with no weight gets 0; with no weight at all nobody gets anything.
    """
    step = QUANTUM.get(unit, Decimal("0.01"))
    keys = list(weights)
    whole = sum((w for w in weights.values() if w > 0), Decimal(0))
    if whole <= 0:
        return {k: Decimal(0) for k in keys}
    result: dict[K, Decimal] = {}
    running_weight = Decimal(0)
    previous = Decimal(0)
    positive = [k for k in keys if weights[k] > 0]
    for k in keys:
        w = weights[k]
        if w <= 0:
            result[k] = Decimal(0)
            continue
        running_weight += w
        if k == positive[-1]:
            running = total
        else:
            running = ((total * running_weight / whole) / step).quantize(
                Decimal(1), ROUND_HALF_UP
            ) * step
        result[k] = running - previous
        previous = running
    return result


def weights_by_days(
    base: Mapping[K, Decimal], working_days: Mapping[K, int], month_days: int
) -> dict[K, Decimal]:
    """Weights scaled by the share of the month each seller works: a seller on vacation for
    half the month carries half their weight."""
    if month_days <= 0:
        return {k: Decimal(0) for k in base}
    return {k: w * Decimal(working_days.get(k, 0)) / Decimal(month_days) for k, w in base.items()}
