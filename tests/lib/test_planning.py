"""Plan cells as typed, scaling a grid, splitting a department's total."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.planning import PlanError, parse_plan, plan_text, scale, split, weights_by_days

D = Decimal


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("30:00", "duration", D(108000)),
        ("1:30", "duration", D(5400)),
        ("0:45:30", "duration", D(2730)),
        ("150 000", "money", D("150000.00")),
        ("1 234,50 ₽", "money", D("1234.50")),
        ("60 %", "percent", D("60.00")),
        ("1 200", "count", D(1200)),
        ("", "count", None),
    ],
)
def test_a_cell_is_typed_in_the_unit_shown(text, unit, value):
    assert parse_plan(text, unit) == value


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("108000", "duration"),
        ("1:75", "duration"),
        ("abc", "money"),
        ("-5", "count"),
        ("12,5", "count"),
        ("1e5", "money"),
    ],
)
def test_a_bad_cell_is_refused_with_a_reason(text, unit):
    with pytest.raises(PlanError):
        parse_plan(text, unit)


def test_a_cell_reads_back_as_it_is_typed():
    assert plan_text(D(108000), "duration") == "30:00"
    assert plan_text(D(2730), "duration") == "0:45:30"
    assert plan_text(D(120), "duration") == "0:02:00"
    assert plan_text(D(3600), "duration") == "1:00"
    assert plan_text(D("150000.00"), "money") == "150\u00a0000"
    assert plan_text(D("1234.50"), "money") == "1\u00a0234,50"
    assert plan_text(None, "count") == ""


@given(st.integers(0, 10**6), st.sampled_from(["count", "money", "duration", "percent"]))
def test_text_and_parse_round_trip(n, unit):
    value = D(n)
    assert parse_plan(plan_text(value, unit), unit) == value


def test_scaling_rounds_to_the_unit():
    assert scale(D(100), D(5), "count") == D(105)
    assert scale(D(33), D(5), "count") == D(35)  # 34.65 calls: whole calls
    assert scale(D(108000), D(5), "duration") == D(113400)  # 31:30
    assert scale(D("100000.00"), D(-10), "money") == D("90000.00")


@given(
    st.integers(0, 10**7),
    st.lists(st.integers(0, 30), min_size=1, max_size=12),
    st.sampled_from(["count", "money"]),
)
def test_a_split_adds_up_exactly(total, raw, unit):
    weights = {i: D(w) for i, w in enumerate(raw)}
    parts = split(D(total), weights, unit)
    if any(weights.values()):
        assert sum(parts.values()) == D(total)
    assert all(parts[i] == 0 for i, w in weights.items() if w == 0)
    assert all(p >= 0 for p in parts.values())


def test_a_vacation_lowers_the_share():
    weights = weights_by_days({"ann": D(1), "bob": D(1)}, {"ann": 20, "bob": 10}, 20)
    assert split(D(300), weights, "count") == {"ann": D(200), "bob": D(100)}
