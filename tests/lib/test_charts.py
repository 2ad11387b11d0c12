import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.charts import plan_fact_chart, sparkline


def coords(svg: str, cls: str) -> list[tuple[float, float]]:
    d = re.search(rf'class="{cls}" d="([^"]*)"', svg).group(1)
    return [tuple(map(float, p[1:].split(","))) for p in d.split()]


def test_fact_and_plan_are_drawn_on_one_scale():
    svg = plan_fact_chart(
        ["1", "2", "3"], [Decimal(0), Decimal(50), Decimal(100)], [Decimal(100)] * 3, "Звонки"
    )
    fact, plan = coords(svg, "fact"), coords(svg, "plan")
    assert fact[2][1] == plan[0][1]  # fact reaching the plan meets the plan line
    assert fact[0][1] > fact[1][1] > fact[2][1]  # higher values are drawn higher
    assert 'aria-label="Звонки"' in svg


def test_missing_points_break_the_line_instead_of_dropping_to_zero():
    svg = plan_fact_chart(["1", "2", "3"], [Decimal(5), None, Decimal(5)], [None] * 3, "x")
    assert coords(svg, "fact")[1][1] == coords(svg, "fact")[0][1]
    assert re.search(r'class="fact" d="M[^L]*M', svg)


def test_titles_are_escaped():
    assert "<script>" not in plan_fact_chart(["<script>"], [1], [1], "<script>")


@given(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), max_size=40))
def test_any_series_draws_inside_the_box(values):
    svg = plan_fact_chart([str(i) for i in range(len(values))], values, values, "t")
    for x, y in coords(svg, "fact") if values and any(v is not None for v in values) else []:
        assert 0 <= x <= 600 and 0 <= y <= 180
    sparkline(values)
