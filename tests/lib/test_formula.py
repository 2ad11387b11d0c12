from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.formula import (
    MAX_DEPTH,
    MAX_LENGTH,
    Formula,
    FormulaError,
    dependency_order,
    parse,
)

D = Decimal

# Bounded so that sums stay far from Decimal's overflow limits; kopeck-like and
# wildly fractional values are both in range.
decimals = st.decimals(
    min_value=D("-1e15"), max_value=D("1e15"), allow_nan=False, allow_infinity=False
)


# --- the formulas from the brief ------------------------------------------------------


def test_conversion_percent() -> None:
    f = parse("leads / conversations * 100")
    assert f.names == frozenset({"leads", "conversations"})
    assert f.evaluate({"leads": D(3), "conversations": D(12)}) == D(25)
    assert f.is_ratio()


def test_average_talk_time() -> None:
    f = parse("talk_time / conversations")
    assert f.evaluate({"talk_time": D(3725), "conversations": D(5)}) == D(745)


def test_average_check_with_returns() -> None:
    f = parse("(deals_sum - returns_sum) / deals_count")
    values = {"deals_sum": D("150000.50"), "returns_sum": D("10000.50"), "deals_count": D(4)}
    assert f.evaluate(values) == D(35000)
    assert f.is_ratio()


def test_sum_of_counts() -> None:
    f = parse("calls + emails")
    assert f.evaluate({"calls": D(40), "emails": D(2)}) == D(42)
    assert not f.is_ratio()


def test_source_is_kept_as_typed() -> None:
    f = parse("  calls+emails ")
    assert f.source == "  calls+emails "


def test_result_is_decimal_not_float() -> None:
    result = parse("a / b").evaluate({"a": D(1), "b": D(3)})
    assert isinstance(result, Decimal)
    assert result == D("0.3333333333333333333333333333")


def test_kopecks_are_exact() -> None:
    # 0.1 + 0.2 is the classic float failure.
    assert parse("a + b").evaluate({"a": D("0.1"), "b": D("0.2")}) == D("0.3")


def test_caller_decimal_context_does_not_leak_in() -> None:
    f = parse("a / b")
    with localcontext() as ctx:
        ctx.prec = 3
        result = f.evaluate({"a": D(1), "b": D(3)})
    assert result == D("0.3333333333333333333333333333")


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a * 100", D(700)),
        ("a * 1.5", D("10.5")),
        ("a * 1,5", D("10.5")),  # Russian decimal comma
        ("a * 0,25", D("1.75")),
        ("a / 60", D("7") / D("60")),
        ("a * 007", D(49)),
    ],
)
def test_number_literals(source: str, expected: Decimal) -> None:
    assert parse(source).evaluate({"a": D(7)}) == expected


# --- precedence and associativity -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a - b - c", D(100 - 10 - 2)),
        ("a - (b - c)", D(100 - (10 - 2))),
        ("a / b / c", D(100) / D(10) / D(2)),
        ("a / (b / c)", D(100) / (D(10) / D(2))),
        ("a - b * c", D(100 - 10 * 2)),
        ("(a - b) * c", D((100 - 10) * 2)),
        ("a + b / c", D(100 + 10 / 2)),
        ("-a + b", D(-100 + 10)),
        ("-(a + b)", D(-110)),
        ("- - a", D(100)),
        ("a - -b", D(110)),
        ("a * -b", D(-1000)),
        ("-a * -b", D(1000)),
        ("((a))", D(100)),
        ("a\t+\nb", D(110)),
    ],
)
def test_precedence(source: str, expected: Decimal) -> None:
    assert parse(source).evaluate({"a": D(100), "b": D(10), "c": D(2)}) == expected


# --- None and division by zero --------------------------------------------------------


def test_division_by_zero_is_not_applicable() -> None:
    avg_check = parse("deals_sum / deals_count")
    assert avg_check.evaluate({"deals_sum": D(0), "deals_count": D(0)}) is None
    assert avg_check.evaluate({"deals_sum": D(100), "deals_count": D(0)}) is None
    assert avg_check.evaluate({"deals_sum": D(100), "deals_count": D("-0")}) is None


