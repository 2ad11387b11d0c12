"""Russian-first formatting of numbers, money, durations and dates.

Used by templates, the CLI and e-mails, so it must not depend on Django or on the
process locale: the same figure must read the same in a browser, a terminal and a
morning digest.

Russian conventions: digits grouped by a no-break space (U+00A0, so "1 234 567" never
wraps across lines), a decimal comma, a real minus sign (U+2212), and a no-break space
before "%" and "₽". English uses "1,234,567.89" and an ASCII hyphen-minus.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

__all__ = [
    "DASH",
    "MINUS",
    "NBSP",
    "date_iso",
    "date_ru",
    "duration",
    "money",
    "number",
    "parse_decimal",
    "percent",
    "plural_ru",
    "rubles",
    "value",
]

NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2014"  # shown for a missing or not applicable figure

_CURRENCY_SYMBOLS = {
    "RUB": "₽",
    "USD": "$",
    "EUR": "€",
    "KZT": "₸",
    "BYN": "Br",
    "UAH": "₴",
    "CNY": "¥",
}

_UNITS = ("count", "money", "duration", "percent", "number")


def _lang(lang: str) -> str:
    # Accept Django-style codes ("ru-ru", "en-us", "en_GB") as well as bare ones.
    code = lang.lower().replace("_", "-").split("-", 1)[0]
    if code not in ("ru", "en"):
        raise ValueError(f"Unsupported language '{lang}': use 'ru' or 'en'")
    return code


def _decimal(value: Decimal | int) -> Decimal:
    # Floats are refused, not converted: a float reaching a formatter means kopecks were
    # already at risk somewhere upstream, and that must fail loudly in tests.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    return Decimal(value)


def _round(d: Decimal, places: int) -> Decimal:
    """Round half up to ``places``; exact for any magnitude (no context precision limit)."""
    if places < 0:
        raise ValueError(f"places must be >= 0, got {places}")
    with localcontext() as ctx:
        # quantize fails when the result has more digits than the context precision,
        # so widen it to fit huge values instead of raising InvalidOperation.
        ctx.prec = max(28, d.adjusted() + places + 2)
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def _render(rounded: Decimal, lang: str) -> str:
    # copy_abs, not abs(): abs() rounds to the context precision and drops digits.
    text = format(rounded.copy_abs(), "f")
    int_part, _, frac = text.partition(".")
    if lang == "ru":
        body = _group(int_part, NBSP) + ("," + frac if frac else "")
        sign = MINUS
    else:
        body = _group(int_part, ",") + ("." + frac if frac else "")
        sign = "-"
    # A value that rounds to zero is shown without a sign: "−0" reads as a fault.
    return sign + body if rounded < 0 else body


def number(value: Decimal | int | None, places: int = 0, lang: str = "ru") -> str:
    """``1 234 567,89`` (ru) or ``1,234,567.89`` (en), rounded half up; None -> "—"."""
    if value is None:
        return DASH
    code = _lang(lang)
    d = _decimal(value)
    if not d.is_finite():
        return DASH
    return _render(_round(d, places), code)


def money(value: Decimal | int | None, lang: str = "ru", currency: str = "RUB") -> str:
    """Always two places: ``1 234 567,89 ₽``.

    English keeps the symbol after the amount (``1,234,567.89 ₽``) on purpose: the
    product is about roubles, and one layout in both languages keeps columns aligned
    and the format simple to parse back.
    """
    if value is None:
        return DASH
    code = currency.upper()
    symbol = _CURRENCY_SYMBOLS.get(code, code)
    text = number(value, 2, lang)
    return text if text == DASH else f"{text}{NBSP}{symbol}"


def rubles(value: Decimal | int | None, lang: str = "ru") -> str:
    """Whole rubles, for bonuses and salaries: ``1 234 567 ₽``."""
    text = number(value, 0, lang)
    return text if text == DASH else f"{text}{NBSP}₽"


def _percent_sign(lang: str) -> str:
    # Russian typography puts a (no-break) space before "%"; English does not.
    return NBSP + "%" if _lang(lang) == "ru" else "%"


def percent(value: Decimal | int | None, places: int = 0, lang: str = "ru") -> str:
    """A fraction as percent: 0.873 -> ``87 %`` (ru) / ``87%`` (en)."""
    if value is None:
        return DASH
    d = _decimal(value)
    if not d.is_finite():
        return DASH
    # Shift the exponent of the tuple: "* 100" and scaleb() both round to the context
    # precision, which would drop digits of a long value before it is rounded half up.
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    text = number(Decimal((sign, digits, exponent + 2)), places, lang)
    return text + _percent_sign(lang)


def duration(seconds: Decimal | int | None, lang: str = "ru") -> str:
    """``h:mm:ss``: 3725 -> ``1:02:05``; hours are not wrapped into days.

    Fractional seconds are rounded half up. ``lang`` only picks the minus sign for a
    negative duration (a shortfall against a talk-time plan).
    """
    if seconds is None:
        return DASH
    code = _lang(lang)
    d = _decimal(seconds)
    if not d.is_finite():
        return DASH
    total = int(_round(d, 0))
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    if total < 0:
        return (MINUS if code == "ru" else "-") + text
    return text


def date_ru(d: date) -> str:
    """``dd.mm.yyyy``; for a datetime only the date part is shown."""
    # Built by hand: strftime("%Y") does not zero-pad years below 1000 on every platform.
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


def date_iso(d: date) -> str:
    """``yyyy-mm-dd``; unlike ``isoformat()`` a datetime gives no time part."""
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def plural_ru(n: int | Decimal, one: str, few: str, many: str) -> str:
    """The Russian word form for ``n`` (only the word, so the caller formats the number).

    ``plural_ru(21, "звонок", "звонка", "звонков")`` -> ``"звонок"``. A fractional
    ``n`` takes the "few" form, as in "2,5 звонка".
    """
    if isinstance(n, Decimal) and n != n.to_integral_value():
        return few
    rest = abs(int(n)) % 100
    if 11 <= rest <= 14:
        return many
    last = rest % 10
    if last == 1:
        return one
    if 2 <= last <= 4:
        return few
    return many


# Every kind of space a Russian spreadsheet or web page puts between digit groups:
# normal, no-break, narrow no-break, thin, figure.
_SPACE_CHARS = " \u00a0\u202f\u2009\u2007"
_SPACE_RE = re.compile(f"[{_SPACE_CHARS}]")
_CURRENCY_SUFFIXES = ("руб.", "руб", "р.", "₽")
_BODY_RE = re.compile(f"[0-9][0-9.,{_SPACE_CHARS}]*")
_DIGITS_RE = re.compile("[0-9]+")


def _join_groups(int_part: str, sep: str | re.Pattern[str]) -> str | None:
    """Digits of ``int_part`` if it is correctly grouped by thousands, else None."""
    groups = sep.split(int_part) if isinstance(sep, re.Pattern) else int_part.split(sep)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    if not all(_DIGITS_RE.fullmatch(g) for g in groups):
        return None
    return "".join(groups)


def _parse_body(body: str) -> str | None:
    """``body`` (unsigned) as a plain "1234.56" string, or None when it is not a number."""
    if not _BODY_RE.fullmatch(body):
        return None
    has_space = _SPACE_RE.search(body) is not None
    dots, commas = body.count("."), body.count(",")
    decimal_sep: str | None = None
    thousands: str | re.Pattern[str] | None = _SPACE_RE if has_space else None
    if dots and commas:
        # "1.234,56" or "1,234.56": the last separator is the decimal one.
        if has_space:
            return None
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        if body.count(decimal_sep) != 1:
            return None
    elif dots or commas:
        sep = "." if dots else ","
        if body.count(sep) == 1:
            # A single separator is the decimal one: this is a Russian-first product,
            # so "1,234" is 1.234 (a decimal comma), never one thousand two hundred.
            decimal_sep = sep
        elif has_space:
            return None
        else:
            thousands = sep
    if decimal_sep is not None:
        int_part, _, frac = body.partition(decimal_sep)
        if not _DIGITS_RE.fullmatch(frac):
            return None
    else:
        int_part, frac = body, ""
    if thousands is None:
        digits = int_part if _DIGITS_RE.fullmatch(int_part) else None
    else:
        digits = _join_groups(int_part, thousands)
    if digits is None:
        return None
    return digits + ("." + frac if frac else "")


def parse_decimal(text: str) -> Decimal:
    """A number as a Russian user types it or a Russian CSV holds it.

    Accepts "1 234,56", "1234.56", "1 234 567" (any kind of space), "1.234,56",
    "1,234.56", "−5" / "-5", with an optional "₽" / "руб." suffix. Refuses anything
    ambiguous or odd ("1,2,3", "12,5%", "1e5", "NaN") with ``ValueError``.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    s = text.strip()
    lowered = s.lower()
    for suffix in _CURRENCY_SUFFIXES:
        if lowered.endswith(suffix):
            s = s[: -len(suffix)].rstrip()
            break
    negative = False
    if s[:1] in ("-", MINUS, "+"):
        negative = s[0] != "+"
        s = s[1:]
    plain = _parse_body(s)
    if plain is None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"Not a number: '{shown}'")
    return Decimal(("-" if negative else "") + plain)


