"""Plans: monthly (or weekly, daily) targets spread over a seller's working days.

An additive plan is spread so that the days add up exactly to the month, to the kopeck:
each day gets the difference of two rounded running totals, so rounding never drifts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from salespulse.lib.periods import days_between, month_end, month_start, week_start

# The smallest step of a day's plan for each unit: whole calls, kopecks, whole seconds.
QUANTUM: dict[str, Decimal] = {
    "count": Decimal(1),
    "money": Decimal("0.01"),
    "duration": Decimal(1),
    "percent": Decimal("0.01"),
    "number": Decimal("0.01"),
}


def spread(
    total: Decimal, days: Iterable[date], quantum: Decimal = Decimal("0.01")
) -> dict[date, Decimal]:
    """Spread `total` over `days` in steps of `quantum`; the parts sum to `total` exactly."""
    days = sorted(days)
    n = len(days)
    if n == 0:
        return {}
    result: dict[date, Decimal] = {}
    previous = Decimal(0)
    for i, day in enumerate(days, start=1):
        running = total if i == n else (total * i / n).quantize(quantum, ROUND_HALF_UP)
        result[day] = running - previous
        previous = running
    return result


@dataclass(frozen=True)
class PlanSet:
    """The plans set for one seller (or team) and one KPI, keyed by period start."""

    month: Mapping[date, Decimal] = field(default_factory=dict)
    week: Mapping[date, Decimal] = field(default_factory=dict)
    day: Mapping[date, Decimal] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.month or self.week or self.day)

    def level_on(self, day: date) -> Decimal | None:
        """For a non-additive KPI (a ratio, a snapshot) the plan is a level in force that day."""
        if day in self.day:
            return self.day[day]
        if (monday := week_start(day)) in self.week:
            return self.week[monday]
        return self.month.get(month_start(day))


def day_plans(
    plans: PlanSet,
    is_working: Callable[[date], bool],
    start: date,
    end: date,
    quantum: Decimal = Decimal("0.01"),
) -> dict[date, Decimal]:
    """Each day's share of an additive plan from `start` to `end`.

    The finest plan set wins for a day: a day plan, else the week's spread over its working
    days, else the month's spread over its working days.
    """
    result: dict[date, Decimal]
    if not plans.day and not plans.week:
        # The usual case, month plans only: spread each month once, no day-by-day lookups.
        result = {}
        first = month_start(start)
        while first <= end:
            if first in plans.month:
                month = [d for d in days_between(first, month_end(first)) if is_working(d)]
                for d, v in spread(plans.month[first], month, quantum).items():
                    if start <= d <= end:
                        result[d] = v
            first = month_end(first) + timedelta(days=1)
        return result
    result = {}
    spreads: dict[tuple[str, date], dict[date, Decimal]] = {}
    for day in days_between(start, end):
        if day in plans.day:
            result[day] = plans.day[day]
            continue
        monday = week_start(day)
        if monday in plans.week:
            key = ("week", monday)
            if key not in spreads:
                week = [
                    d for d in days_between(monday, monday + timedelta(days=6)) if is_working(d)
                ]
                spreads[key] = spread(plans.week[monday], week, quantum)
        else:
            first = month_start(day)
            if first not in plans.month:
                continue
            key = ("month", first)
            if key not in spreads:
                month = [d for d in days_between(first, month_end(day)) if is_working(d)]
                spreads[key] = spread(plans.month[first], month, quantum)
        if day in spreads[key]:
            result[day] = spreads[key][day]
    return result
