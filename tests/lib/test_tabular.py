"""The shared table readers: encodings, delimiters, XLSX, HTML ".xls", dates and durations."""

import io
import zipfile
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib import tabular
from salespulse.lib.fmt import duration as format_duration
from salespulse.lib.tabular import (
    TabularError,
    detect_encoding,
    map_columns,
    normalize_header,
    open_table,
    parse_datetime,
    parse_duration,
    sniff_delimiter,
)

MSK = ZoneInfo("Europe/Moscow")


def rows_of(data: bytes, **kwargs) -> list[tuple[int, list[str]]]:
    with open_table(io.BytesIO(data), **kwargs) as table:
        return list(table.rows())


def table_of(data: bytes):
    table = open_table(io.BytesIO(data))
    rows = list(table.rows())
    return table, rows


# --- encodings -------------------------------------------------------------------------

TEXT = "Менеджер;Звонки\nИванов Пётр;12\nЁлкина;7\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp1251"), "cp1251"),
        (TEXT.encode("utf-16"), "utf-16"),
    ],
)
def test_each_encoding_reads_the_same_rows(data, encoding):
    table, rows = table_of(data)
    assert table.encoding == encoding
    assert rows == [(1, ["Менеджер", "Звонки"]), (2, ["Иванов Пётр", "12"]), (3, ["Ёлкина", "7"])]
    assert table.replaced == 0


def test_a_cp1251_file_that_starts_with_pages_of_ascii_is_still_cp1251():
    head = b"".join(b"%d;%d\n" % (i, i * 2) for i in range(10_000))  # > the 64 KB sample
    assert len(head) > tabular.SAMPLE_SIZE
    table, rows = table_of(head + "Петров;5\n".encode("cp1251"))
    assert rows[-1] == (10_001, ["Петров", "5"])
    assert table.encoding == "cp1251" and table.replaced == 0


def test_stray_bytes_in_a_utf8_file_are_replaced_counted_and_the_row_kept():
    data = "Имя;Звонки\nАнна;3\n".encode() + b"Bad\xff\xfe name;4\n" + "Олег;5\n".encode()
    table, rows = table_of(data)
    assert table.encoding == "utf-8"
    assert rows[2] == (3, ["Bad\ufffd\ufffd name", "4"])
    assert rows[3] == (4, ["Олег", "5"])
    assert table.replaced == 2 and table.replaced_lines == [3]


def test_a_byte_undefined_in_cp1251_is_replaced_not_fatal():
    # 0x98 is the one byte Windows-1251 leaves undefined.
    data = "Имя;Звонки\nАнна;3\n".encode("cp1251") + b"\x98\xc8\xe2\xe0\xed;4\n"
    table, rows = table_of(data)
    assert table.encoding == "cp1251"
    assert rows[2] == (3, ["\ufffdИван", "4"])
    assert table.replaced == 1 and table.replaced_lines == [3]


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=30))
def test_any_bytes_after_a_cyrillic_header_never_crash_and_keep_every_line(chunks):
    lines = [c.replace(b"\n", b" ").replace(b"\r", b" ").replace(b'"', b"'") for c in chunks]
    data = "Имя;Звонки\n".encode("cp1251") + b"\n".join(b"x" + line for line in lines) + b"\n"
    try:
        table = open_table(io.BytesIO(data))
    except TabularError:
        return  # judged binary (control bytes): a clear message, not a crash
    rows = list(table.rows())
    assert len(rows) == len(lines) + 1
    assert table.replaced >= 0


def test_detect_encoding_leaves_pure_ascii_undecided():
    assert detect_encoding(b"a,b\n1,2\n") == "ascii"


# --- delimiters ------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_sniffed(delimiter):
    data = delimiter.join(["Дата", "Номер", "Длительность"]) + "\n"
    data += delimiter.join(["01.02.2026 10:00", "101", "65"]) + "\n"
    table, rows = table_of(data.encode())
    assert table.delimiter == delimiter
    assert rows[1][1] == ["01.02.2026 10:00", "101", "65"]


def test_decimal_commas_do_not_fool_the_sniffer():
    lines = ["Сделка;Сумма;Комментарий", "1;1234,50;ок", "2;99,90;а, б, в", "3;10;"]
    assert sniff_delimiter(lines) == (";", False)


def test_bitrix_trailing_semicolon_is_dropped():
    data = "ID;Название;Сумма;\n1;Сделка;100,00;\n2;Вторая;;\n".encode("cp1251")
    table, rows = table_of(data)
    assert table.delimiter == ";"
    assert rows == [(1, ["ID", "Название", "Сумма"]), (2, ["1", "Сделка", "100,00"]),
                    (3, ["2", "Вторая", ""])]  # fmt: skip


def test_quoted_fields_with_doubled_quotes_commas_and_newlines_and_line_numbers():
    data = b'"a","b"\n"x ""q"", y","1"\n\n"multi\nline","2"\n"last","3"\n'
    rows = rows_of(data)
    assert rows == [
        (1, ["a", "b"]),
        (2, ['x "q", y', "1"]),
        (4, ["multi\nline", "2"]),
        (6, ["last", "3"]),
    ]


