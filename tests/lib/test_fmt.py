from __future__ import annotations

import ast
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.fmt import (
    DASH,
    MINUS,
    NBSP,
    date_iso,
    date_ru,
    duration,
    money,
    number,
    parse_decimal,
    percent,
    plural_ru,
    value,
)

D = Decimal


def _half_up(x: Decimal, places: int) -> Decimal:
    # Not round(x, 2): that uses the context's banker's rounding, the formatters do not.
    return x.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- number ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "places", "lang", "expected"),
    [
        (D("1234567.89"), 2, "ru", f"1{NBSP}234{NBSP}567,89"),
        (D("1234567.89"), 2, "en", "1,234,567.89"),
        (1234, 0, "ru", f"1{NBSP}234"),
        (-1234, 0, "ru", f"{MINUS}1{NBSP}234"),
        (-1234, 0, "en", "-1,234"),
        (0, 0, "ru", "0"),
        (0, 2, "ru", "0,00"),
        (999, 0, "ru", "999"),
        (1000, 0, "en", "1,000"),
        (100000, 0, "ru", f"100{NBSP}000"),
        (D("2.5"), 0, "ru", "3"),  # half up, not banker's
        (D("3.5"), 0, "ru", "4"),
        (D("-2.5"), 0, "ru", f"{MINUS}3"),  # half away from zero
        (D("0.125"), 2, "en", "0.13"),
        (D("1.005"), 2, "ru", "1,01"),
        (D("-0.4"), 0, "ru", "0"),  # no "−0"
        (D("-0.001"), 2, "en", "0.00"),
        (D("1E+3"), 0, "ru", f"1{NBSP}000"),
        (D("1E+30"), 2, "en", "1,000,000,000,000,000,000,000,000,000,000.00"),
        (D("1E-30"), 2, "ru", "0,00"),
        (D("12.3"), 3, "ru", "12,300"),
        (None, 0, "ru", DASH),
        (None, 2, "en", DASH),
        (D("NaN"), 0, "ru", DASH),
        (D("Infinity"), 0, "ru", DASH),
    ],
)
def test_number(x: Decimal | int | None, places: int, lang: str, expected: str) -> None:
    assert number(x, places, lang) == expected


def test_number_default_is_russian_whole() -> None:
    assert number(D("1234.6")) == f"1{NBSP}235"


@pytest.mark.parametrize("lang", ["ru-ru", "RU", "ru_RU"])
def test_django_language_codes(lang: str) -> None:
    assert number(1234, 0, lang) == f"1{NBSP}234"
    assert number(1234, 0, "en-us") == "1,234"


def test_unsupported_language() -> None:
    with pytest.raises(ValueError, match="Unsupported language 'de'"):
        number(1, 0, "de")


@pytest.mark.parametrize("bad", [1.5, True])
def test_number_refuses_float_and_bool(bad: object) -> None:
    with pytest.raises(TypeError):
        number(bad)  # type: ignore[arg-type]


def test_negative_places() -> None:
    with pytest.raises(ValueError):
        number(1, -1)


def test_ru_uses_no_break_spaces_only() -> None:
    text = number(D("-1234567.5"), 1)
    assert " " not in text
    assert "\u202f" not in text


# --- money ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "lang", "currency", "expected"),
    [
        (D("1234567.89"), "ru", "RUB", f"1{NBSP}234{NBSP}567,89{NBSP}₽"),
        (D("1234567.89"), "en", "RUB", f"1,234,567.89{NBSP}₽"),
        (D(5), "ru", "RUB", f"5,00{NBSP}₽"),
        (D("0.005"), "ru", "RUB", f"0,01{NBSP}₽"),
        (D("-1500"), "ru", "RUB", f"{MINUS}1{NBSP}500,00{NBSP}₽"),
        (D("10"), "en", "usd", f"10.00{NBSP}$"),
        (D("10"), "ru", "XYZ", f"10,00{NBSP}XYZ"),
        (None, "ru", "RUB", DASH),
    ],
)
def test_money(x: Decimal | None, lang: str, currency: str, expected: str) -> None:
    assert money(x, lang, currency) == expected


