"""Bonus arithmetic: worked examples, and the laws of issue 17 as properties."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from salespulse.lib.bonus import (
    ByCompletion,
    Curve,
    Figure,
    Part,
    PerUnit,
    Scheme,
    Team,
    Version,
    Weighted,
    evaluate,
    in_force,
    next_step,
)
from salespulse.lib.bonus_spec import SchemeError, dump, loads, parse
from salespulse.lib.kpi import Direction

LADDER = Curve(
    gate=D("0.7"),
    steps=((D("0.7"), D("0.5")), (D("0.9"), D("0.8")), (D(1), D(1))),
    accelerator=D(2),
    cap=D(2),
)
SALES = Scheme("sales", D(40000), (ByCompletion("За сумму сделок", "deals_sum", D(30000), LADDER),))


def test_a_ladder_pays_the_highest_step_reached():
    def pay(completion):
        return evaluate(SALES, {"deals_sum": Figure(D(completion) * 1000, D(1000))}).bonus

    assert pay("0.69") == 0
    assert pay("0.7") == 15000
    assert pay("0.95") == 24000
    assert pay("1") == 30000


def test_the_accelerator_pays_double_above_plan_up_to_the_cap():
    def pay(completion):
        return evaluate(SALES, {"deals_sum": Figure(D(completion) * 1000, D(1000))}).bonus

    assert pay("1.3") == 30000 + 30000 * D("0.3") * 2  # 48 000
    assert pay("1.5") == 60000 == pay("3")  # capped at 200 % of the target


def test_per_unit_pays_above_its_threshold_only():
    scheme = Scheme("cold", D(0), (PerUnit("За лиды", "leads", D(500), threshold=D(20)),))
    assert evaluate(scheme, {"leads": Figure(D(19), D(30))}).bonus == 0
    assert evaluate(scheme, {"leads": Figure(D(26), D(30))}).bonus == 3000


def test_one_kpi_below_its_gate_zeroes_the_weighted_bonus():
    curve = Curve(gate=D("0.8"))
    weighted = Weighted(
        "По KPI",
        D(20000),
        (Part("repeat_buyers_pct", D("0.6"), curve), Part("retention_pct", D("0.4"), curve)),
        gate_zeroes_all=True,
    )
    scheme = Scheme("am", D(0), (weighted,))
    good = {"repeat_buyers_pct": Figure(D(30), D(30)), "retention_pct": Figure(D(60), D(60))}
    assert evaluate(scheme, good).bonus == 20000
    bad = {**good, "retention_pct": Figure(D(47), D(60))}  # 78 %
    assert evaluate(scheme, bad).bonus == 0
    lenient = Scheme("am", D(0), (Weighted("По KPI", D(20000), weighted.parts),))
    assert evaluate(lenient, bad).bonus == 12000


def test_lower_is_better_pays_on_inverted_completion():
    scheme = Scheme("x", D(0), (ByCompletion("Срок ответа", "response", D(10000), Curve()),))
    fast = Figure(D(50), D(100), Direction.LOWER)  # half the planned time: 200 %
    assert evaluate(scheme, {"response": fast}).bonus == 20000


def test_the_team_multiplier_scales_the_components_before_it():
    team = Team("Команда", "deals_sum", ((D("0.9"), D(1)), (D("1.1"), D("1.2"))), below=D("0.8"))
    scheme = Scheme("s", D(0), (*SALES.components, team))
    figures = {"deals_sum": Figure(D(1000), D(1000))}
    assert evaluate(scheme, figures, {"deals_sum": D("1.15")}).bonus == 36000
    payout = evaluate(scheme, figures, {"deals_sum": D("0.5")})
    assert payout.bonus == 24000 and [x.amount for x in payout.lines] == [30000, -6000]


def test_the_next_step_says_how_many_more_and_what_it_pays():
    scheme = Scheme(
        "c",
        D(0),
        (
            ByCompletion(
                "Лиды", "leads", D(10000), Curve(steps=((D("0.5"), D("0.5")), (D(1), D(1))))
            ),
        ),
    )
    step = next_step(scheme, {"leads": Figure(D(24), D(30))}, units={"leads": "count"})
    assert (step.kpi, step.more, step.gain, step.kind, step.at) == ("leads", 6, 5000, "step", 1)


def test_next_step_beyond_the_last_threshold_is_one_more_unit():
    scheme = Scheme("c", D(0), (PerUnit("Лиды", "leads", D(300), threshold=D(10)),))
    step = next_step(scheme, {"leads": Figure(D(7), D(30))}, units={"leads": "count"})
    assert (step.more, step.gain, step.kind) == (4, 300, "threshold")
    assert next_step(scheme, {"leads": Figure(D(12), D(30))}, units={"leads": "count"}).more == 1


def test_the_language_reads_toml_and_dumps_back():
    text = """
name = "Продажники"
base = 40000

