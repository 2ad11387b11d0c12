from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.plans import PlanSet, day_plans, spread

D = Decimal
quanta = st.sampled_from([D(1), D("0.01")])


@given(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    st.sets(st.integers(0, 30), min_size=1),
    quanta,
)
def test_spread_parts_add_up_exactly_and_stay_even(total, offsets, quantum):
    days = [date(2026, 1, 1) + timedelta(days=n) for n in offsets]
    parts = spread(total, days, quantum)
    assert sum(parts.values()) == total
    assert set(parts) == set(days)
    if total == total.quantize(quantum):
        # Every day gets the even share rounded down or up by one step, never more.
        assert max(parts.values()) - min(parts.values()) <= quantum
        assert all(p >= 0 and p == p.quantize(quantum) for p in parts.values())


def test_money_spread_keeps_every_kopeck():
    parts = spread(D("1000000.00"), [date(2026, 3, d) for d in range(2, 5)], D("0.01"))
    assert list(parts.values()) == [D("333333.33"), D("333333.34"), D("333333.33")]


def test_spread_over_no_days_is_empty():
    assert spread(D(100), []) == {}


def test_the_finest_plan_wins_for_a_day():
    weekdays = lambda d: d.weekday() < 5  # noqa: E731
    plans = PlanSet(
        month={date(2026, 6, 1): D(2200)},
        week={date(2026, 6, 8): D(600)},
        day={date(2026, 6, 15): D(7)},
    )
    days = day_plans(plans, weekdays, date(2026, 6, 1), date(2026, 6, 30), D(1))
    assert days[date(2026, 6, 1)] == 100  # 2200 over June's 22 weekdays
    assert days[date(2026, 6, 8)] == 120  # 600 over that week's 5 days
    assert days[date(2026, 6, 15)] == 7
    assert date(2026, 6, 6) not in days  # a Saturday gets no plan


def test_a_level_is_the_finest_plan_in_force():
    plans = PlanSet(month={date(2026, 6, 1): D(50)}, week={date(2026, 6, 8): D(60)})
    assert plans.level_on(date(2026, 6, 3)) == 50
    assert plans.level_on(date(2026, 6, 10)) == 60
    assert plans.level_on(date(2026, 7, 1)) is None