# --- percent --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "places", "lang", "expected"),
    [
        (D("0.873"), 0, "ru", f"87{NBSP}%"),
        (D("0.873"), 0, "en", "87%"),
        (D("0.8735"), 1, "ru", f"87,4{NBSP}%"),
        (D("0.005"), 0, "ru", f"1{NBSP}%"),  # 0.5 % rounds half up
        (D("1.5"), 0, "en", "150%"),
        (D("12.5"), 0, "ru", f"1{NBSP}250{NBSP}%"),
        (D("-0.05"), 0, "ru", f"{MINUS}5{NBSP}%"),
        (D(0), 1, "en", "0.0%"),
        (D("12345678901234567890123456.789005"), 2, "en",
         "1,234,567,890,123,456,789,012,345,678.90%"),
        (None, 0, "ru", DASH),
        (D("NaN"), 0, "ru", DASH),
    ],
)  # fmt: skip
def test_percent(x: Decimal | None, places: int, lang: str, expected: str) -> None:
    assert percent(x, places, lang) == expected


# --- duration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (3725, "1:02:05"),
        (59, "0:00:59"),
        (60, "0:01:00"),
        (3600, "1:00:00"),
        (0, "0:00:00"),
        (90061, "25:01:01"),  # hours are not wrapped into days
        (360000, "100:00:00"),
        (D("59.5"), "0:01:00"),  # half up
        (D("59.49"), "0:00:59"),
        (D("0.5"), "0:00:01"),
        (D("3599.5"), "1:00:00"),
        (-90, f"{MINUS}0:01:30"),
        (None, DASH),
        (D("NaN"), DASH),
    ],
)
def test_duration(seconds: Decimal | int | None, expected: str) -> None:
    assert duration(seconds) == expected


def test_duration_negative_in_english() -> None:
    assert duration(-90, "en") == "-0:01:30"


_DURATION_RE = re.compile(r"(?P<h>[0-9]+):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9])")


@given(st.integers(min_value=0, max_value=10**9))
def test_duration_round_trips_whole_seconds(seconds: int) -> None:
    m = _DURATION_RE.fullmatch(duration(seconds))
    assert m is not None
    h, mm, ss = int(m["h"]), int(m["m"]), int(m["s"])
    assert h * 3600 + mm * 60 + ss == seconds
    assert m["h"] == str(h)  # hours are never zero-padded


@given(st.decimals(min_value=0, max_value=10**7, places=3))
def test_duration_round_trips_fractional_seconds(seconds: Decimal) -> None:
    m = _DURATION_RE.fullmatch(duration(seconds))
    assert m is not None
    total = int(m["h"]) * 3600 + int(m["m"]) * 60 + int(m["s"])
    assert total == _half_up(seconds, 0)


# --- dates ----------------------------------------------------------------------------


def test_dates() -> None:
    d = date(2025, 3, 8)
    assert date_ru(d) == "08.03.2025"
    assert date_iso(d) == "2025-03-08"


def test_dates_of_datetime_show_no_time() -> None:
    dt = datetime(2025, 12, 31, 23, 59)
    assert date_ru(dt) == "31.12.2025"
    assert date_iso(dt) == "2025-12-31"


def test_dates_pad_small_years() -> None:
    assert date_ru(date(5, 1, 2)) == "02.01.0005"
    assert date_iso(date(5, 1, 2)) == "0005-01-02"


@given(st.dates())
def test_dates_round_trip(d: date) -> None:
    assert date_iso(d) == d.isoformat()
    day, month, year = date_ru(d).split(".")
    assert (len(day), len(month), len(year)) == (2, 2, 4)
    assert date(int(year), int(month), int(day)) == d


# --- plural_ru ------------------------------------------------------------------------

_FORMS = ("звонок", "звонка", "звонков")

_PLURAL_TABLE = {
    0: "звонков",
    1: "звонок",
    2: "звонка",
    3: "звонка",
    4: "звонка",
    5: "звонков",
    9: "звонков",
    10: "звонков",
    11: "звонков",
    12: "звонков",
    13: "звонков",
    14: "звонков",
    15: "звонков",
    19: "звонков",
    20: "звонков",
    21: "звонок",
    22: "звонка",
    25: "звонков",
    101: "звонок",
    104: "звонка",
    111: "звонков",
    112: "звонков",
    114: "звонков",
    121: "звонок",
    1001: "звонок",
    1011: "звонков",
    1_000_000: "звонков",
    -1: "звонок",
    -2: "звонка",
    -11: "звонков",
}


