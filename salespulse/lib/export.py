"""Tables to XLSX and CSV files with the same numbers as the screen.

XLSX: one sheet per table, a bold frozen header, body rows then the footer (bold). Every
figure is a real number with a number format, so a spreadsheet can sum it:

- money: rounded half up to kopecks, ``#,##0.00 "₽"``;
- count and number: the exact value, shown with as many decimals as the screen shows
  (count: one decimal below 10 when it is not whole; number: up to two);
- percent: the fraction (0.875) with ``0%``, as the screen's "88 %";
- duration: whole seconds as a fraction of a day with ``[h]:mm:ss`` (hours not wrapped
  into days). Excel cannot show a negative time and fills such a cell with "####";
  the value is still right and LibreOffice shows it;
- date: a real date shown ``DD.MM.YYYY``.

An XLSX number is a binary double (the file format's nature): money keeps its kopecks
up to about 10^13 roubles, far above any sales figure.

CSV: UTF-8 with a BOM (so a Russian Excel opens it as UTF-8), ``;`` separated, one header
row. Numbers have no thousand separators, a decimal comma in Russian and a dot in English,
and an ASCII minus. Percent is written as the percent number with two decimals
(0.875 -> ``87,50``), money with two decimals, count and number rounded to two decimals
with trailing zeros dropped, duration as ``h:mm:ss``, a date as ``dd.mm.yyyy`` in Russian
and ``yyyy-mm-dd`` in English; a missing value is an empty field. A text field that a
spreadsheet would run as a formula (starting with = + - @) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from salespulse.lib.table import Column, Table, Value

__all__ = ["CONTENT_TYPES", "file_name", "to_csv", "to_xlsx"]

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

MONEY_FORMAT = '#,##0.00 "₽"'
PERCENT_FORMAT = "0%"
DURATION_FORMAT = "[h]:mm:ss"
DATE_FORMAT = "DD.MM.YYYY"
_PLACES_FORMATS = ("#,##0", "#,##0.0", "#,##0.00")

_SHEET_TITLE_MAX = 31
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_MIN_WIDTH, _MAX_WIDTH = 8, 48
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NAME_BAD = re.compile(r"[^A-Za-z0-9-]+")


# --- numbers -------------------------------------------------------------------------


def _round(d: Decimal, places: int) -> Decimal:
    """Half up to ``places``, for any magnitude; a zero result has no sign."""
    with localcontext() as ctx:
        ctx.prec = max(28, d.adjusted() + places + 2)
        rounded = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)


def _places(d: Decimal, most: int) -> int:
    """How many of ``most`` decimals ``d`` needs once rounded and trailing zeros dropped."""
    return len(format(_round(d, most), "f").partition(".")[2].rstrip("0"))


def _shown_places(d: Decimal, unit: str) -> int:
    # The screen's rule (lib/fmt.value): a count shows one decimal only below 10.
    if unit == "count":
        return 0 if abs(d) >= 10 else _places(d, 1)
    return _places(d, 2)


def _is_number(value: Value) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool)


def _finite(value: Decimal | int) -> Decimal | None:
    d = Decimal(value)
    return d if d.is_finite() else None


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- XLSX ----------------------------------------------------------------------------


def _sheet_title(title: str, fallback: str, taken: set[str]) -> str:
    base = _SHEET_TITLE_BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title))
    # Excel also refuses a title that starts or ends with an apostrophe.
    base = " ".join(base.split()).strip("'").strip() or fallback or "Sheet"
    base = base[:_SHEET_TITLE_MAX].strip()
    candidate, n = base, 1
    while candidate.lower() in taken:  # Excel compares sheet names case-insensitively
        n += 1
        suffix = f" ({n})"
        candidate = base[: _SHEET_TITLE_MAX - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _xlsx_cell(value: Value, unit: str) -> tuple[object, str | None, str]:
    """(value to write, number format or None, text as the screen shows it for widths)."""
    if value is None:
        return None, None, ""
    if isinstance(value, date):
        day = _as_date(value)
        return day, DATE_FORMAT, "00.00.0000"
    if isinstance(value, str):
        return _text(value), None, value
    if not _is_number(value):
        text = str(value)
        return _text(text), None, text
    d = _finite(value)
    if d is None:
        return None, None, ""
    if unit == "money":
        kopecks = _round(d, 2)
        return kopecks, MONEY_FORMAT, f"{kopecks:,.2f} ₽"
    if unit == "percent":
        return d, PERCENT_FORMAT, f"{_round(d * 100, 0)} %"
    if unit == "duration":
        seconds = _round(d, 0)
        return seconds / 86400, DURATION_FORMAT, _duration(seconds)
    if unit in ("count", "number"):
        places = _shown_places(d, unit)
        return d, _PLACES_FORMATS[places], f"{_round(d, places):,f}"
    return d, None, format(d, "f")  # a number in a text column: as it is


def _column_width(title: str, texts: list[str]) -> float:
    # The header wraps, so a long title does not widen the column beyond its longest word.
    longest_word = max((len(w) for w in title.split()), default=0)
    widest = max([len(t) for t in texts] + [min(len(title), 24), longest_word])
    return max(_MIN_WIDTH, min(_MAX_WIDTH, widest + 2))


def _write_sheet(ws: Worksheet, table: Table) -> None:
    bold = Font(bold=True)
    header_alignment = Alignment(wrap_text=True, vertical="top")
    texts: list[list[str]] = [[] for _ in table.columns]
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=col, value=_text(column.title))
        cell.data_type = "s"  # a title starting with "=" is text, not a formula
        cell.font = bold
        cell.alignment = header_alignment
    body = [(row, False) for row in table.rows] + [(row, True) for row in table.footer]
    for r, (row, is_footer) in enumerate(body, start=2):
        for col, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            written, number_format, shown = _xlsx_cell(value, column.unit)
            cell = ws.cell(row=r, column=col, value=written)
            if isinstance(written, str):
                cell.data_type = "s"  # never a formula or an error code
            if number_format:
                cell.number_format = number_format
            if is_footer:
                cell.font = bold
            texts[col - 1].append(shown)
    for col, column in enumerate(table.columns, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = _column_width(column.title, texts[col - 1])
    ws.freeze_panes = "A2"
    if table.columns and table.rows:
        # Filters and sorting over the body only: the footer (totals) stays at the bottom.
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{1 + len(table.rows)}"


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """An XLSX workbook with one sheet per table, in the given order."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(_sheet_title(table.title, table.name, taken))
        _write_sheet(ws, table)
    if not wb.worksheets:
        wb.create_sheet("Sheet")  # a workbook must have a sheet
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- CSV -----------------------------------------------------------------------------