def test_an_unclosed_quote_is_a_clear_error_with_its_line():
    data = b"a,b\n1,2\n" + b'"open,3\n' + b"x" * 2_000_000 + b"\n"
    with pytest.raises(TabularError) as caught:
        rows_of(data)
    assert caught.value.params["line"] == 3


def test_a_nul_past_the_sample_is_replaced_and_counted_like_an_undecodable_byte():
    filler = b"".join(b"%d;name %d\n" % (n, n) for n in range(10_000))
    assert len(filler) > tabular.SAMPLE_SIZE
    table, rows = table_of(b"id;name\n" + filler + b"last;a\x00b\n")
    assert rows[-1][1] == ["last", "a\ufffdb"]
    assert (table.replaced, table.replaced_lines) == (1, [10_002])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain", ("plain", 0)), ("a\x00b\x00", ("a\ufffdb\ufffd", 2)),
     ("\ud800x\udfff", ("\ufffdx\ufffd", 2)), ("💰", ("💰", 0))],
)  # fmt: skip
def test_what_no_database_holds_becomes_a_replacement_character(text, expected):
    assert tabular.storable(text) == expected


def test_a_file_object_that_cannot_seek_is_spooled():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self._data.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    with open_table(io.BufferedReader(Pipe(b"a;b\n1;2\n"))) as table:
        assert list(table.rows()) == [(1, ["a", "b"]), (2, ["1", "2"])]


def test_a_path_is_opened_and_progress_reaches_one(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(b"".join(b"%d,x\n" % i for i in range(1000)))
    with open_table(path) as table:
        for _ in table.rows():
            pass
        assert table.progress() == 1.0


# --- what is not a table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n\r\n ", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old binary Excel"),
        (b"PK\x03\x04garbage", "The XLSX file cannot be read"),
    ],
)
def test_what_is_not_a_table_is_refused_with_a_message(data, message):
    with pytest.raises(TabularError, match=message) as caught:
        open_table(io.BytesIO(data))
    assert caught.value.message  # a msgid the web and CLI layers translate


def test_an_xlsx_whose_sheet_is_damaged_is_refused_at_the_row_it_breaks():
    book = openpyxl.Workbook()
    for n in range(50):
        book.active.append([f"row {n}", n])
    whole = io.BytesIO()
    book.save(whole)
    damaged = io.BytesIO()
    # The workbook opens (its sheet is only read row by row), the sheet ends mid-element.
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[: len(data) // 2] if "sheet1" in info.filename else data)
    with open_table(io.BytesIO(damaged.getvalue())) as table:
        rows = table.rows()
        assert next(rows) == (1, ["row 0", "0"])
        with pytest.raises(TabularError, match="The XLSX file cannot be read") as caught:
            list(rows)
    assert caught.value.line > 1


# --- XLSX and HTML ---------------------------------------------------------------------


def test_xlsx_cells_become_the_text_a_csv_would_hold():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Дата", "Сотрудник", "Длительность", "Ответ", "Сек"])
    sheet.append([datetime(2026, 2, 3, 9, 5), "Анна", time(0, 2, 5), True, 65.0])
    sheet.append([date(2026, 2, 4), 101, timedelta(hours=1, seconds=7), None, 12.5])
    sheet.append([])
    sheet.append(["", None, "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    table, rows = table_of(buffer.getvalue())
    assert table.kind == "xlsx"
    assert rows == [
        (1, ["Дата", "Сотрудник", "Длительность", "Ответ", "Сек"]),
        (2, ["2026-02-03 09:05:00", "Анна", "00:02:05", "1", "65"]),
        (3, ["2026-02-04 00:00:00", "101", "1:00:07", "", "12.5"]),
    ]
    assert parse_datetime(rows[1][1][0]) == datetime(2026, 2, 3, 9, 5)
    assert parse_duration(rows[1][1][2]) == 125
    assert parse_duration(rows[2][1][2]) == 3607


BITRIX_HTML = """<html><head>
<meta http-equiv="Content-type" content="text/html;charset=windows-1251"></head>
<body><table border="1">
<tr><th>ID</th><th>Название&nbsp;сделки</th><th>Сумма</th></tr>
<tr><td>1</td><td>Поставка &amp; монтаж</td><td>1 500,00</td></tr>
<tr><td>2</td><td>Вторая<br>строка</td><td></td></tr>
</table></body></html>"""


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
def test_bitrix_html_xls_is_read_as_a_table(encoding):
    html = BITRIX_HTML if encoding == "cp1251" else BITRIX_HTML.replace("windows-1251", "utf-8")
    table, rows = table_of(html.encode(encoding))
    assert table.kind == "html" and table.encoding == encoding
    assert rows == [
        (1, ["ID", "Название сделки", "Сумма"]),
        (2, ["1", "Поставка & монтаж", "1 500,00"]),
        (3, ["2", "Вторая строка", ""]),
    ]


# --- headers ---------------------------------------------------------------------------


def test_headers_are_normalised():
    assert normalize_header("\ufeff  Дата\u00a0 звонка ") == "дата звонка"
    assert normalize_header('"Ответственный"') == "ответственный"
    assert normalize_header("Учёт") == normalize_header("УЧЕТ")


def test_map_columns_by_alias_and_missing_ones_are_named():
    header = ["Дата\u00a0звонка", "ВНУТРЕННИЙ НОМЕР", "Длительность"]
    spec = {"start": ["Начало", "Дата звонка"], "agent": "Внутренний номер", "talk": "Разговор"}
    assert map_columns(header, spec) == {"start": 0, "agent": 1}
    with pytest.raises(TabularError, match="Columns not found: Разговор") as caught:
        map_columns(header, spec, required=["start", "talk"])
    assert "Длительность" in caught.value.params["found"]


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-03 09:05:07", datetime(2026, 2, 3, 9, 5, 7)),
        ("03.02.2026 09:05:07", datetime(2026, 2, 3, 9, 5, 7)),
        ("03.02.2026 9:05", datetime(2026, 2, 3, 9, 5)),
        ("3.2.2026", datetime(2026, 2, 3)),
        ("2026-02-03T09:05", datetime(2026, 2, 3, 9, 5)),
        ("2026-02-03", datetime(2026, 2, 3)),
        ("2026-02-03T09:05:07.25", datetime(2026, 2, 3, 9, 5, 7, 250000)),
        (" 03.02.2026, 09:05 ", datetime(2026, 2, 3, 9, 5)),
    ],
)
def test_naive_dates(text, expected):
    assert parse_datetime(text) == expected
    assert parse_datetime(text, MSK) == expected.replace(tzinfo=MSK)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2026-02-03T09:05:07Z", timedelta(0)),
        ("2026-02-03T09:05:07+03:00", timedelta(hours=3)),
        ("2026-02-03 09:05:07+0700", timedelta(hours=7)),
        ("2026-02-03T09:05:07-05", timedelta(hours=-5)),
    ],
)
def test_an_offset_in_the_value_wins_over_the_default_zone(text, offset):
    parsed = parse_datetime(text, MSK)
    assert parsed.utcoffset() == offset
    assert parsed.replace(tzinfo=None) == datetime(2026, 2, 3, 9, 5, 7)


