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
    # Retention as the built-in catalogue has it: the portfolio at the period start, and
    # which of its clients bought in the period.
    "portfolio_at_start": KpiDef(
        "portfolio_at_start", Aggregation.OPENING, formula=parse("portfolio")
    ),
    "retained": KpiDef("retained", Aggregation.COHORT),
    "retention": KpiDef(
        "retention",
        Aggregation.RATIO,
        unit="percent",
        formula=parse("retained / portfolio_at_start * 100"),
    ),
    "balance": KpiDef("balance", Aggregation.OPENING),
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


def test_an_opening_figure_is_the_snapshot_standing_the_day_before_the_period():
    seller = Series(
        values={
            "portfolio": {
                date(2026, 2, 20): D(40),
                date(2026, 3, 1): D(42),
                date(2026, 3, 10): D(45),
            },
            "balance": {date(2026, 2, 28): D(7), date(2026, 3, 1): D(9)},
        }
    )
    march = (date(2026, 3, 1), date(2026, 3, 31))
    # A change on the period's first day is already inside the period.
    assert engine.value("portfolio_at_start", seller, *march) == 40
    assert engine.value("balance", seller, *march) == 7
    assert engine.value("portfolio_at_start", seller, date(2026, 3, 2), date(2026, 3, 2)) == 42
    assert engine.value("portfolio_at_start", seller, date(2026, 2, 1), date(2026, 2, 28)) is None
    team = Group([seller, Series(values={"portfolio": {date(2026, 1, 1): D(5)}})])
    assert engine.value("portfolio_at_start", team, *march) == 45


snapshots = st.dictionaries(days_2026, counts, max_size=20)


@given(st.lists(snapshots, min_size=1, max_size=3), days_2026, days_2026)
def test_an_opening_figure_depends_on_the_start_only_and_adds_up_over_a_team(members, a, b):
    start, end = min(a, b), max(a, b)
    eve = start - timedelta(days=1)
    sellers = [Series(values={"portfolio": s, "balance": s}) for s in members]
    for s, seller in zip(members, sellers, strict=True):
        before = [d for d in s if d < start]
        expected = s[max(before)] if before else None
        assert engine.value("portfolio_at_start", seller, start, end) == expected
        assert engine.value("balance", seller, start, end) == expected
        # The portfolio at a period's start is the one at the end of the day before.
        assert engine.value("portfolio", seller, eve, eve) == expected
    known = [
        v for seller in sellers if (v := engine.value("balance", seller, start, end)) is not None
    ]
    team = Group(sellers)
    assert engine.value("portfolio_at_start", team, start, end) == (sum(known) if known else None)
    assert engine.value("balance", team, start, start) == engine.value("balance", team, start, end)


def test_a_cohort_counts_the_period_buyers_that_were_there_at_its_start():
    march = (date(2026, 3, 1), date(2026, 3, 31))
    anna = Series(
        keys={"retained": {
            date(2026, 3, 2): frozenset({"old", "new", "first_day"}),
            date(2026, 3, 20): frozenset({"old", "undated"}),
            date(2026, 2, 10): frozenset({"february"}),
        }},
        joined={"retained": {
            "old": date(2025, 6, 1), "new": date(2026, 3, 2), "first_day": date(2026, 3, 1),
            "february": date(2026, 1, 1),
        }},
    )  # fmt: skip
    # «old» twice: once; «new» and «first_day» joined during March; «undated» always there.
    assert engine.value("retained", anna, *march) == 2
    # From the 2nd, «first_day» was there at the start; «new» still joined on it.
    assert engine.value("retained", anna, date(2026, 3, 2), date(2026, 3, 31)) == 3
    ivan = Series(
        keys={"retained": {date(2026, 3, 5): frozenset({"old", "ivans"})}},
        joined={"retained": {"ivans": date(2026, 1, 1)}},
    )
    # A department counts a client once, each member's keys by their own handovers.
    assert engine.value("retained", Group([anna, ivan]), *march) == 3