def test_division_by_zero_inside_larger_expression() -> None:
    f = parse("calls + deals_sum / deals_count")
    assert f.evaluate({"calls": D(5), "deals_sum": D(1), "deals_count": D(0)}) is None


def test_division_by_expression_that_is_zero() -> None:
    f = parse("a / (b - c)")
    assert f.evaluate({"a": D(1), "b": D(2), "c": D(2)}) is None


@pytest.mark.parametrize("missing", ["a", "b"])
def test_any_none_input_gives_none(missing: str) -> None:
    values: dict[str, Decimal | None] = {"a": D(1), "b": D(2)}
    values[missing] = None
    assert parse("a + b").evaluate(values) is None
    assert parse("a * 0 + b * 0").evaluate(values) is None


def test_absent_input_is_like_none() -> None:
    assert parse("a + b").evaluate({"a": D(1)}) is None


def test_nan_input_is_like_none() -> None:
    assert parse("a + b").evaluate({"a": D("NaN"), "b": D(1)}) is None


def test_int_input_is_accepted() -> None:
    assert parse("a + b").evaluate({"a": 1, "b": D(2)}) == D(3)  # type: ignore[dict-item]


@pytest.mark.parametrize("bad", [1.5, True, "1"])
def test_float_bool_str_inputs_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        parse("a + b").evaluate({"a": bad, "b": D(1)})  # type: ignore[dict-item]


# --- is_ratio -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "ratio"),
    [
        ("calls + emails", False),
        ("calls * 2", False),
        ("talk_time / 60", False),  # a constant divisor keeps it additive
        ("-calls", False),
        ("a / b", True),
        ("a / b * 100", True),
        ("(a - b) / c", True),
        ("calls + a / b", True),
        ("-(a / b)", True),
        ("100 / (a / b)", True),
        ("(a / b) / 2", True),
    ],
)
def test_is_ratio(source: str, ratio: bool) -> None:
    assert parse(source).is_ratio() is ratio


# --- known codes ----------------------------------------------------------------------


def test_known_codes_accepted() -> None:
    assert parse("a / b", known=["a", "b", "c"]).names == {"a", "b"}
    assert parse("a / b", known={"a": 1, "b": 2}.keys()).names == {"a", "b"}


def test_unknown_code_is_named() -> None:
    with pytest.raises(FormulaError, match=r"^Unknown KPI code 'leeds'$"):
        parse("leeds / conversations", known={"leads", "conversations"})


def test_first_unknown_code_in_source_order_is_named() -> None:
    with pytest.raises(FormulaError, match=r"^Unknown KPI code 'zz'$"):
        parse("zz + aa", known=set())


