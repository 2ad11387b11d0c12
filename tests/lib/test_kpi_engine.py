"""The laws of DESIGN.md, checked on the plain-Python engine."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salespulse.lib.formula import parse
from salespulse.lib.kpi import Aggregation, Direction, Engine, Group, KpiDef, Series
from salespulse.lib.periods import Period, days_between
from salespulse.lib.plans import PlanSet
from salespulse.lib.workcal import SellerCalendar, WorkCalendar

D = Decimal
RU = WorkCalendar("RU")

CATALOGUE = {
    "calls": KpiDef("calls", Aggregation.SUM),
    "deals_count": KpiDef("deals_count", Aggregation.SUM),
    "deals_sum": KpiDef("deals_sum", Aggregation.SUM, unit="money"),
    "avg_check": KpiDef(
        "avg_check", Aggregation.RATIO, unit="money", formula=parse("deals_sum / deals_count")
    ),
    "portfolio": KpiDef("portfolio", Aggregation.LAST),
    "buyers": KpiDef("buyers", Aggregation.DISTINCT),
    "costs": KpiDef("costs", Aggregation.SUM, unit="money", direction=Direction.LOWER),
}
engine = Engine(CATALOGUE)

START = date(2025, 12, 29)
days_2026 = st.integers(0, 120).map(lambda n: START + timedelta(days=n))
amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)
counts = st.integers(0, 200).map(Decimal)


@st.composite
def deal_days(draw):
    """Day-level components: deal count and sum per day over ~4 months."""
    data = draw(st.dictionaries(days_2026, st.tuples(counts, amounts), max_size=60))
    return {
        "deals_count": {d: c for d, (c, _) in data.items()},
        "deals_sum": {d: s for d, (_, s) in data.items()},
    }


@given(deal_days(), days_2026, st.sampled_from(["day", "week", "month", "quarter"]))
def test_a_period_is_computed_from_its_days_as_from_raw_components(values, day, kind):
    period = Period.of(kind, day)
    seller = Series(values=values)
    raw_count = sum((v for d, v in values["deals_count"].items() if d in period), D(0))
    raw_sum = sum((v for d, v in values["deals_sum"].items() if d in period), D(0))
    assert engine.value("deals_count", seller, period.start, period.end) == raw_count
    # Sum over the period's days, each computed on its own, equals the period figure.
    by_days = sum(
        (engine.value("deals_sum", seller, d, d) for d in period.days()),
        D(0),
    )
    assert by_days == raw_sum == engine.value("deals_sum", seller, period.start, period.end)
    avg = engine.value("avg_check", seller, period.start, period.end)
    assert avg == (raw_sum / raw_count if raw_count else None)


def test_average_check_is_the_ratio_of_sums_not_the_mean_of_daily_averages():
    monday = date(2026, 3, 2)
    seller = Series(
        values={
            "deals_count": {monday: D(1), monday + timedelta(1): D(9)},
            "deals_sum": {monday: D(100000), monday + timedelta(1): D(90000)},
        }
    )
    week = Period.of("week", monday)
    # Daily averages are 100 000 and 10 000 (mean 55 000); the week's is 190 000 / 10.
    assert engine.value("avg_check", seller, week.start, week.end) == D(19000)


@given(st.lists(deal_days(), min_size=1, max_size=4), days_2026)
def test_a_team_ratio_is_the_ratio_of_the_team_sums(members, day):
    period = Period.of("month", day)
    team = Group([Series(values=v) for v in members])
    count = sum(
        engine.value("deals_count", Series(values=v), period.start, period.end) for v in members
    )
    total = sum(
        engine.value("deals_sum", Series(values=v), period.start, period.end) for v in members
    )
    assert engine.value("avg_check", team, period.start, period.end) == (
        total / count if count else None
    )


def test_distinct_counts_the_whole_period_never_adds_days():
    a, b = date(2026, 3, 2), date(2026, 3, 3)
    anna = Series(keys={"buyers": {a: frozenset({"c1", "c2"}), b: frozenset({"c1"})}})
    ivan = Series(keys={"buyers": {b: frozenset({"c2", "c3"})}})
    assert engine.value("buyers", anna, a, a) + engine.value("buyers", anna, b, b) == 3
    assert engine.value("buyers", anna, a, b) == 2
    # A client served by two sellers is one client of the department.
    assert engine.value("buyers", Group([anna, ivan]), a, b) == 3


def test_a_snapshot_is_the_last_value_on_or_before_the_period_end():
    seller = Series(values={"portfolio": {date(2026, 2, 20): D(40), date(2026, 3, 10): D(45)}})
    assert engine.value("portfolio", seller, date(2026, 3, 1), date(2026, 3, 5)) == 40
    assert engine.value("portfolio", seller, date(2026, 3, 1), date(2026, 3, 31)) == 45
    assert engine.value("portfolio", seller, date(2026, 1, 1), date(2026, 1, 31)) is None
    team = Group([seller, Series(values={"portfolio": {date(2026, 3, 1): D(5)}})])
    assert engine.value("portfolio", team, date(2026, 3, 1), date(2026, 3, 31)) == 50


# -- plan against fact -----------------------------------------------------------------


def march_seller(**kw) -> Series:
    # March 2026 has 21 working days: 9 March (8 March moved) is a day off.
    plans = {"calls": PlanSet(month={date(2026, 3, 1): D(2100)})}
    return Series(plans=plans, is_working=kw.pop("is_working", RU.is_working), **kw)


def test_completion_forecast_and_pace_mid_month_with_a_holiday():
    working = RU.working_days(date(2026, 3, 1), date(2026, 3, 31))
    assert len(working) == 21 and date(2026, 3, 9) not in working
    as_of = date(2026, 3, 13)  # 9 working days passed: 2-6, 10-13
    calls = {d: D(90) for d in working if d <= as_of}
    r = engine.evaluate(
        "calls", march_seller(values={"calls": calls}), Period.of("month", as_of), as_of
    )
    assert r.working_days == 21 and r.working_days_passed == 9
    assert r.plan == 2100 and r.plan_to_date == 900 and r.fact == 810
    assert r.completion == D("0.9")
    assert r.forecast == D(90) * 21
    assert r.required_pace == D(2100 - 810) / 12
    assert r.today_plan == 100 and r.today_fact == 90 and r.today_remainder == 10


def test_month_start_before_any_working_day_has_no_forecast_yet():
    as_of = date(2026, 3, 1)  # a Sunday
    r = engine.evaluate("calls", march_seller(), Period.of("month", as_of), as_of)
    assert r.working_days_passed == 0
    assert r.plan_to_date == 0 and r.completion is None and r.forecast is None
    assert r.required_pace == D(100)


def test_at_month_end_the_forecast_is_the_fact_and_no_pace_is_left():
    working = RU.working_days(date(2026, 3, 1), date(2026, 3, 31))
    seller = march_seller(values={"calls": {d: D(110) for d in working}})
    r = engine.evaluate("calls", seller, Period.of("month", date(2026, 3, 31)), date(2026, 3, 31))
    assert r.fact == r.forecast == 2310
    assert r.plan_to_date == r.plan == 2100
    assert r.required_pace is None
    assert r.completion == D(2310) / 2100


def test_a_seller_hired_mid_month_is_planned_and_forecast_on_their_own_days():
    calendar = SellerCalendar(RU, hired_on=date(2026, 3, 16))
    own_days = calendar.working_days(date(2026, 3, 1), date(2026, 3, 31))
    assert len(own_days) == 12
    as_of = date(2026, 3, 20)
    seller = march_seller(
        is_working=calendar.is_working,
        values={"calls": {d: D(100) for d in own_days if d <= as_of}},
    )
    r = engine.evaluate("calls", seller, Period.of("month", as_of), as_of)
    assert r.working_days == 12 and r.working_days_passed == 5
    assert r.plan_to_date == 875 and r.forecast == 1200  # 2100 / 12 a day
    # A team forecast adds members' own run rates, not the newcomer's over 21 days.
    veteran = march_seller(
        values={"calls": {d: D(100) for d in RU.working_days(date(2026, 3, 1), as_of)}}
    )
    team = engine.evaluate("calls", Group([seller, veteran]), Period.of("month", as_of), as_of)
    assert team.forecast == 1200 + 2100


def test_zero_plan_gives_no_completion_instead_of_a_division_error():
    seller = Series(
        values={"calls": {date(2026, 3, 2): D(5)}},
        plans={"calls": PlanSet(month={date(2026, 3, 1): D(0)})},
    )
    r = engine.evaluate("calls", seller, Period.of("month", date(2026, 3, 2)), date(2026, 3, 2))
    assert r.plan == 0 and r.completion is None and r.required_pace == 0


def test_no_plan_at_all_is_none_not_zero():
    seller = Series(values={"calls": {date(2026, 3, 2): D(5)}})
    r = engine.evaluate("calls", seller, Period.of("month", date(2026, 3, 2)), date(2026, 3, 2))
    assert r.plan is None and r.completion is None and r.required_pace is None and r.fact == 5


def test_lower_is_better_inverts_completion():
    seller = Series(
        values={"costs": {date(2026, 3, 2): D(50)}},
        plans={"costs": PlanSet(day={date(2026, 3, 2): D(100)})},
    )
    r = engine.evaluate("costs", seller, Period.of("day", date(2026, 3, 2)), date(2026, 3, 2))
    assert r.completion == 2  # spent half the budget: twice as good as planned


def test_a_ratio_plan_is_a_level_not_spread():
    seller = Series(
        values={"deals_count": {date(2026, 3, 2): D(2)}, "deals_sum": {date(2026, 3, 2): D(90000)}},
        plans={"avg_check": PlanSet(month={date(2026, 3, 1): D(50000)})},
    )
    r = engine.evaluate("avg_check", seller, Period.of("month", date(2026, 3, 2)), date(2026, 3, 2))
    assert r.plan == r.plan_to_date == 50000
    assert r.fact == 45000 and r.completion == D("0.9")
    assert r.required_pace is None and r.today_plan is None


def test_a_team_plan_is_its_members_unless_set():
    a = march_seller()
    b = Series(
        plans={"calls": PlanSet(month={date(2026, 3, 1): D(1000)})}, is_working=RU.is_working
    )
    period = Period.of("month", date(2026, 3, 2))
    assert engine.plan("calls", Group([a, b]), period.start, period.end) == 3100
    team = Group(
        [a, b],
        plans={"calls": PlanSet(month={date(2026, 3, 1): D(3000)})},
        is_working=RU.is_working,
    )
    assert engine.plan("calls", team, period.start, period.end) == 3000


def test_a_team_average_check_plan_follows_from_its_sum_and_count_plans():
    def seller(total, count):
        return Series(plans={
            "deals_sum": PlanSet(month={date(2026, 3, 1): D(total)}),
            "deals_count": PlanSet(month={date(2026, 3, 1): D(count)}),
        }, is_working=RU.is_working)  # fmt: skip

    team = Group([seller(1_000_000, 10), seller(300_000, 10)])
    assert engine.level("avg_check", team, date(2026, 3, 31)) == 65000


def test_change_compares_the_same_stretch_of_the_previous_period():
    values = {date(2026, 2, 2): D(10), date(2026, 2, 20): D(999), date(2026, 3, 2): D(15)}
    r = engine.evaluate(
        "calls",
        Series(values={"calls": values}),
        Period.of("month", date(2026, 3, 2)),
        date(2026, 3, 2),
    )
    assert r.previous == 10 and r.change == D("0.5")


@settings(max_examples=50)
@given(
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
    st.integers(2024, 2026),
    st.integers(1, 12),
    st.lists(st.integers(1, 28), max_size=10),
)
def test_a_week_plan_is_the_sum_of_its_days_across_a_month_boundary(total, year, month, vacation):
    absent = [(date(year, month, d), date(year, month, d)) for d in vacation]
    calendar = SellerCalendar(RU, absences=absent)
    first = date(year, month, 1)
    seller = Series(
        plans={"deals_sum": PlanSet(month={first: total})}, is_working=calendar.is_working
    )
    period = Period.of("month", first)
    if calendar.working_days(period.start, period.end):
        assert engine.plan("deals_sum", seller, period.start, period.end) == total
    week = Period.of("week", period.end)
    day_sum = sum((engine.plan("deals_sum", seller, d, d) or D(0) for d in week.days()), D(0))
    assert engine.plan("deals_sum", seller, week.start, week.end) == day_sum


@pytest.mark.parametrize("kind", ["day", "week", "month", "quarter", "year"])
def test_previous_period_ends_the_day_before(kind):
    period = Period.of(kind, date(2026, 1, 15))
    assert period.previous().end == period.start - timedelta(days=1)
    assert period.previous().kind == period.kind
    assert days_between(period.start, period.end) == period.days()


def test_a_range_given_by_name_has_a_previous_range_of_the_same_length():
    week = Period("range", date(2026, 3, 2), date(2026, 3, 8))
    assert week.previous() == Period("range", date(2026, 2, 23), date(2026, 3, 1))