def _lang(lang: str) -> str:
    code = lang.lower().replace("_", "-").split("-", 1)[0]
    if code not in ("ru", "en"):
        raise ValueError(f"Unsupported language '{lang}': use 'ru' or 'en'")
    return code


def _plain(d: Decimal, places: int, lang: str, *, fixed: bool) -> str:
    text = format(_round(d, places), "f")
    if not fixed and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "ru" else text


def _duration(seconds: Decimal) -> str:
    total = int(_round(seconds, 0))
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    return ("-" if total < 0 else "") + f"{hours}:{minutes:02d}:{secs:02d}"


def _csv_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_cell(value: Value, column: Column, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        day = _as_date(value)
        if lang == "ru":
            return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"
        return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    if isinstance(value, str):
        return _csv_text(value)
    if not _is_number(value):
        return _csv_text(str(value))
    d = _finite(value)
    if d is None:
        return ""
    unit = column.unit
    if unit == "money":
        return _plain(d, 2, lang, fixed=True)
    if unit == "percent":
        sign, digits, exponent = d.as_tuple()
        assert isinstance(exponent, int)  # finite, checked above
        # Shift the exponent: "* 100" would round a long value to the context precision.
        return _plain(Decimal((sign, digits, exponent + 2)), 2, lang, fixed=True)
    if unit == "duration":
        return _duration(d)
    return _plain(d, 2, lang, fixed=False)


def to_csv(table: Table, lang: str = "ru") -> bytes:
    """The table as CSV bytes: UTF-8 with BOM, ``;``, the header row, body, then footer."""
    code = _lang(lang)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_text(c.title) for c in table.columns])
    for row in table.all_rows():
        writer.writerow([_csv_cell(v, c, code) for c, v in zip(table.columns, row, strict=True)])
    return out.getvalue().encode("utf-8-sig")


# --- file names ----------------------------------------------------------------------


def file_name(
    table_name: str,
    period_start: date | None = None,
    period_end: date | None = None,
    ext: str = "xlsx",
) -> str:
    """``salespulse-sellers-2026-11-01_2026-11-30.xlsx``; a one-day period gives one date.

    The name is ASCII only (latin letters, digits, dashes), so every browser and mail
    client keeps it as it is.
    """
    stem = _NAME_BAD.sub("-", table_name).strip("-") or "table"
    parts = ["salespulse", stem]
    if period_start is not None:
        end = period_end if period_end is not None else period_start
        if end == period_start:
            parts.append(period_start.isoformat())
        else:
            parts.append(f"{period_start.isoformat()}_{end.isoformat()}")
    clean_ext = _NAME_BAD.sub("", ext.lstrip(".")).lower() or "xlsx"
    return "-".join(parts) + "." + clean_ext
