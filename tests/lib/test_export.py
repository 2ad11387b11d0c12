"""Tables to XLSX and CSV: the files hold the screen's numbers as real, formatted numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salespulse.lib import fmt, tabular
from salespulse.lib.export import file_name, to_csv, to_xlsx
from salespulse.lib.table import Column, Table

D = Decimal

COLUMNS = [
    Column("seller", "Менеджер"),
    Column("calls", "Звонки", "count"),
    Column("sum", "Сумма сделок", "money"),
    Column("talk", "Время разговоров", "duration"),
    Column("done", "% плана", "percent"),
    Column("check", "Средний чек, коэф.", "number"),
    Column("day", "Последний отчёт", "date"),
]


def sample() -> Table:
    table = Table("sellers", "Менеджеры", COLUMNS)
    table.add("Волков Иван", 1234, D("1234567.89"), 3725, D("0.875"), D("1.5"), date(2026, 11, 30))
    table.add("Попова Анна", D("2.5"), D("-150.05"), 59, D("1.2345"), D("2.04"), None)
    table.add("Козлов Пётр", None, None, None, None, None, None)
    table.add_footer("Отдел", D("1236.5"), D("1234417.84"), 3784, D("0.9"), None, None)
    return table


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


# --- XLSX ----------------------------------------------------------------------------


def test_xlsx_has_a_bold_frozen_russian_header():
    ws = read_xlsx(to_xlsx([sample()])).active
    assert ws.title == "Менеджеры"
    assert [c.value for c in ws[1]] == [c.title for c in COLUMNS]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"


def test_xlsx_writes_numbers_as_numbers_with_formats():
    ws = read_xlsx(to_xlsx([sample()])).active
    row = ws[2]
    assert row[0].value == "Волков Иван"
    assert row[1].value == 1234 and row[1].number_format == "#,##0"
    assert row[2].value == pytest.approx(1234567.89) and row[2].number_format == '#,##0.00 "₽"'
    assert row[3].value == timedelta(seconds=3725) and row[3].number_format == "[h]:mm:ss"
    assert row[4].value == 0.875 and row[4].number_format == "0%"
    assert row[5].value == 1.5 and row[5].number_format == "#,##0.0"
    assert row[6].value == datetime(2026, 11, 30) and row[6].number_format == "DD.MM.YYYY"


def test_xlsx_shows_as_many_decimals_as_the_screen():
    ws = read_xlsx(to_xlsx([sample()])).active
    popova = ws[3]
    # A count below 10 keeps its tenth (the screen shows "2,5"); a number up to two places.
    assert popova[1].value == 2.5 and popova[1].number_format == "#,##0.0"
    assert popova[5].value == 2.04 and popova[5].number_format == "#,##0.00"
    # The exact fraction is kept; the format rounds it like the screen's "123 %".
    assert popova[4].value == 1.2345
    footer = ws[5]
    assert footer[1].number_format == "#,##0"  # 1 236,5 calls show as "1 237", as on screen


def test_xlsx_keeps_kopecks_and_the_sign_of_money():
    ws = read_xlsx(to_xlsx([sample()])).active
    assert D(str(ws["C3"].value)) == D("-150.05")
    assert D(str(ws["C5"].value)) == D("1234417.84")


def test_xlsx_rounds_money_half_up_to_kopecks():
    table = Table("t", "t", [Column("m", "Сумма", "money")])
    table.add(D("10.005"))
    table.add(D("-0.001"))  # rounds to zero: no "-0,00 ₽"
    ws = read_xlsx(to_xlsx([table])).active
    assert ws["A2"].value == 10.01
    assert ws["A3"].value == 0 and str(ws["A3"].value) == "0"


def test_xlsx_leaves_missing_values_empty():
    ws = read_xlsx(to_xlsx([sample()])).active
    assert [c.value for c in ws[4][1:]] == [None] * 6


def test_xlsx_footer_follows_the_body_in_bold():
    ws = read_xlsx(to_xlsx([sample()])).active
    assert ws.max_row == 5
    assert ws["A5"].value == "Отдел"
    assert all(c.font.b for c in ws[5])
    assert not ws["A4"].font.b
    assert ws.auto_filter.ref == "A1:G4"  # sorting never moves the totals into the body


def test_xlsx_duration_is_whole_seconds_like_the_screen():
    table = Table("t", "t", [Column("d", "Время", "duration")])
    table.add(D("37.5"))
    table.add(90000)  # 25 hours stay 25:00:00, not a day and an hour
    ws = read_xlsx(to_xlsx([table])).active
    assert ws["A2"].value == timedelta(seconds=38)
    assert ws["A3"].value == timedelta(hours=25)


def test_xlsx_columns_are_wide_enough():
    ws = read_xlsx(to_xlsx([sample()])).active
    assert ws.column_dimensions["A"].width >= len("Волков Иван")
    assert ws.column_dimensions["C"].width >= len("1,234,567.89 ₽")
    assert all(8 <= ws.column_dimensions[c].width <= 48 for c in "ABCDEFG")


def test_xlsx_one_sheet_per_table_with_valid_unique_titles():
    first = Table("a", "Итоги: [ноябрь] / отдел*?", [Column("x", "X")])
    second = Table("b", "итоги  ноябрь   отдел", [Column("x", "X")])
    long = Table("c", "Очень длинное название листа для проверки обрезки", [Column("x", "X")])
    wb = read_xlsx(to_xlsx([first, second, long]))
    titles = wb.sheetnames
    assert titles[0] == "Итоги ноябрь отдел"
    assert titles[1] == "итоги ноябрь отдел (2)"  # Excel compares names case-insensitively
    assert titles[2] == "Очень длинное название листа дл"
    assert all(len(t) <= 31 for t in titles)


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    table = Table("t", "=SUM(A1)", [Column("x", "=cmd|' /C calc'!A0")])
    table.add('=HYPERLINK("http://evil")')
    table.add("#N/A")
    ws = read_xlsx(to_xlsx([table])).active
    assert ws["A1"].value == "=cmd|' /C calc'!A0" and ws["A1"].data_type == "s"
    assert ws["A2"].data_type == "s" and ws["A3"].data_type == "s"
    assert ws.title == "=SUM(A1)"


def test_xlsx_drops_control_characters():
    table = Table("t", "t", [Column("x", "X")])
    table.add("Имя\x07")
    assert read_xlsx(to_xlsx([table])).active["A2"].value == "Имя"


def test_xlsx_of_no_tables_is_still_a_workbook():
    assert read_xlsx(to_xlsx([])).sheetnames == ["Sheet"]


MONEY = st.decimals(
    min_value=D("-9999999999999.99"),
    max_value=D("9999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(MONEY, min_size=1, max_size=20))
def test_money_round_trips_through_xlsx_to_the_kopeck(amounts):
    table = Table("t", "t", [Column("m", "Сумма", "money")])
    for amount in amounts:
        table.add(amount)
    ws = read_xlsx(to_xlsx([table])).active
    back = [D(repr(float(row[0].value))) for row in ws.iter_rows(min_row=2)]
    kopeck = D("0.01")
    assert [b.quantize(kopeck, ROUND_HALF_UP) for b in back] == amounts


# --- CSV -----------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_and_semicolons():
    data = to_csv(sample())
    assert data.startswith(b"\xef\xbb\xbf")
    first_line = data.decode("utf-8-sig").splitlines()[0]
    assert first_line == ";".join(c.title for c in COLUMNS)


def test_csv_russian_numbers():
    rows = read_csv(to_csv(sample(), "ru"))
    assert rows[1] == ["Волков Иван", "1234", "1234567,89", "1:02:05", "87,50", "1,5", "30.11.2026"]
    assert rows[2] == ["Попова Анна", "2,5", "-150,05", "0:00:59", "123,45", "2,04", ""]
    assert rows[3] == ["Козлов Пётр", "", "", "", "", "", ""]


def test_csv_footer_comes_last():
    rows = read_csv(to_csv(sample()))
    assert len(rows) == 5
    assert rows[4] == ["Отдел", "1236,5", "1234417,84", "1:03:04", "90,00", "", ""]


def test_csv_english_numbers_use_a_dot():
    rows = read_csv(to_csv(sample(), "en-us"))
    assert rows[1][1:] == ["1234", "1234567.89", "1:02:05", "87.50", "1.5", "2026-11-30"]
    assert rows[2][2] == "-150.05"


def test_csv_rounds_half_up_and_drops_the_sign_of_zero():
    table = Table("t", "t", [Column("n", "N", "number"), Column("m", "M", "money")])
    table.add(D("2.005"), D("-0.004"))
    table.add(D("1E+3"), D("5"))
    rows = read_csv(to_csv(table))
    assert rows[1] == ["2,01", "0,00"]
    assert rows[2] == ["1000", "5,00"]


def test_csv_negative_duration_has_an_ascii_minus():
    table = Table("t", "t", [Column("d", "D", "duration")])
    table.add(-3725)
    assert read_csv(to_csv(table))[1] == ["-1:02:05"]


def test_csv_text_that_a_spreadsheet_would_run_is_quoted_out():
    table = Table("t", "t", [Column("x", "X"), Column("y", "Y")])
    table.add("=1+1", "@SUM(A1)")
    table.add("Иван; Пётр", 'кавычки "да"')
    rows = read_csv(to_csv(table))
    assert rows[1] == ["'=1+1", "'@SUM(A1)"]
    assert rows[2] == ["Иван; Пётр", 'кавычки "да"']


def test_csv_numbers_read_back_by_our_own_importer():
    """What we export, the Russian parser reads back: the file is a round trip."""
    with tabular.open_table(io.BytesIO(to_csv(sample()))) as opened:
        rows = [cells for _, cells in opened.rows()]
    assert rows[0][0] == "Менеджер"
    assert fmt.parse_decimal(rows[1][2]) == D("1234567.89")
    assert fmt.parse_decimal(rows[2][2]) == D("-150.05")


def test_csv_refuses_an_unknown_language():
    with pytest.raises(ValueError, match="Unsupported language"):
        to_csv(sample(), "de")


# --- file names ----------------------------------------------------------------------


def test_file_name_holds_the_table_and_the_period():
    name = file_name("sellers", date(2026, 11, 1), date(2026, 11, 30), "xlsx")
    assert name == "salespulse-sellers-2026-11-01_2026-11-30.xlsx"


def test_file_name_of_one_day_and_of_no_period():
    assert file_name("attention", date(2026, 11, 3), date(2026, 11, 3), "csv") == (
        "salespulse-attention-2026-11-03.csv"
    )
    assert file_name("attention", ext=".csv") == "salespulse-attention.csv"


def test_file_name_is_ascii_whatever_the_table_name():
    assert file_name("продажи/../x y", None, None, "xlsx") == "salespulse-x-y.xlsx"
    assert file_name("", None, None, "xlsx") == "salespulse-table.xlsx"