@pytest.mark.parametrize(("n", "expected"), sorted(_PLURAL_TABLE.items()))
def test_plural_ru_table(n: int, expected: str) -> None:
    assert plural_ru(n, *_FORMS) == expected


# Written out as sets rather than as a rule, so the test is not the code again.
_ONE_ENDINGS = {1, 21, 31, 41, 51, 61, 71, 81, 91}
_FEW_ENDINGS = {tens + d for tens in (0, 20, 30, 40, 50, 60, 70, 80, 90) for d in (2, 3, 4)}


@given(st.integers(min_value=0, max_value=10**12))
def test_plural_ru_by_last_two_digits(n: int) -> None:
    ending = n % 100
    if ending in _ONE_ENDINGS:
        expected = "звонок"
    elif ending in _FEW_ENDINGS:
        expected = "звонка"
    else:
        expected = "звонков"
    assert plural_ru(n, *_FORMS) == expected


def test_plural_ru_decimals() -> None:
    assert plural_ru(D(21), *_FORMS) == "звонок"
    assert plural_ru(D("2.5"), *_FORMS) == "звонка"
    assert plural_ru(D("1.5"), *_FORMS) == "звонка"


# --- parse_decimal --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56", D("1234.56")),
        (f"1{NBSP}234,56", D("1234.56")),
        ("1\u202f234,56", D("1234.56")),  # narrow no-break space
        ("1\u2009234,56", D("1234.56")),  # thin space
        ("1234.56", D("1234.56")),
        ("1234,56", D("1234.56")),
        ("1 234 567", D(1234567)),
        ("1 234.5", D("1234.5")),
        ("1.234,56", D("1234.56")),
        ("1.234.567,89", D("1234567.89")),
        ("1,234.56", D("1234.56")),
        ("1,234,567.89", D("1234567.89")),
        ("1,234,567", D(1234567)),  # several commas can only be thousands
        ("1.234.567", D(1234567)),
        ("1,234", D("1.234")),  # Russian first: a single comma is decimal
        ("1.234", D("1.234")),
        ("−5", D(-5)),
        ("-5", D(-5)),
        ("+5", D(5)),
        ("-1 234,5", D("-1234.5")),
        ("0", D(0)),
        ("007", D(7)),
        ("0,5", D("0.5")),
        ("  42  ", D(42)),
        ("1 234,56 ₽", D("1234.56")),
        (f"1{NBSP}234,56{NBSP}₽", D("1234.56")),
        ("1234₽", D(1234)),
        ("1 234 руб.", D(1234)),
        ("1 234 руб", D(1234)),
        ("1 234 РУБ.", D(1234)),
        ("500 р.", D(500)),
        (f"{MINUS}1{NBSP}500,00{NBSP}₽", D(-1500)),
    ],
)
def test_parse_decimal(text: str, expected: Decimal) -> None:
    result = parse_decimal(text)
    assert result == expected
    assert isinstance(result, Decimal)