# --- bad input: every FormulaError ----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "The formula is empty"),
        ("   ", "The formula is empty"),
        ("1 + 2", "A formula must use at least one KPI"),
        ("42", "A formula must use at least one KPI"),
        ("a ** 2", "Only + - * / and parentheses are allowed, found '**' at position 3"),
        ("a // b", "Only + - * / and parentheses are allowed, found '//' at position 3"),
        ("a ^ 2", "Only + - * / and parentheses are allowed, found '^' at position 3"),
        ("a % b", "Only + - * / and parentheses are allowed, found '%' at position 3"),
        ("a > b", "Only + - * / and parentheses are allowed, found '>' at position 3"),
        ("a == b", "Only + - * / and parentheses are allowed, found '=' at position 3"),
        ("a.real", "Only + - * / and parentheses are allowed, found '.' at position 2"),
        ("a[0]", "Only + - * / and parentheses are allowed, found '[' at position 2"),
        ("'a'", "Only + - * / and parentheses are allowed, found ''' at position 1"),
        ("a if b else c", "Unexpected token 'if' at position 3"),
        ("lambda: a", "Only + - * / and parentheses are allowed, found ':' at position 7"),
        ("abs(a)", "Function calls are not allowed, found 'abs(' at position 1"),
        ("__import__(a)", "Function calls are not allowed, found '__import__(' at position 1"),
        ("a + round (b)", "Function calls are not allowed, found 'round(' at position 5"),
        ("Calls + 1", "KPI codes are lowercase, found 'Calls' at position 1"),
        ("звонки / 2", "KPI codes use only latin letters a-z, digits and '_', found 'з' "
         "at position 1"),
        ("a € b", "Unexpected character '€' at position 3"),
        ("a, b", "Unexpected character ',' at position 2"),
        ("1.2.3 * a", "Invalid number '1.2.3' at position 1"),
        ("a * 1,5,6", "Invalid number '1,5,6' at position 5"),
        ("leads / )", "Unexpected token ')' at position 9"),
        ("a b", "Unexpected token 'b' at position 3"),
        ("2a", "Unexpected token 'a' at position 2"),
        ("a * 2 3", "Unexpected token '3' at position 7"),
        ("+a", "Unexpected token '+' at position 1"),
        ("a * / b", "Unexpected token '/' at position 5"),
        ("()", "Unexpected token ')' at position 2"),
        ("a)", "Unexpected token ')' at position 2: no matching '('"),
        ("(a + b", "The '(' at position 1 is never closed"),
        ("((a) + b", "The '(' at position 1 is never closed"),
        ("a +", "The formula ends too early: a number or KPI code is missing at the end"),
        ("-", "The formula ends too early: a number or KPI code is missing at the end"),
        ("(", "The formula ends too early: a number or KPI code is missing at the end"),
        ("a / 0", "The formula divides by zero"),
        ("a / (1 - 1)", "The formula divides by zero"),
        ("a / 0,0", "The formula divides by zero"),
        ("1 / 0 * a", "The formula divides by zero"),
    ],
)  # fmt: skip
def test_bad_formula(source: str, message: str) -> None:
    with pytest.raises(FormulaError) as err:
        parse(source)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_formula_error_is_value_error() -> None:
    assert issubclass(FormulaError, ValueError)


def test_max_length() -> None:
    ok = "a" * MAX_LENGTH
    assert parse(ok).names == {ok}
    with pytest.raises(FormulaError, match=r"^The formula is 201 characters long; at most 200"):
        parse("a" * (MAX_LENGTH + 1))


def test_max_length_counts_whole_source() -> None:
    long_sum = " + ".join(["calls"] * 30)  # 240 characters
    with pytest.raises(FormulaError, match="at most 200 are allowed"):
        parse(long_sum)


def test_max_depth_parentheses() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse(ok).evaluate({"a": D(1)}) == D(1)
    too_deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(FormulaError, match=r"^The formula is nested deeper than 20 levels$"):
        parse(too_deep)


def test_max_depth_unary_minus() -> None:
    assert parse("-" * MAX_DEPTH + "a").evaluate({"a": D(1)}) == D(1)
    with pytest.raises(FormulaError, match="nested deeper than 20 levels"):
        parse("-" * (MAX_DEPTH + 1) + "a")


def test_long_flat_chain_is_fine() -> None:
    # Length, not nesting, bounds a flat chain; it must not hit a recursion limit.
    source = "+".join(["a"] * 100)
    assert len(source) <= MAX_LENGTH
    assert parse(source).evaluate({"a": D(1)}) == D(100)


def test_non_string_source() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


# --- the Formula value ----------------------------------------------------------------


def test_formula_is_frozen_and_hashable() -> None:
    f = parse("a / b")
    with pytest.raises(AttributeError):
        f.source = "c"  # type: ignore[misc]
    assert f == parse("a / b")
    assert len({f, parse("a / b")}) == 1


def test_ordered_names() -> None:
    assert parse("b / a + b * c").ordered_names() == ("b", "a", "c")


# --- dependency_order -----------------------------------------------------------------


def _formulas(**sources: str) -> dict[str, Formula]:
    return {code: parse(src) for code, src in sources.items()}


def test_dependency_order_puts_dependencies_first() -> None:
    formulas = _formulas(
        margin_pct="margin / revenue * 100",
        margin="revenue - cost",
        revenue="deals_sum - returns_sum",
    )
    order = dependency_order(formulas)
    assert sorted(order) == sorted(formulas)
    assert order.index("revenue") < order.index("margin") < order.index("margin_pct")


