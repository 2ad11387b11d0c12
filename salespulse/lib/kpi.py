"""The KPI engine: fact, plan, completion, forecast and pace for any seller or team and period.

Plain Python over day-level components, so every law of DESIGN.md can be property-tested:
- a `sum` KPI over a period is the sum of its days;
- a `ratio` (or any formula) KPI is the formula over the period's aggregates: the ratio of
  sums, never the mean of daily ratios;
- a `last` KPI is the latest snapshot on or before the period's end;
- an `opening` KPI is what stood when the period began: the latest snapshot before its
  first day, or its formula (over snapshots) on the day before the period;
- a `distinct` KPI counts the distinct keys seen over the whole period, never adds days;
- a `cohort` KPI counts them too, but only the keys that had joined before the period's
  first day (the clients of the portfolio at the period start).

How far into a period we are is `lib.cutoff`'s one rule: the finished part is judged, today's
figures are today's progress.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from salespulse.lib.cutoff import Cutoff
from salespulse.lib.formula import Formula
from salespulse.lib.periods import Period, days_between, month_end, month_start, next_month
from salespulse.lib.plans import QUANTUM, PlanSet, day_plans, spread

ZERO = Decimal(0)


class Aggregation(StrEnum):
    SUM = "sum"
    RATIO = "ratio"
    LAST = "last"
    DISTINCT = "distinct"
    OPENING = "opening"
    COHORT = "cohort"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class KpiDef:
    code: str
    aggregation: Aggregation
    unit: str = "count"
    direction: Direction = Direction.HIGHER
    formula: Formula | None = None

    @property
    def additive(self) -> bool:
        return self.aggregation is Aggregation.SUM


@dataclass
class Series:
    """Everything the engine knows of one seller."""

    # Day values of `sum` and `last` KPIs (a missing day has no figure).
    values: Mapping[str, Mapping[date, Decimal]] = field(default_factory=dict)
    # Keys (clients, phone numbers) seen each day, for `distinct` KPIs.
    keys: Mapping[str, Mapping[date, frozenset[str]]] = field(default_factory=dict)
    # For `cohort` KPIs: the day each key joined (a client's handover); a key without one
    # was always there.
    joined: Mapping[str, Mapping[str, date]] = field(default_factory=dict)
    plans: Mapping[str, PlanSet] = field(default_factory=dict)
    # The seller's own calendar: company calendar, absences, employment dates.
    is_working: Callable[[date], bool] = field(default=lambda day: day.weekday() < 5)
    # The same calendar's working days from start to end, in order, when it can cut them
    # out by bisection: a director's view spreads a plan over 300 sellers' months, and
    # asking is_working day by day was a tenth of its time.
    working_days_in: Callable[[date, date], list[date]] | None = None
    # What the engine worked out once (running totals, spread plans): a board asks the same
    # questions of a series dozens of times. The series must not change after it is built.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def working_days_between(self, start: date, end: date) -> list[date]:
        """The seller's working days from start to end, both included, in order."""
        if self.working_days_in is not None:
            return self.working_days_in(start, end)
        return [d for d in days_between(start, end) if self.is_working(d)]


@dataclass
class Group:
    """A team: members' figures add up; its plan is theirs unless set for the team."""

    members: Sequence[Series]
    plans: Mapping[str, PlanSet] = field(default_factory=dict)
    # The calendar on which a team-level plan is spread.
    is_working: Callable[[date], bool] | None = None
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def team_is_working(self, day: date) -> bool:
        if self.is_working is not None:
            return self.is_working(day)
        return any(m.is_working(day) for m in self.members)