@st.composite
def portfolios(draw):
    """Clients handed over on some day (or always there), each buying on some days from
    their handover on; the portfolio's size snapshots as crm.portfolio writes them."""
    clients = draw(
        st.dictionaries(
            st.text("abcdef", min_size=1, max_size=3),
            st.tuples(st.none() | days_2026, st.lists(days_2026, max_size=5)),
            max_size=12,
        )
    )
    joined = {c: h for c, (h, _) in clients.items() if h is not None}
    keys: dict[date, set[str]] = {}
    for c, (handover, buys) in clients.items():
        for d in buys:
            if handover is None or d >= handover:
                keys.setdefault(d, set()).add(c)
    handovers = sorted(h or date.min for h, _ in clients.values())
    days = {h for h in handovers if h != date.min} | {START}
    size = {d: D(sum(1 for h in handovers if h <= d)) for d in days}
    series = Series(
        values={"portfolio": size},
        keys={"retained": {d: frozenset(k) for d, k in keys.items()}},
        joined={"retained": joined},
    )
    return clients, series


@given(st.lists(portfolios(), min_size=1, max_size=3), days_2026, days_2026)
def test_retention_is_the_share_of_the_start_portfolio_that_bought_in_the_period(members, a, b):
    start, end = min(a, b), max(a, b)
    # Several managers' portfolios are distinct clients: prefix them with the manager.
    at_start: set[str] = set()
    bought: set[str] = set()
    for i, (clients, series) in enumerate(members):
        for c, (handover, buys) in clients.items():
            if handover is None or handover < start:
                at_start.add(f"{i}{c}")
                if any(start <= d <= end for d in buys):
                    bought.add(f"{i}{c}")
        own_start = {c for c in clients if f"{i}{c}" in at_start}
        own_bought = {c for c in clients if f"{i}{c}" in bought}
        assert engine.value("retained", series, start, end) == len(own_bought)
        if start > START:
            assert engine.value("portfolio_at_start", series, start, end) == len(own_start)
        # Never above 100 %, and a buyer counts once however many deals.
        retention = engine.value("retention", series, start, end)
        assert retention is None or D(0) <= retention <= 100
    if start > START:
        # A team: the sum of the members' start portfolios, its buyers among them.
        renamed = [
            Series(
                values=s.values,
                keys={"retained": {
                    d: frozenset(f"{i}{k}" for k in ks) for d, ks in s.keys["retained"].items()
                }},
                joined={"retained": {f"{i}{k}": j for k, j in s.joined["retained"].items()}},
            )
            for i, (_, s) in enumerate(members)
        ]  # fmt: skip
        team = Group(renamed)
        assert engine.value("retained", team, start, end) == len(bought)
        expected = D(len(bought)) / len(at_start) * 100 if at_start else None
        assert engine.value("retention", team, start, end) == expected


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


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(days_2026, st.integers(min_value=0, max_value=20)), max_size=3),
    days_2026,
    st.sampled_from(["week", "month", "quarter"]),
)
def test_a_calendar_cut_by_bisection_gives_the_same_picture_as_asked_day_by_day(
    absences, as_of, kind
):
    # figures.load hands the engine the calendar's own day list; the engine must not
    # come to another number than by asking is_working day by day.
    calendar = SellerCalendar(
        RU,
        absences=[(s, s + timedelta(days=n)) for s, n in absences],
        hired_on=date(2026, 2, 10),
    )
    calls = {d: D(d.day) for d in days_between(date(2026, 1, 1), as_of) if calendar.is_working(d)}
    period = Period.of(kind, as_of)
    results = [
        engine.evaluate(
            "calls",
            march_seller(values={"calls": calls}, is_working=calendar.is_working, **extra),
            period,
            as_of,
        )
        for extra in ({}, {"working_days_in": calendar.working_days})
    ]
    assert results[0] == results[1]