@pytest.mark.parametrize(
    "text", ["2026-02-03T09:05:07+25:00", "2026-02-03T09:05:07-2400", "2026-02-03T09:05:07+05:99"]
)
def test_an_offset_no_zone_has_is_refused_with_the_value(text):
    # +25:00 was a ValueError from datetime.timezone: a traceback on a call upload.
    with pytest.raises(TabularError, match="Not a date and time") as caught:
        parse_datetime(text)
    assert caught.value.params["value"] == text


def test_unix_seconds_are_utc():
    assert parse_datetime("1770109507") == datetime(2026, 2, 3, 9, 5, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["", "yesterday", "31.02.2026", "2026-13-01", "03.02.26", "2026-02-03 25:00"]
)
def test_bad_dates_raise_a_message(text):
    with pytest.raises(TabularError):
        parse_datetime(text)


moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))


@given(moments)
def test_russian_format_round_trips(moment):
    moment = moment.replace(microsecond=0)
    assert parse_datetime(moment.strftime("%d.%m.%Y %H:%M:%S")) == moment
    assert parse_datetime(moment.strftime("%d.%m.%Y %H:%M")) == moment.replace(second=0)
    assert parse_datetime(moment.strftime("%d.%m.%Y")) == moment.replace(hour=0, minute=0, second=0)


@given(moments, st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_iso_round_trips_with_and_without_offset(moment, minutes):
    zone = timezone(timedelta(minutes=minutes))
    assert parse_datetime(moment.isoformat()) == moment
    assert parse_datetime(moment.isoformat(sep=" ")) == moment
    aware = moment.replace(tzinfo=zone)
    assert parse_datetime(aware.isoformat(), MSK) == aware


# --- durations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("65", 65), (" 65 ", 65), ("65.4", 65), ("65,5", 66), ("1:05", 65),
     ("01:05", 65), ("125:00", 7500), ("1:02:05", 3725), ("00:00:07", 7), ("27:00:00", 97200),
     ("0:00:07.6", 8)],
)  # fmt: skip
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-5", "−5", "abc", "1:60", "1:60:00", "1:2:3:4", "NaN"])
def test_bad_durations(text):
    with pytest.raises(TabularError):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**7))
def test_durations_round_trip_through_the_formatter(seconds):
    assert parse_duration(format_duration(seconds)) == seconds
    assert parse_duration(str(seconds)) == seconds
    minutes, secs = divmod(seconds, 60)
    assert parse_duration(f"{minutes}:{secs:02d}") == seconds


def test_a_cell_over_128_kib_is_read_with_the_rest_of_the_file():
    data = ("id;comment\n1;short\n2;" + "x" * 200_000 + "\n3;short\n").encode()
    with open_table(io.BytesIO(data)) as table:
        rows = [cells for _line, cells in table.rows()]
    assert [r[0] for r in rows] == ["id", "1", "2", "3"]
    assert len(rows[2][1]) == 200_000