def test_parse_decimal_keeps_kopecks_scale() -> None:
    assert str(parse_decimal("1 234,50")) == "1234.50"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "1,2,3",
        "1.2.3",
        "12,5%",
        "12%",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "1e5",
        "1E+5",
        "0x10",
        "-",
        "+",
        "--5",
        "- 5",
        "5-",
        ",5",
        ".5",
        "5,",
        "5.",
        "1.234,567.89",
        "1,234,56",
        "12 34",
        "1234 567",
        "1  234",
        "1 234.567,89",
        "1 234,567,89",
        "1,23,456",
        "١٢٣",  # Arabic-Indic digits: Decimal would take them, a CSV must not
        "(1 234)",
        "₽",
        "руб.",
        "1 2",
        "1_000",
        "5 $",
    ],
)
def test_parse_decimal_refuses(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_decimal(text)
    assert str(err.value) == f"Not a number: '{text}'"


def test_parse_decimal_truncates_long_input_in_message() -> None:
    with pytest.raises(ValueError) as err:
        parse_decimal("x" * 500)
    assert len(str(err.value)) < 100


def test_parse_decimal_refuses_non_string() -> None:
    with pytest.raises(TypeError):
        parse_decimal(5)  # type: ignore[arg-type]


# --- round trips ----------------------------------------------------------------------

wide_decimals = st.decimals(
    min_value=D("-1e15"), max_value=D("1e15"), allow_nan=False, allow_infinity=False
)


@given(wide_decimals, st.sampled_from(["ru", "en"]))
def test_number_round_trips_two_places(x: Decimal, lang: str) -> None:
    assert parse_decimal(number(x, 2, lang)) == _half_up(x, 2)


@given(wide_decimals)
def test_number_round_trips_whole_ru(x: Decimal) -> None:
    # Not in English: "1,234" reads back as 1.234 because a lone comma is decimal.
    assert parse_decimal(number(x, 0, "ru")) == _half_up(x, 0)


@given(wide_decimals, st.integers(min_value=1, max_value=6))
def test_number_round_trips_any_places_ru(x: Decimal, places: int) -> None:
    assert parse_decimal(number(x, places, "ru")) == _half_up(x, places)


@given(wide_decimals, st.sampled_from(["ru", "en"]))
def test_money_round_trips(x: Decimal, lang: str) -> None:
    assert parse_decimal(money(x, lang)) == _half_up(x, 2)


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_number_of_int_groups_by_three(n: int) -> None:
    text = number(n, 0, "ru")
    digits = text.removeprefix(MINUS)
    groups = digits.split(NBSP)
    assert 1 <= len(groups[0]) <= 3
    assert all(len(g) == 3 for g in groups[1:])
    assert int("".join(groups)) == abs(n)
    assert text.startswith(MINUS) == (n < 0)


# --- value ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "unit", "lang", "expected"),
    [
        (D(1234), "count", "ru", f"1{NBSP}234"),
        (D("1234.0"), "count", "ru", f"1{NBSP}234"),
        (D("2.5"), "count", "ru", "2,5"),
        (D("2.5"), "count", "en", "2.5"),
        (D("2.46"), "count", "ru", "2,5"),
        (D("2.04"), "count", "ru", "2"),  # one decimal only when it says something
        (D("2.96"), "count", "ru", "3"),
        (D("1234567.8"), "money", "ru", f"1{NBSP}234{NBSP}567,80{NBSP}₽"),
        (D("1234567.8"), "money", "en", f"1,234,567.80{NBSP}₽"),
        (D(3725), "duration", "ru", "1:02:05"),
        (D("87.3"), "percent", "ru", f"87,3{NBSP}%"),
        (D("87.3"), "percent", "en", "87.3%"),
        (D(100), "percent", "ru", f"100,0{NBSP}%"),
        (D("1.5"), "number", "ru", "1,5"),
        (D("1.50"), "number", "ru", "1,5"),
        (D(2), "number", "ru", "2"),
        (D("1234.567"), "number", "en", "1,234.57"),
        (D("0.001"), "number", "ru", "0"),
        (D("-3.14159"), "number", "ru", f"{MINUS}3,14"),
        (D(100), "number", "ru", "100"),
        (D("1E+2"), "number", "ru", "100"),
        (12, "count", "ru", "12"),
    ],
)
def test_value(x: Decimal, unit: str, lang: str, expected: str) -> None:
    assert value(x, unit, lang) == expected


@pytest.mark.parametrize("unit", ["count", "money", "duration", "percent", "number"])
def test_value_none(unit: str) -> None:
    assert value(None, unit) == DASH
    assert value(D("NaN"), unit) == DASH


def test_value_unknown_unit() -> None:
    with pytest.raises(ValueError, match="Unknown unit 'parsecs'"):
        value(D(1), "parsecs")


@pytest.mark.parametrize("path", ["salespulse/lib/fmt.py", "salespulse/lib/formula.py"])
def test_modules_import_no_django(path: str) -> None:
    root = Path(__file__).resolve().parents[2]
    tree = ast.parse((root / path).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] == "django"}
