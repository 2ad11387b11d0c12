"""The rules behind "needs attention": each one on its own, with the numbers a head would check."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib import attention

MONDAY = date(2026, 3, 2)
FRIDAY = date(2026, 4, 3)  # five weeks on


def weekdays(day: date) -> bool:
    return day.weekday() < 5


def steady(per_day: int, start: date, days: int) -> dict[date, D]:
    return {
        start + timedelta(days=i): D(per_day)
        for i in range(days)
        if weekdays(start + timedelta(days=i))
    }


def test_pace_bands():
    assert attention.pace_class(None) == "none"
    assert attention.pace_class(D("1")) == "ahead"
    assert attention.pace_class(D("0.95")) == "near"
    assert attention.pace_class(D("0.9")) == "near"
    assert attention.pace_class(D("0.89")) == "behind"


def test_trend_ignores_small_moves():
    assert attention.trend(None) == "none"
    assert attention.trend(D("0.04")) == "flat"
    assert attention.trend(D("-0.05")) == "flat"
    assert attention.trend(D("0.06")) == "up"
    assert attention.trend(D("-0.2")) == "down"


def test_behind_in_units_and_days_of_work():
    # 220 calls a month over 22 working days is 10 a day; 25 short is two and a half days.
    gap = attention.behind(D(75), D(100), D(220), 22)
    assert gap == attention.Behind(D(25), D("2.5"))
    assert attention.behind(D(100), D(100), D(220), 22) is None
    assert attention.behind(None, D(100), D(220), 22) is None
    # No plan for the whole period: units still count, days cannot be told.
    assert attention.behind(D(1), D(2), None, 22) == attention.Behind(D(1), D(0))


def test_falling_against_own_last_four_weeks():
    as_of = FRIDAY
    days = steady(100, MONDAY, 28) | steady(70, as_of - timedelta(days=6), 7)
    drop = attention.falling(days, weekdays, as_of)
    assert drop is not None
    assert drop.usual == 100 and drop.recent == 70 and drop.drop == D("0.3")


def test_a_small_dip_is_noise():
    as_of = FRIDAY
    days = steady(100, MONDAY, 28) | steady(85, as_of - timedelta(days=6), 7)
    assert attention.falling(days, weekdays, as_of) is None


def test_a_holiday_week_is_not_a_drop():
    # Per working day: three working days of 100 are as good as five.
    as_of = FRIDAY
    holidays = {as_of - timedelta(days=1), as_of - timedelta(days=2)}

    def working(day: date) -> bool:
        return weekdays(day) and day not in holidays

    days = steady(100, MONDAY, 28)
    for i in range(7):
        day = as_of - timedelta(days=i)
        if working(day):
            days[day] = D(100)
    assert attention.falling(days, working, as_of) is None


def test_a_newcomer_without_history_is_not_falling():
    as_of = FRIDAY
    days = steady(10, as_of - timedelta(days=6), 7)
    assert attention.falling(days, weekdays, as_of) is None


def test_pace_short_of_the_plan():
    short = attention.pace_short(D(40), D(100), D(80), D("6"), 10)
    assert short is not None
    assert short.share == D("0.8") and short.current == D(4) and short.needed == 6
    assert attention.pace_short(D(40), D(100), D(95), D(6), 10) is None
    # Too early in the month to judge.
    assert attention.pace_short(D(1), D(100), D(20), D(5), 2) is None
    assert attention.pace_short(D(1), None, D(20), None, 10) is None


def test_mismatch_needs_a_real_gap():
    assert attention.mismatch(D(120), D(100)) == D(20)
    assert attention.mismatch(D(80), D(100)) == D(-20)
    assert attention.mismatch(D(105), D(100)) is None  # 5 %
    assert attention.mismatch(D(1), D(0)) is None  # a trifle
    assert attention.mismatch(D(5), D(0)) == D(5)


@given(
    fact=st.decimals(0, 10_000, places=2),
    plan_to_date=st.decimals(0, 10_000, places=2),
    plan=st.decimals(1, 20_000, places=2),
    days=st.integers(1, 31),
)
def test_behind_is_positive_and_consistent(fact, plan_to_date, plan, days):
    gap = attention.behind(fact, plan_to_date, plan, days)
    if fact >= plan_to_date:
        assert gap is None
    else:
        assert gap is not None and gap.units == plan_to_date - fact > 0
        assert gap.days * plan / days == gap.units or abs(gap.days * plan / days - gap.units) < D(
            "0.0001"
        )


def test_a_small_count_dropping_by_one_is_chance():
    # One deal a day, four last week instead of five: 20 % down, but that is luck.
    as_of = FRIDAY
    days = steady(1, MONDAY, 28) | {as_of - timedelta(days=i): D(1) for i in range(4)}
    assert attention.falling(days, weekdays, as_of) is not None
    assert attention.falling(days, weekdays, as_of, counts=True) is None
    # 355 calls instead of 510 is not luck.
    calls = steady(102, MONDAY, 28) | steady(71, as_of - timedelta(days=6), 7)
    assert attention.falling(calls, weekdays, as_of, counts=True) is not None