@dataclass(frozen=True)
class Result:
    kpi: str
    period: Period
    as_of: date  # the last finished day of the period (before its start: nothing finished)
    fact: Decimal | None  # of the finished part (the whole period once it is over)
    plan: Decimal | None  # for the whole period
    plan_to_date: Decimal | None
    completion: Decimal | None  # 1 = on plan; inverted for lower-is-better
    forecast: Decimal | None  # at the current run rate, for the whole period
    required_pace: Decimal | None  # per working day left, to reach the plan
    working_days: int
    working_days_passed: int
    today_plan: Decimal | None
    today_fact: Decimal | None
    today_remainder: Decimal | None
    previous: Decimal | None  # the previous period (additive: whole; else the same stretch)
    change: Decimal | None  # against `previous`, per working day for additive KPIs
    fact_so_far: Decimal | None = None  # the finished part and today's figures so far
    working_days_left: int = 0  # today included while it is open and a working day
    last_day: bool = False  # today is the last working day left: "N more to the plan"
    in_progress: bool = False  # today is in the period and open


class UnknownKpi(KeyError):
    pass


class Engine:
    def __init__(self, catalogue: Mapping[str, KpiDef]) -> None:
        self.catalogue = catalogue

    def kpi(self, code: str) -> KpiDef:
        try:
            return self.catalogue[code]
        except KeyError:
            raise UnknownKpi(code) from None

    # -- facts -------------------------------------------------------------------------

    def value(self, code: str, who: Series | Group, start: date, end: date) -> Decimal | None:
        """The KPI's figure over start..end, both included."""
        kpi = self.kpi(code)
        if kpi.formula is not None:
            if kpi.aggregation is Aggregation.OPENING:
                if end < start:
                    return None
                # What stood when the period began: the formula on the day before it.
                start = end = start - timedelta(days=1)
            inputs = {name: self.value(name, who, start, end) for name in kpi.formula.names}
            return kpi.formula.evaluate(inputs)
        members = who.members if isinstance(who, Group) else [who]
        if end < start:
            return None if kpi.aggregation is not Aggregation.SUM else ZERO
        if kpi.aggregation is Aggregation.SUM:
            total = ZERO
            for m in members:
                days, running = _running_totals(m, code)
                lo, hi = bisect.bisect_left(days, start), bisect.bisect_right(days, end)
                total += running[hi] - running[lo]
            return total
        if kpi.aggregation in (Aggregation.LAST, Aggregation.OPENING):
            # A snapshot stands until the next one, so the latest one before the end counts
            # even when it was taken before the period began. An opening figure is the one
            # standing at the end of the day before the period.
            day = end if kpi.aggregation is Aggregation.LAST else start - timedelta(days=1)
            snapshots = [_last_on_or_before(m, code, day) for m in members]
            known = [s for s in snapshots if s is not None]
            return sum(known, ZERO) if known else None
        if kpi.aggregation is Aggregation.DISTINCT:
            seen: set[str] = set()
            for m in members:
                for d, keys in m.keys.get(code, {}).items():
                    if start <= d <= end:
                        seen |= keys
            return Decimal(len(seen))
        if kpi.aggregation is Aggregation.COHORT:
            seen = set()
            for m in members:
                joined = m.joined.get(code, {})
                for d, keys in m.keys.get(code, {}).items():
                    if start <= d <= end:
                        seen.update(k for k in keys if (j := joined.get(k)) is None or j < start)
            return Decimal(len(seen))
        raise ValueError(f"KPI {code!r}: a ratio needs a formula")

    # -- plans -------------------------------------------------------------------------

    def day_plans(
        self, code: str, who: Series | Group, start: date, end: date
    ) -> dict[date, Decimal]:
        """Each day's share of an additive KPI's plan."""
        result: dict[date, Decimal] = {}
        first = month_start(start)
        while first <= end:
            for d, v in self._month_day_plans(code, who, first).items():
                if start <= d <= end:
                    result[d] = v
            first = next_month(first)
        return result

    def _month_day_plans(self, code: str, who: Series | Group, first: date) -> dict[date, Decimal]:
        """A whole month's day plans: a day's share does not depend on the range asked for."""
        key = ("day_plans", code, first)
        if key in who.memo:
            return who.memo[key]
        kpi = self.kpi(code)
        quantum = QUANTUM.get(kpi.unit, Decimal("0.01"))
        last = month_end(first)
        if isinstance(who, Series):
            plans = who.plans.get(code, PlanSet())
            if plans.week or plans.day or first not in plans.month:
                result = day_plans(plans, who.is_working, first, last, quantum)
            else:
                # The usual case: a month plan over the seller's working days of the month,
                # which every KPI of the seller shares.
                result = spread(plans.month[first], self._month_days(who, first), quantum)
        elif team := who.plans.get(code):
            result = day_plans(team, who.team_is_working, first, last, quantum)
        else:
            result = {}
            for m in who.members:
                for d, v in self._month_day_plans(code, m, first).items():
                    result[d] = result.get(d, ZERO) + v
        who.memo[key] = result
        return result

    @staticmethod
    def _month_days(who: Series, first: date) -> list[date]:
        key = ("month_days", first)
        if key not in who.memo:
            who.memo[key] = who.working_days_between(first, month_end(first))
        return who.memo[key]

    def plan(self, code: str, who: Series | Group, start: date, end: date) -> Decimal | None:
        kpi = self.kpi(code)
        if kpi.additive:
            if end < start:
                return ZERO if self._has_plans(code, who) else None
            total, found = ZERO, False
            first = month_start(start)
            while first <= end:
                # Running totals of the month's day plans: a board asks for the plan and
                # the plan to date of every seller and KPI, and sums by bisection are cheap.
                days, running = self._month_plan_totals(code, who, first)
                lo, hi = bisect.bisect_left(days, start), bisect.bisect_right(days, end)
                total += running[hi] - running[lo]
                found = found or hi > lo
                first = next_month(first)
            return total if found or self._has_plans(code, who) else None
        return self.level(code, who, end)

    def _month_plan_totals(
        self, code: str, who: Series | Group, first: date
    ) -> tuple[list[date], list[Decimal]]:
        key = ("plan_totals", code, first)
        if key not in who.memo:
            plans = self._month_day_plans(code, who, first)
            days = sorted(plans)
            running = [ZERO]
            for d in days:
                running.append(running[-1] + plans[d])
            who.memo[key] = (days, running)
        return who.memo[key]

    def level(self, code: str, who: Series | Group, day: date) -> Decimal | None:
        """The plan of a non-additive KPI in force on `day`."""
        kpi = self.kpi(code)
        if isinstance(who, Series):
            return who.plans.get(code, PlanSet()).level_on(day)
        team = who.plans.get(code)
        if team and (level := team.level_on(day)) is not None:
            return level
        if kpi.formula is not None and kpi.aggregation is not Aggregation.OPENING:
            # A team's average check plan is its deal sum plan over its deal count plan.
            inputs = {n: self.plan(n, who, *_month_of(day)) for n in kpi.formula.names}
            if all(v is not None for v in inputs.values()):
                return kpi.formula.evaluate(inputs)
        levels = [lv for m in who.members if (lv := self.level(code, m, day)) is not None]
        if not levels:
            return None
        if kpi.aggregation in (Aggregation.LAST, Aggregation.OPENING):
            return sum(levels, ZERO)  # portfolio sizes add up
        return sum(levels, ZERO) / len(levels)

    def _has_plans(self, code: str, who: Series | Group) -> bool:
        if isinstance(who, Series):
            return bool(who.plans.get(code))
        return bool(who.plans.get(code)) or any(self._has_plans(code, m) for m in who.members)

    # -- calendars ---------------------------------------------------------------------

    @classmethod
    def working_days(cls, who: Series | Group, start: date, end: date) -> int:
        if end < start:
            return 0
        key = ("working_days", start, end)
        if key not in who.memo:
            if isinstance(who, Series):
                # Counted in the month lists the plans are spread over: a board asks a
                # seller about a dozen stretches (period, weeks of the sparkline, days left).
                count, first = 0, month_start(start)
                while first <= end:
                    days = cls._month_days(who, first)
                    count += bisect.bisect_right(days, end) - bisect.bisect_left(days, start)
                    first = next_month(first)
                who.memo[key] = count
            else:
                who.memo[key] = sum(1 for d in days_between(start, end) if who.team_is_working(d))
        return who.memo[key]

    # -- the whole picture ---------------------------------------------------------------

    def evaluate(
        self,
        code: str,
        who: Series | Group,
        period: Period,
        cut: Cutoff | date,
        compare: bool = True,
    ) -> Result:
        """The KPI's whole picture at the cut-off (`lib.cutoff`: the one rule of how far into
        the period we are). A bare date means "finished through that day".

        `compare=False` skips today's share and the previous period (an overview of
        hundreds of sellers does not show them)."""
        if not isinstance(cut, Cutoff):
            cut = Cutoff.through(cut)
        kpi = self.kpi(code)
        upto = cut.finished_end(period)
        fact = self.value(code, who, period.start, upto) if upto >= period.start else None
        if fact is None and kpi.additive:
            fact = ZERO
        plan = self.plan(code, who, period.start, period.end)
        working_days = self.working_days(who, period.start, period.end)
        passed = self.working_days(who, period.start, upto)
        left = self.working_days(who, max(cut.first_day_left(), period.start), period.end)
        in_progress = cut.in_progress(period)
        so_far_end = cut.so_far_end(period)

        today_plan = today_fact = today_remainder = None
        fact_so_far = fact
        if kpi.additive:
            plan_to_date = self.plan(code, who, period.start, upto) if plan is not None else None
            forecast = self._forecast(code, who, period, upto)
            if cut.today in period:
                # Today's progress is shown also once the day is closed (then it is part
                # of the finished figures already).
                today_fact = self.value(code, who, cut.today, cut.today) or ZERO
                if in_progress:
                    fact_so_far = (fact or ZERO) + today_fact
                if plan is not None:
                    today_plan = self.day_plans(code, who, cut.today, cut.today).get(
                        cut.today, ZERO
                    )
                    today_remainder = today_plan - today_fact
            required_pace = None
            if plan is not None and left > 0:
                required_pace = max(plan - (fact_so_far or ZERO), ZERO) / left
        else:
            plan_to_date = self.level(code, who, upto) if plan is not None else None
            counted = kpi.aggregation in (Aggregation.DISTINCT, Aggregation.COHORT)
            forecast = None if counted else fact
            required_pace = None
            if in_progress and so_far_end >= period.start:
                fact_so_far = self.value(code, who, period.start, so_far_end)

        previous = change = None
        if compare and upto >= period.start:
            previous, change = self._change(code, who, period, upto, fact)

        return Result(
            kpi=code,
            period=period,
            as_of=upto,
            fact=fact,
            plan=plan,
            plan_to_date=plan_to_date,
            completion=completion_of(fact, plan_to_date, kpi.direction),
            forecast=forecast,
            required_pace=required_pace,
            working_days=working_days,
            working_days_passed=passed,
            today_plan=today_plan,
            today_fact=today_fact,
            today_remainder=today_remainder,
            previous=previous,
            change=change,
            fact_so_far=fact_so_far,
            working_days_left=left,
            last_day=in_progress and left == 1 and self.is_working(who, cut.today),
            in_progress=in_progress,
        )

    def _change(
        self, code: str, who: Series | Group, period: Period, upto: date, fact: Decimal | None
    ) -> tuple[Decimal | None, Decimal | None]:
        """The previous period's figure over the same stretch of days, and the change.

        An additive KPI compares fact per working day of the seller (absences and days off
        out) with the same measure then: a month with two fewer working days, or a week
        back from vacation, is not a fall. Other KPIs compare their levels.
        """
        previous_period = period.previous()
        stretch = min((upto - period.start).days, previous_period.length - 1)
        then_end = previous_period.start + timedelta(days=stretch)
        previous = self.value(code, who, previous_period.start, then_end)
        if previous is None or fact is None:
            return previous, None
        if self.kpi(code).additive:
            now_days = self.person_days(who, period.start, upto)
            then_days = self.person_days(who, previous_period.start, then_end)
            if not now_days or not then_days or previous == ZERO:
                return previous, None
            then_rate = previous / then_days
            return previous, (fact / now_days - then_rate) / then_rate
        if previous == ZERO:
            return previous, None
        return previous, (fact - previous) / abs(previous)

    def per_working_day(
        self, code: str, who: Series | Group, start: date, end: date
    ) -> Decimal | None:
        """An additive KPI's figure per working day of the seller (sparklines, trends);
        other KPIs' figure as it is."""
        value = self.value(code, who, start, end)
        if value is None or not self.kpi(code).additive:
            return value
        days = self.person_days(who, start, end)
        return value / days if days else None

    def person_days(self, who: Series | Group, start: date, end: date) -> int:
        """Working days of a seller, or of every member of a team added up."""
        if isinstance(who, Series):
            return self.working_days(who, start, end)
        key = ("person_days", start, end)
        if key not in who.memo:
            who.memo[key] = sum(self.working_days(m, start, end) for m in who.members)
        return who.memo[key]

    @staticmethod
    def is_working(who: Series | Group, day: date) -> bool:
        return who.is_working(day) if isinstance(who, Series) else who.team_is_working(day)

    def _forecast(
        self, code: str, who: Series | Group, period: Period, upto: date
    ) -> Decimal | None:
        """Run rate on working days: fact so far / days passed × days in the period."""
        if isinstance(who, Group):
            # Each member on their own calendar: a newcomer's short month must not be
            # extrapolated over the team's full one.
            parts = [self._forecast(code, m, period, upto) for m in who.members]
            known = [p for p in parts if p is not None]
            return sum(known, ZERO) if known else None
        if upto < period.start:
            return None
        # A board asks it of each seller, then of their team (the members' sum).
        key = ("forecast", code, period.start, period.end, upto)
        if key not in who.memo:
            passed = self.working_days(who, period.start, upto)
            total = self.working_days(who, period.start, period.end)
            fact = self.value(code, who, period.start, upto) or ZERO
            if passed == 0:
                # Nothing to extrapolate from yet; figures from days off still count.
                who.memo[key] = fact if total == 0 or fact else None
            else:
                who.memo[key] = fact / passed * total
        return who.memo[key]


def completion_of(
    fact: Decimal | None, plan: Decimal | None, direction: Direction
) -> Decimal | None:
    """Fact against plan, 1 = on plan; plan / fact for lower-is-better (also the bonus's)."""
    if fact is None or plan is None:
        return None
    if direction is Direction.LOWER:
        return plan / fact if fact > 0 else None
    return fact / plan if plan > 0 else None


def _running_totals(series: Series, code: str) -> tuple[list[date], list[Decimal]]:
    """The series' days of a KPI in order, and running totals: any range sums by bisection."""
    key = ("running", code)
    if key not in series.memo:
        days = sorted(series.values.get(code, {}))
        running = [ZERO]
        values = series.values.get(code, {})
        for d in days:
            running.append(running[-1] + values[d])
        series.memo[key] = (days, running)
    return series.memo[key]


def _last_on_or_before(series: Series, code: str, end: date) -> Decimal | None:
    days, _running = _running_totals(series, code)
    i = bisect.bisect_right(days, end)
    return series.values[code][days[i - 1]] if i else None


def _month_of(day: date) -> tuple[date, date]:
    period = Period.of("month", day)
    return period.start, period.end