[[components]]
type = "completion"
name = "За сумму сделок"
kpi = "deals_sum"
target = 30000
gate = 70
steps = [[70, 50], [90, 80], [100, 100]]
accelerator = 2
cap = 200
"""
    scheme = parse(loads(text))
    assert scheme == SALES.__class__("Продажники", D(40000), SALES.components)
    assert parse(dump(scheme)) == scheme


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"components": [{"type": "bogus"}]}, "components[1]: type is one of"),
        ({"components": [{"type": "per_unit", "kpi": "leads"}]}, "rate is missing"),
        ({"components": [{"type": "per_unit", "kpi": "x", "rate": 1}]}, "no KPI 'x'"),
        ({"components": [{"type": "per_unit", "kpi": "leads", "rat": 1}]}, "unknown key rat"),
        (
            {"components": [{"type": "completion", "kpi": "leads", "target": 1,
                             "steps": [[100, 50], [70, 20]]}]},
            "steps must go up",
        ),
        (
            {"components": [{"type": "weighted", "target": 1,
                             "parts": [{"kpi": "leads", "weight": 50}]}]},
            "weights must add up to 100 %",
        ),
    ],
)  # fmt: skip
def test_a_bad_scheme_is_refused_with_the_place(data, message):
    with pytest.raises(SchemeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(data, known_kpis={"leads"})


# -- the laws -------------------------------------------------------------------------------

percent = st.integers(min_value=0, max_value=200).map(lambda n: D(n) / 100)
money = st.integers(min_value=0, max_value=100_000).map(D)


@st.composite
def curves(draw):
    ats = sorted(set(draw(st.lists(percent, max_size=3))))
    shares = sorted(draw(st.lists(percent, min_size=len(ats), max_size=len(ats))))
    return Curve(
        gate=draw(percent),
        steps=tuple(zip(ats, shares, strict=True)),
        accelerator=draw(st.none() | st.integers(0, 3).map(D)),
        cap=draw(st.none() | percent),
    )


KPIS = ("a", "b")


@st.composite
def schemes(draw):
    components = []
    for kpi in KPIS:
        kind = draw(st.sampled_from(["per_unit", "completion", "weighted"]))
        if kind == "per_unit":
            cap = draw(st.none() | money)
            components.append(PerUnit(kpi, kpi, draw(money) / 100, draw(money) / 1000, cap))
        elif kind == "completion":
            components.append(ByCompletion(kpi, kpi, draw(money), draw(curves())))
        else:
            w = draw(st.integers(0, 100).map(lambda n: D(n) / 100))
            parts = (Part("a", w, draw(curves())), Part("b", 1 - w, draw(curves())))
            components.append(Weighted(kpi, draw(money), parts, draw(st.booleans())))
    if draw(st.booleans()):
        factors = sorted(draw(st.lists(percent, min_size=3, max_size=3)))
        steps = ((D("0.8"), factors[1]), (D("1.1"), factors[2]))
        components.append(Team("t", "a", steps, below=factors[0]))
    return Scheme("s", draw(money), tuple(components))


facts = st.integers(min_value=0, max_value=2000).map(lambda n: D(n) / 10)
plans = st.none() | st.integers(min_value=1, max_value=200).map(D)
directions = st.sampled_from(list(Direction))


@st.composite
def figure_sets(draw):
    return {k: Figure(draw(facts), draw(plans), draw(directions)) for k in KPIS}


@settings(max_examples=150)
@given(schemes(), figure_sets(), st.sampled_from(KPIS), facts, st.none() | percent)
def test_the_payout_follows_the_fact_in_the_right_direction(scheme, figures, kpi, more, team):
    f = figures[kpi]
    # A lower-is-better fact of 0 has no completion (plan / 0: usually no data at all) and
    # pays nothing on a curve; the law holds from the first real figure on.
    assume(f.direction is Direction.HIGHER or f.fact > 0)
    before = evaluate(scheme, figures, {"a": team})
    raised = {**figures, kpi: Figure(f.fact + more, f.plan, f.direction)}
    after = evaluate(scheme, raised, {"a": team})
    if f.direction is Direction.HIGHER:
        assert after.exact >= before.exact
    else:
        assert after.exact <= before.exact


@settings(max_examples=150)
@given(schemes(), figure_sets(), st.none() | percent)
def test_the_components_add_up_to_the_bonus(scheme, figures, team):
    payout = evaluate(scheme, figures, {"a": team})
    assert sum(x.exact for x in payout.lines) == payout.exact
    assert sum(x.amount for x in payout.lines) == payout.bonus
    assert abs(payout.bonus - payout.exact) <= D("0.5")
    assert payout.bonus == payout.bonus.to_integral_value()
    assert payout.total == payout.base + payout.bonus


@settings(max_examples=100)
@given(curves())
def test_gates_and_caps_hold_at_their_exact_boundaries(curve):
    tiny = D("0.0001")
    if curve.gate > 0:
        assert curve.share(curve.gate - tiny) == 0
    at_gate = curve.share(curve.gate)
    reached = [s for at, s in curve.steps if curve.gate >= at]
    if curve.steps:
        expected = reached[-1] if reached else D(0)
    else:
        expected = min(curve.gate, D(1))  # a line pays its completion up to the plan
    if curve.gate > 1:
        expected += (curve.gate - 1) * curve.slope_above_plan
    if curve.cap is not None:
        expected = min(expected, curve.cap)
        assert curve.share(D(100)) <= curve.cap
    assert at_gate == expected
    for at, share in curve.steps:
        if at >= curve.gate:
            assert curve.share(at) >= (share if curve.cap is None else min(share, curve.cap))


@settings(max_examples=50)
@given(schemes(), schemes(), st.integers(1, 12), st.integers(1, 12))
def test_a_scheme_valid_from_a_later_month_does_not_change_this_one(old, new, month, later):
    this = date(2026, month, 1)
    versions = [Version(date(2025, 1, 1), old)]
    assert in_force(versions, this) == old
    future = date(2026 + (month + later > 12), (month + later - 1) % 12 + 1, 1)
    assert in_force([*versions, Version(future, new)], this) == old
    assert in_force([*versions, Version(future, new)], future) == new


@settings(max_examples=50)
@given(schemes())
def test_a_scheme_dumps_and_reads_back_the_same(scheme):
    assert parse(dump(scheme)) == scheme