def test_dependency_order_is_deterministic() -> None:
    formulas = _formulas(x="c + b + a", a="k", b="k", c="k")
    assert dependency_order(formulas) == ["c", "b", "a", "x"]


def test_dependency_order_empty() -> None:
    assert dependency_order({}) == []


def test_dependency_order_independent() -> None:
    assert dependency_order(_formulas(p="a / b", q="c + d")) == ["p", "q"]


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ({"a": "a + 1"}, "Circular formula: a -> a"),
        ({"a": "b * 2", "b": "a / 2"}, "Circular formula: a -> b -> a"),
        ({"a": "b", "b": "c", "c": "a + x"}, "Circular formula: a -> b -> c -> a"),
        ({"top": "a", "a": "b", "b": "a"}, "Circular formula: a -> b -> a"),
    ],
)
def test_dependency_cycle(sources: dict[str, str], message: str) -> None:
    with pytest.raises(FormulaError) as err:
        dependency_order(_formulas(**sources))
    assert str(err.value) == message


# --- properties -----------------------------------------------------------------------


@given(decimals, decimals)
def test_sum_property(a: Decimal, b: Decimal) -> None:
    assert parse("a + b").evaluate({"a": a, "b": b}) == a + b


@given(decimals, decimals)
def test_difference_and_product_property(a: Decimal, b: Decimal) -> None:
    assert parse("a - b").evaluate({"a": a, "b": b}) == a - b
    assert parse("a * b").evaluate({"a": a, "b": b}) == a * b


@given(decimals, decimals)
def test_division_property(a: Decimal, b: Decimal) -> None:
    result = parse("a / b").evaluate({"a": a, "b": b})
    assert result == (None if b == 0 else a / b)


# A random expression tree, rendered fully parenthesised, must evaluate to what the
# tree computes directly: this checks tokenizer, parser and evaluator together.


@dataclass(frozen=True)
class Expr:
    source: str
    compute: Callable[[dict[str, Decimal]], Decimal | None]


def _leaf_name(code: str) -> Expr:
    return Expr(code, lambda env: env[code])


def _leaf_number(n: Decimal) -> Expr:
    return Expr(format(n, "f"), lambda env: n)


def _binary(op: str, left: Expr, right: Expr) -> Expr:
    def compute(env: dict[str, Decimal]) -> Decimal | None:
        x, y = left.compute(env), right.compute(env)
        if x is None or y is None:
            return None
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        return None if y == 0 else x / y

    return Expr(f"({left.source} {op} {right.source})", compute)


def _negate(inner: Expr) -> Expr:
    def compute(env: dict[str, Decimal]) -> Decimal | None:
        v = inner.compute(env)
        return None if v is None else -v

    return Expr(f"-{inner.source}", compute)


_leaves = st.one_of(
    st.sampled_from(["a", "b", "c"]).map(_leaf_name),
    st.integers(min_value=1, max_value=1000).map(lambda i: _leaf_number(D(i))),
)
_exprs = st.recursive(
    _leaves,
    lambda sub: st.one_of(
        st.builds(_binary, st.sampled_from("+-*/"), sub, sub),
        sub.map(_negate),
    ),
    max_leaves=8,
)
_small = st.decimals(min_value=-1000, max_value=1000, places=2)


@given(_exprs, _small, _small, _small)
def test_random_expressions_match_direct_computation(
    expr: Expr, a: Decimal, b: Decimal, c: Decimal
) -> None:
    try:
        f = parse(expr.source)
    except FormulaError as e:
        # The only legitimate refusals for a generated tree.
        assert re.fullmatch(
            r"A formula must use at least one KPI|The formula divides by zero"
            r"|The formula is nested deeper .*|The formula is \d+ characters long.*",
            str(e),
        )
        return
    env = {"a": a, "b": b, "c": c}
    with localcontext() as ctx:
        ctx.prec = 28
        expected = expr.compute(env)
    assert f.evaluate(env) == expected
    assert f.names <= {"a", "b", "c"}


@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes_with_anything_but_formula_error(source: str) -> None:
    try:
        f = parse(source)
    except FormulaError:
        return
    assert f.names
