"""Layouts recognised from the rows themselves, and the mess real exports come with."""

import csv
import io
from datetime import UTC, datetime

import pytest

from salespulse.lib.cdr import STOCK_TEMPLATES, Leg, LegReader, Rejected, detect
from salespulse.lib.cdrgen import asterisk_line
from salespulse.lib.tabular import TabularError, open_table, parse_datetime
from tests.lib.test_cdr import a_day
from tests.telephony import pbxfiles

NOW = datetime(2026, 2, 10, tzinfo=UTC)


def read(data: str | bytes, fmt: str = "detect") -> tuple[str, list]:
    raw = data.encode() if isinstance(data, str) else data
    with open_table(io.BytesIO(raw)) as table:
        reader = LegReader(fmt, pbxfiles.MSK, now=NOW)
        items = list(reader.legs(table.rows()))
    return reader.layout, items


@pytest.mark.parametrize("columns", [16, 17, 18, 21])
def test_master_csv_of_each_width(columns):
    layout, legs = read("".join(asterisk_line(r, columns) + "\n" for r in a_day()))
    assert layout == f"Asterisk Master.csv ({columns} columns)"
    assert len(legs) == 6 and all(isinstance(leg, Leg) for leg in legs)


@pytest.mark.parametrize(
    ("columns", "dates", "line_end"),
    [(24, "dmy", "\r"), (24, "iso", "\n"), (27, "dmy", "\r\n"), (27, "iso", "\r")],
)
def test_the_freepbx_table_without_a_header(columns, dates, line_end):
    layout, legs = read(pbxfiles.freepbx_cdr(columns, dates, line_end))
    assert layout == f"FreePBX/Issabel cdr table ({columns} columns, no header)"
    assert [leg.billsec for leg in legs] == [120, 0, 60]
    first = legs[0]
    # 3/2/2026 is the 3rd of February (day first), 10:00 in Moscow
    assert first.start == datetime(2026, 2, 3, 7, 0, tzinfo=UTC)
    assert first.raw[1] == '"Петров, Иван" <89245555937>'  # the broken quoting repaired
    assert first.dcontext == "from-trunk" and first.call_key == "1770102000.11"


def test_the_freepbx_table_with_its_header_in_any_order():
    names = ["calldate", *pbxfiles.FREEPBX_ORDER[1:], "extra"]
    with open_table(io.BytesIO(pbxfiles.freepbx_cdr(24, "iso", "\n").encode())) as table:
        rows = [cells for _line, cells in table.rows()]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(reversed(names)))
    writer.writerows(list(reversed(r)) for r in rows)
    layout, legs = read(out.getvalue())
    assert layout == "FreePBX/Issabel cdr table (with a header)"
    assert [(leg.src, leg.billsec) for leg in legs] == [
        (pbxfiles.CLIENT, 120), (pbxfiles.CLIENT, 0), ("301", 60),
    ]  # fmt: skip
    assert legs[2].channel == "SIP/301-00000006" and legs[0].dcontext == "from-trunk"


def test_a_cdr_report_with_day_first_two_digit_years_and_no_seconds():
    layout, legs = read(pbxfiles.cdr_report(3).encode("cp1251"))
    assert layout == "CSV with a header row"
    assert len(legs) == 6 and len({leg.external_id for leg in legs}) == 6
    assert legs[0].start == datetime(2026, 2, 3, 6, 0, tzinfo=UTC)
    assert legs[0].call_key == legs[1].call_key != legs[2].call_key


def test_stock_cdr_custom_and_freeswitch_templates():
    custom = (
        '"""Анна"" <301>","301","89161234567","from-internal","SIP/301-1","SIP/mts-2",'
        '"Dial","SIP/mts/89161234567","2026-02-03 10:00:00","2026-02-03 10:00:05",'
        '"2026-02-03 10:01:05","65","60","ANSWERED","DOCUMENTATION","","1770102000.1","","7"\n'
    )
    assert len(STOCK_TEMPLATES["asterisk-custom"]) == 19
    layout, (leg,) = read(custom)
    assert layout == "Asterisk cdr_custom (stock template)" and leg.billsec == 60
    fs = ",".join(f'"{v}"' for v in [
        "Анна", "1001", "89161234567", "default", "2026-02-03 10:00:00",
        "2026-02-03 10:00:10", "2026-02-03 10:01:10", "70", "60", "NORMAL_CLEARING",
        "aaaa-1", "bbbb-1", "", "PCMA", "PCMA"]) + "\n"  # fmt: skip
    layout, (leg,) = read(fs)
    assert layout == "FreeSWITCH mod_cdr_csv (example template)"
    assert (leg.src, leg.billsec, leg.disposition) == ("1001", 60, "answered")


def test_an_unknown_layout_is_named_by_its_width():
    with pytest.raises(TabularError) as caught:
        detect([["a", "b", "c"], ["1", "2", "3"]])
    assert caught.value.params == {"count": 3}


def test_bare_cr_line_ends_without_a_final_one():
    text = "".join(asterisk_line(r, 18) + "\r" for r in a_day()).rstrip("\r")
    layout, legs = read(text)
    assert len(legs) == 6 and not [x for x in legs if isinstance(x, Rejected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3/2/2026 9:05:07", datetime(2026, 2, 3, 9, 5, 7)),
     ("03/02/26 09:05", datetime(2026, 2, 3, 9, 5)),
     ("31/12/2025 23:59:59", datetime(2025, 12, 31, 23, 59, 59))],
)  # fmt: skip
def test_day_first_slash_dates(text, expected):
    assert parse_datetime(text) == expected