def _up_to(d: Decimal, places: int) -> int:
    """How many of ``places`` decimals ``d`` needs once trailing zeros are dropped."""
    frac = format(_round(d, places), "f").partition(".")[2].rstrip("0")
    return len(frac)


def value(value: Decimal | int | None, unit: str, lang: str = "ru") -> str:
    """A KPI value in its unit.

    count: whole, or one decimal below 10 when it is not whole (an average of calls);
    money: two places and the rouble sign; duration: h:mm:ss;
    percent: the value is already in percent units (87.3), one decimal;
    number: up to two decimals, trailing zeros dropped.
    """
    if unit not in _UNITS:
        raise ValueError(f"Unknown unit '{unit}': use one of {', '.join(_UNITS)}")
    if value is None:
        return DASH
    if unit == "money":
        return money(value, lang)
    if unit == "duration":
        return duration(value, lang)
    if unit == "percent":
        text = number(value, 1, lang)
        return text if text == DASH else text + _percent_sign(lang)
    d = _decimal(value)
    if not d.is_finite():
        return DASH
    # "count" shows 2.04 as "2", not "2,0": one decimal only when it carries information,
    # and none from 10 up (a forecast of 2 038,9 calls reads as false precision).
    if unit == "count":
        places = 0 if abs(d) >= 10 else _up_to(d, 1)
    else:
        places = _up_to(d, 2)
    return number(d, places, lang)


def shortfall(gap: Decimal | int | None, unit: str, lang: str = "ru") -> str:
    """How far below a plan, in the KPI's own unit; a percentage's gap in percentage points
    (60 % planned, 42 % done: 18 p.p. short, not "18 %")."""
    if unit != "percent" or gap is None:
        return value(gap, unit, lang)
    text = number(gap, 1, lang)
    return text if text == DASH else f"{text}\u00a0{'п.п.' if _lang(lang) == 'ru' else 'p.p.'}"
