"""The one cut-off rule (lib.cutoff) and what the engine makes of it."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.cutoff import Cutoff, team_cutoff
from salespulse.lib.kpi import Aggregation, Engine, KpiDef, Series
from salespulse.lib.periods import Period, days_between
from salespulse.lib.plans import PlanSet

NOV = Period.of("month", date(2026, 11, 1))
engine = Engine({"calls": KpiDef("calls", Aggregation.SUM)})


def weekdays(start, end):
    return [d for d in days_between(start, end) if d.weekday() < 5]


def seller(per_day=100, plan=D(2100), until=date(2026, 11, 30)):
    values = {d: D(per_day) for d in weekdays(NOV.start, until)}
    plans = {"calls": PlanSet(month={NOV.start: plan})}
    return Series(values={"calls": values}, plans=plans)


def test_the_finished_part_ends_yesterday_and_today_is_progress():
    cut = Cutoff(date(2026, 11, 18))
    assert cut.finished_through == date(2026, 11, 17)
    assert cut.in_progress(NOV)
    closed = Cutoff(date(2026, 11, 18), closed=True)
    assert closed.finished_through == date(2026, 11, 18)
    assert not closed.in_progress(NOV)


def test_a_team_is_finished_when_everyone_closed():
    day = date(2026, 11, 18)
    assert not team_cutoff(day, [Cutoff(day, True), Cutoff(day)]).closed
    assert team_cutoff(day, [Cutoff(day, True), Cutoff(day, True)]).closed
    assert not team_cutoff(day, []).closed


def test_morning_of_the_last_working_day():
    """30.11.2026 (Monday), 08:04: nothing done today yet. 21 working days, plan 2 100."""
    s = seller(until=date(2026, 11, 27))  # 20 working days of 100
    r = engine.evaluate("calls", s, NOV, Cutoff(date(2026, 11, 30)))
    assert r.fact == 2000 and r.plan_to_date == 2000 and r.completion == 1
    assert r.working_days_passed == 20
    assert r.forecast == D(2000) / 20 * 21
    assert r.working_days_left == 1 and r.last_day
    # Plan − fact so far (today's included) over the days left, today included.
    assert r.required_pace == 100
    assert r.today_fact == 0 and r.today_plan == 100 and r.today_remainder == 100


def test_todays_figures_count_in_the_pace_but_not_in_completion():
    s = seller(until=date(2026, 11, 27))
    s.values["calls"][date(2026, 11, 30)] = D(40)
    r = engine.evaluate("calls", s, NOV, Cutoff(date(2026, 11, 30)))
    assert r.fact == 2000 and r.completion == 1
    assert r.fact_so_far == 2040
    assert r.required_pace == 60


def test_a_closed_day_moves_today_into_the_finished_part():
    s = seller(until=date(2026, 11, 30))
    r = engine.evaluate("calls", s, NOV, Cutoff(date(2026, 11, 30), closed=True))
    assert r.fact == 2100 and r.plan_to_date == 2100 and r.working_days_passed == 21
    assert r.required_pace is None and not r.last_day and not r.in_progress


def test_on_a_day_off_the_days_left_start_with_the_next_working_day():
    s = seller(until=date(2026, 11, 27))
    r = engine.evaluate("calls", s, NOV, Cutoff(date(2026, 11, 29)))  # Sunday
    assert r.fact == 2000 and r.working_days_left == 1
    assert not r.last_day  # the last working day is tomorrow
    assert r.required_pace == 100


def test_todays_own_period_has_nothing_finished():
    s = seller(until=date(2026, 11, 18))
    day = Period.of("day", date(2026, 11, 18))
    r = engine.evaluate("calls", s, day, Cutoff(date(2026, 11, 18)))
    assert r.completion is None and r.fact == 0
    assert r.fact_so_far == 100 and r.today_fact == 100 and r.today_plan == 100


@given(
    today=st.dates(date(2026, 10, 25), date(2026, 12, 5)),
    closed=st.booleans(),
    per_day=st.integers(0, 200),
)
def test_pace_completes_the_plan(today, closed, per_day):
    """Working the required pace every day left brings the fact exactly to the plan."""
    s = seller(per_day=per_day, until=today)
    cut = Cutoff(today, closed)
    r = engine.evaluate("calls", s, NOV, cut)
    assert r.fact_so_far >= r.fact
    if r.required_pace is not None:
        assert r.working_days_left > 0
        total = r.fact_so_far + r.required_pace * r.working_days_left
        assert total == max(r.plan, r.fact_so_far) or abs(total - r.plan) < D("1e-20")
    if today > NOV.end:
        assert r.fact == r.fact_so_far and r.required_pace is None
        assert r.working_days_passed == r.working_days


def test_trend_is_per_working_day():
    """November has 21 working days, October 22 (2026, 5-day weeks, no holidays here):
    the same 100 a day is flat, not a fall."""
    oct_nov = Period("range", date(2026, 10, 1), date(2026, 11, 30))
    values = {d: D(100) for d in weekdays(oct_nov.start, oct_nov.end)}
    s = Series(values={"calls": values})
    r = engine.evaluate("calls", s, NOV, Cutoff(date(2026, 12, 1)))
    assert r.change == 0


def test_trend_ignores_a_vacation():
    holiday = set(days_between(date(2026, 11, 2), date(2026, 11, 13)))
    values = {
        d: D(100) for d in weekdays(date(2026, 10, 1), date(2026, 11, 30)) if d not in holiday
    }
    s = Series(values={"calls": values}, is_working=lambda d: d.weekday() < 5 and d not in holiday)
    r = engine.evaluate("calls", s, NOV, Cutoff(date(2026, 12, 1)))
    assert r.change == 0
    assert engine.per_working_day("calls", s, date(2026, 11, 2), date(2026, 11, 8)) is None
    assert engine.per_working_day("calls", s, date(2026, 11, 16), date(2026, 11, 22)) == 100


def test_a_bare_date_means_finished_through_it():
    s = seller()
    day = date(2026, 11, 17)
    assert engine.evaluate("calls", s, NOV, day) == engine.evaluate(
        "calls", s, NOV, Cutoff.through(day)
    )
    assert Cutoff.through(day).finished_through == day
    assert Cutoff.through(day).first_day_left() == day + timedelta(days=1)
