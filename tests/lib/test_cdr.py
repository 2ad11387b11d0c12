"""CDR formats, grouping legs into calls, attribution and counting (plain Python)."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salespulse.lib import cdr
from salespulse.lib.cdr import (
    FactLeg,
    Leg,
    LegReader,
    Rejected,
    attribute,
    channel_peer,
    phone_key,
)
from salespulse.lib.cdrgen import Pbx, asterisk_line, calls_for_figures
from salespulse.lib.tabular import open_table

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 2, 10, tzinfo=UTC)
EXT = re.compile(r"\d{2,6}")


def read(data: bytes, fmt: str = "asterisk", **kwargs) -> list:
    with open_table(io.BytesIO(data)) as table:
        return list(LegReader(fmt, MSK, now=NOW, **kwargs).legs(table.rows()))


def legs_of(data: bytes, fmt: str = "asterisk", **kwargs) -> list[Leg]:
    items = read(data, fmt, **kwargs)
    assert not [i for i in items if isinstance(i, Rejected)], items
    return items


def a_day() -> list[str]:
    pbx = Pbx(MSK)
    at = datetime(2026, 2, 3, 10, 0, 7, tzinfo=MSK)
    calls = [
        pbx.outbound("101", "79161234567", at, 45),
        pbx.outbound("101", "79161234568", at + timedelta(minutes=5), None),
        pbx.ring_group("74957654321", ["101", "102"], "102", at + timedelta(hours=1), 70),
        pbx.queue_via_local("74951112233", "103", at + timedelta(hours=2), 30),
    ]
    return [r for c in calls for r in c.records]


# --- Asterisk cdr_csv ------------------------------------------------------------------


@pytest.mark.parametrize("columns", [16, 17, 18, 21])
def test_each_cdr_csv_layout_is_read(columns):
    records = a_day()
    data = "".join(asterisk_line(r, columns) + "\n" for r in records).encode()
    legs = legs_of(data)
    assert len(legs) == len(records) == 6
    first = legs[0]
    assert first.start == datetime(2026, 2, 3, 7, 0, 7, tzinfo=UTC)  # Moscow is UTC+3
    assert (first.duration, first.billsec, first.disposition) == (57, 45, "answered")
    assert first.channel.startswith("SIP/101-") and first.src == "101"
    assert legs[1].answer is None and legs[1].disposition == "no_answer"
    keys = [leg.call_key for leg in legs]
    if columns == 16:  # no ids at all: every leg stands alone
        assert len(set(keys)) == 6
    elif columns in (17, 18):  # uniqueid: the ring group is one call, the Local hop is not
        assert len(set(keys)) == 5
    else:  # linkedid groups the Local hop too
        assert len(set(keys)) == 4
    assert len({leg.external_id for leg in legs}) == 6


def test_quotes_inside_values_and_an_unquoted_empty_answer():
    line = (
        '"","101","200","from-internal","""Иванов, ""Пётр"""" <101>","SIP/101-0000001a",'
        '"","Dial","SIP/200,30,tT","2026-02-03 10:00:00",,"2026-02-03 10:00:20",20,0,'
        '"BUSY","DOCUMENTATION","1770102000.5","userfield"\n'
    )
    (leg,) = legs_of(line.encode())
    assert leg.raw[4] == 'Иванов, "Пётр"" <101>' or leg.raw[4].startswith('"Иванов')
    assert leg.raw[8] == "SIP/200,30,tT"
    assert (leg.disposition, leg.answer, leg.billsec) == ("busy", None, 0)


def test_utc_clock_when_the_pbx_logs_in_gmt():
    record = {"start": datetime(2026, 2, 3, 7, 0), "end": datetime(2026, 2, 3, 7, 1),
              "duration": 60, "billsec": 0, "disposition": "NO ANSWER"}  # fmt: skip
    line = asterisk_line(record, 16)
    with open_table(io.BytesIO(line.encode() + b"\n")) as table:
        (leg,) = LegReader("asterisk", UTC, now=NOW).legs(table.rows())
    assert leg.start == datetime(2026, 2, 3, 7, 0, tzinfo=UTC)


def test_an_excel_resave_is_read_but_its_rows_are_not_the_original_rows():
    """Opened in Russian Excel and saved as CSV: `;`, cp1251, no quotes, no seconds.

    The re-saved rows read to the same talk, but they are not equal to the original rows
    in every field (the seconds are gone), so they are not taken for them: only equal
    rows are one leg.
    """
    records = a_day()
    original = legs_of("".join(asterisk_line(r, 18) + "\n" for r in records).encode())
    lines = []
    for r in records:
        cells = []
        for name in cdr.ASTERISK_LAYOUTS[18]:
            value = r.get(name, "")
            if isinstance(value, datetime):
                value = value.strftime("%d.%m.%Y %H:%M")
            if name == "uniqueid":
                value = str(value).replace(".", ",")  # Excel made it a number
            text = str(value)
            cells.append(f'"{text}"' if ";" in text else text)  # Excel quotes only these
        lines.append(";".join(cells))
    resaved = legs_of(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    assert [leg.billsec for leg in resaved] == [leg.billsec for leg in original]
    assert [leg.disposition for leg in resaved] == [leg.disposition for leg in original]
    assert {leg.external_id for leg in resaved}.isdisjoint(leg.external_id for leg in original)


def test_duplicated_and_out_of_order_rows_keep_their_ids():
    records = a_day()
    lines = [asterisk_line(r, 21) for r in records]
    shuffled = [lines[3], lines[0], lines[5], lines[0], lines[2], lines[1], lines[4]]
    legs = legs_of(("\n".join(shuffled) + "\n").encode())
    ids = [leg.external_id for leg in legs]
    assert ids[1] == ids[3] and len(set(ids)) == 6


BAD = {
    "seven columns": ('"a","b","c","d","e","f","g"', "has 7 columns"),
    "negative": ('"","101","2","c","","SIP/101-1","","Dial","","2026-02-03 10:00:00",,'
                 '"2026-02-03 10:00:20",-20,0,"NO ANSWER","DOCUMENTATION"', "Negative duration"),
    "absurd": ('"","101","2","c","","SIP/101-1","","Dial","","2026-02-03 10:00:00",,'
               '"2026-02-03 10:00:20",999999,0,"NO ANSWER","DOCUMENTATION"', "longer than a day"),
    "end before start": ('"","101","2","c","","SIP/101-1","","Dial","","2026-02-03 10:00:00",,'
                         '"2026-02-03 09:00:20",,0,"NO ANSWER","DOCUMENTATION"', "ends before"),
    "1970": ('"","101","2","c","","SIP/101-1","","Dial","","1970-01-01 03:00:00",,'
             '"1970-01-01 03:00:20",20,0,"NO ANSWER","DOCUMENTATION"', "too far in the past"),
    "next year": ('"","101","2","c","","SIP/101-1","","Dial","","2027-02-03 10:00:00",,'
                  '"2027-02-03 10:00:20",20,0,"NO ANSWER","DOCUMENTATION"', "in the future"),
    "talk > call": ('"","101","2","c","","SIP/101-1","","Dial","","2026-02-03 10:00:00",'
                    '"2026-02-03 10:00:00","2026-02-03 10:00:20",20,900,"ANSWERED",'
                    '"DOCUMENTATION"', "longer than the call"),
    "no date": ('"","101","2","c","","SIP/101-1","","Dial","","вчера",,"",20,0,"NO ANSWER",'
                '"DOCUMENTATION"', "is not a date"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_a_bad_row_is_refused_with_its_line_and_the_good_ones_kept(case):
    bad, message = BAD[case]
    good = asterisk_line(a_day()[0], 16)
    items = read(f"{good}\n{bad}\n{good.replace('SIP/101', 'SIP/102')}\n".encode())
    assert isinstance(items[0], Leg) and isinstance(items[2], Leg)
    assert isinstance(items[1], Rejected) and items[1].line == 2
    assert message in str(items[1])


# --- template formats ------------------------------------------------------------------


def test_cdr_custom_with_the_stock_template():
    r = a_day()[0]
    names = cdr.STOCK_TEMPLATES["asterisk-custom"]
    values = [r.get(n, "") for n in names]
    line = ",".join(
        f'"{v:%Y-%m-%d %H:%M:%S}"' if isinstance(v, datetime) else f'"{v}"' for v in values
    )
    (leg,) = legs_of((line + "\n").encode(), "asterisk-custom")
    assert (leg.src, leg.billsec, leg.disposition) == ("101", 45, "answered")
    assert leg.call_key == r["uniqueid"]


def test_a_saved_cdr_custom_template_line_is_understood():
    template = (
        "Master.csv => ${CSV_QUOTE(${CDR(start)})},${CSV_QUOTE(${CDR(src)})},"
        "${CSV_QUOTE(${CDR(dst)})},${CDR(duration,f)},${CDR(billsec,f)},"
        "${CSV_QUOTE(${CDR(disposition)})},${CSV_QUOTE(${CDR(linkedid)})}"
    )
    assert cdr.parse_template(template) == [
        "start", "src", "dst", "duration", "billsec", "disposition", "linkedid"
    ]  # fmt: skip
    data = b'"2026-02-03 10:00:00","101","79161234567",65.250,40.6,"ANSWERED","1770102000.9"\n'
    (leg,) = legs_of(data, "asterisk-custom", template=template)
    assert (leg.duration, leg.billsec, leg.call_key) == (65, 41, "1770102000.9")


def fs_line(**v) -> str:
    names = cdr.STOCK_TEMPLATES["freeswitch"]
    return ",".join('"' + str(v.get(n, "")) + '"' for n in names)


def test_freeswitch_example_template_and_b_legs_grouped_with_their_a_leg():
    a = fs_line(
        caller_id_name="Иван",
        caller_id_number="1001",
        destination_number="79161234567",
        context="default",
        start_stamp="2026-02-03 10:00:00",
        answer_stamp="2026-02-03 10:00:10",
        end_stamp="2026-02-03 10:01:10",
        duration=70,
        billsec=60,
        hangup_cause="NORMAL_CLEARING",
        uuid="aaaa-1",
        bleg_uuid="bbbb-1",
    )
    b = fs_line(
        caller_id_number="1001",
        destination_number="79161234567",
        start_stamp="2026-02-03 10:00:01",
        answer_stamp="2026-02-03 10:00:10",
        end_stamp="2026-02-03 10:01:10",
        duration=69,
        billsec=60,
        hangup_cause="NORMAL_CLEARING",
        uuid="bbbb-1",
    )
    missed = fs_line(caller_id_number="79035550000", destination_number="1002",
                     start_stamp="2026-02-03 11:00:00", answer_stamp="",
                     end_stamp="2026-02-03 11:00:30", duration=30, billsec=0,
                     hangup_cause="NORMAL_CLEARING", uuid="cccc-1")  # fmt: skip
    legs = legs_of(f"{b}\n{a}\n{missed}\n".encode(), "freeswitch")
    assert legs[0].call_key == legs[1].call_key != legs[2].call_key
    # uuid names a channel, not a row: the rows are told apart by all their fields.
    assert len({leg.external_id for leg in legs}) == 3
    assert all(leg.external_id.startswith("h:20260203") for leg in legs)
    assert [leg.disposition for leg in legs] == ["answered", "answered", "no_answer"]


def test_a_row_that_does_not_fit_the_template_is_refused():
    items = read(b'"a","b"\n', "freeswitch")
    assert isinstance(items[0], Rejected) and "template of this source has 15" in str(items[0])


# --- mapped CSV / XLSX -----------------------------------------------------------------

CLOUD = (
    "Дата звонка;Тип;Сотрудник;Кто звонил;Куда звонил;Статус;Длительность разговора\n"
    "03.02.2026 10:00;Исходящий;101;101;+7 (916) 123-45-67;Отвечен;0:01:05\n"
    "03.02.2026 10:05;Исходящий;Иванов;101;89161234568;Не отвечен;0\n"
    "03.02.2026 11:00;Входящий;102;74957654321;102;Принят;1:10\n"
)


def test_a_cloud_pbx_export_in_cp1251_with_default_russian_headers():
    legs = legs_of(CLOUD.encode("cp1251"), "csv")
    assert [leg.agent for leg in legs] == ["101", "Иванов", "102"]
    assert [leg.direction for leg in legs] == ["outbound", "outbound", "inbound"]
    assert [leg.billsec for leg in legs] == [65, 0, 70]
    assert [leg.disposition for leg in legs] == ["answered", "no_answer", "answered"]
    assert legs[0].start == datetime(2026, 2, 3, 7, 0, tzinfo=UTC)


def test_a_saved_mapping_and_xlsx():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Когда", "Оператор (логин)", "Сек"])
    sheet.append([datetime(2026, 2, 3, 10, 0), "ivanov", 42])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = {"start": "Когда", "agent": "Оператор (логин)", "billsec": "Сек"}
    (leg,) = legs_of(buffer.getvalue(), "csv", mapping=mapping)
    assert (leg.agent, leg.billsec, leg.duration, leg.disposition) == ("ivanov", 42, 42, "answered")


def test_a_csv_without_the_needed_columns_is_a_file_error():
    items = read("ID;Название;Сумма\n1;Сделка;100\n".encode(), "csv")
    assert isinstance(items[0], Rejected) and "Columns not found" in str(items[0])


# --- channels and attribution ----------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "peer"),
    [
        ("SIP/101-0000001a", ("101", False)),
        ("PJSIP/101-00000003", ("101", False)),
        ("PJSIP/ivanov-00000003", ("ivanov", False)),
        ("SIP/trunk-mts-0000001b", ("trunk-mts", False)),
        ("IAX2/202-12345", ("202", False)),
        ("Local/101@from-queue-00000012;2", ("101", True)),
        ("DAHDI/1-1", ("1", False)),
        ("", ("", False)),
        ("garbage", ("", False)),
    ],
)
def test_channel_peer(channel, peer):
    assert channel_peer(channel) == peer


SELLERS = {"101": 1, "102": 2, "ivanov": 3, "79161112233": 4}


def leg(**fields) -> Leg:
    base = dict(line=1, external_id="x", call_key="k", start=NOW, end=NOW, answer=None,
                duration=0, billsec=0, disposition="no_answer")  # fmt: skip
    return Leg(**(base | fields))


@pytest.mark.parametrize(
    ("fields", "who"),
    [
        (dict(channel="SIP/101-1", dstchannel="SIP/trunk-2", src="101", dst="79160000000"),
         (1, "101", "outbound")),
        (dict(channel="SIP/trunk-1", dstchannel="PJSIP/102-2", src="79160000000", dst="600"),
         (2, "102", "inbound")),
        (dict(channel="SIP/101-1", dstchannel="SIP/102-2", src="101", dst="102"),
         (1, "101", "internal")),
        (dict(channel="SIP/trunk-1", dstchannel="Local/102@from-queue-1;1", src="79160000000"),
         (2, "102", "inbound")),
        (dict(channel="Local/102@from-queue-1;2", dstchannel="SIP/102-3", src="79160000000"),
         (2, "102", "inbound")),
        (dict(channel="PJSIP/ivanov-1", dstchannel="", src="555", dst="79160000000"),
         (3, "ivanov", "outbound")),
        (dict(channel="SIP/trunk-1", dstchannel="", src="8 (916) 111-22-33", dst="79035550000"),
         (4, "8 (916) 111-22-33", "outbound")),
        (dict(channel="SIP/104-1", dstchannel="SIP/trunk-2", src="104", dst="79160000000"),
         (None, "104", "outbound")),
        (dict(channel="SIP/trunk-1", dstchannel="", src="79160000000", dst="700"),
         (None, "700", "inbound")),
        (dict(channel="SIP/trunk-1", dstchannel="SIP/trunk-b-2", src="79160000000",
              dst="79035550000"), (None, "", "")),
        (dict(agent="ivanov", direction="inbound"), (3, "ivanov", "inbound")),
        (dict(agent="Петров"), (None, "Петров", "")),
    ],
)  # fmt: skip
def test_attribution(fields, who):
    found = attribute(leg(**fields), SELLERS.get, EXT)
    assert (found.employee_id, found.agent, found.direction) == who


# --- counting --------------------------------------------------------------------------

T0 = datetime(2026, 2, 3, 7, 0, tzinfo=UTC)


def fact(key, direction="outbound", answered=True, offset=0, billsec=30, employee=1, **kw):
    return FactLeg(employee, date(2026, 2, 3), key, direction, answered,
                   T0 + timedelta(seconds=offset), billsec if answered else 0, **kw)  # fmt: skip


def figures(legs, threshold=15):
    return cdr.day_figures(legs, lambda _e: threshold)[(1, date(2026, 2, 3))].as_kpis()


def test_counting_rules():
    legs = [
        fact("a", billsec=45),  # outbound conversation
        fact("b", answered=False),  # outbound, nobody answered: a call
        fact("c", direction="inbound", answered=False),  # a ring this seller missed: not theirs
        fact("d", direction="inbound", billsec=10, offset=600),  # answered, too short
        fact("e", direction="inbound", billsec=30, offset=1200),  # Local hop: two legs,
        fact("e", direction="inbound", billsec=30, offset=1201),  # one call, 31 s of talk
        fact("f", direction="internal", billsec=100, offset=3000, counts=False),  # not counted
    ]
    assert figures(legs) == {"calls": 4, "answered_calls": 3, "conversations": 2,
                             "talk_time": 45 + 10 + 31}  # fmt: skip


def test_the_threshold_is_strictly_exceeded():
    assert figures([fact("a", billsec=15)])["conversations"] == 0
    assert figures([fact("a", billsec=16)])["conversations"] == 1
    assert figures([fact("a", billsec=16)], threshold=30)["conversations"] == 0


intervals = st.lists(
    st.tuples(st.integers(0, 5000), st.integers(0, 600), st.sampled_from("abcdef")), max_size=30
)


@given(intervals, st.randoms())
def test_order_and_duplicated_legs_never_change_the_figures(spans, rnd):
    legs = [fact(key, offset=start, billsec=secs) for start, secs, key in spans]
    if not legs:
        return
    once = figures(legs)
    shuffled = legs + [legs[0]] * 2
    rnd.shuffle(shuffled)
    assert figures(shuffled) == once
    assert once["talk_time"] <= sum(secs for _, secs, _ in spans)
    assert once["conversations"] <= once["answered_calls"] <= once["calls"]


@settings(max_examples=30, deadline=None)
@given(
    calls=st.integers(0, 60),
    data=st.data(),
)
def test_generated_days_read_back_to_their_figures(calls, data):
    conversations = data.draw(st.integers(0, calls))
    talk = data.draw(st.integers(conversations * 16, conversations * 400)) if conversations else 0
    pbx = Pbx(MSK, seed=calls)
    day = date(2026, 2, 3)
    generated = list(calls_for_figures(pbx, "101", day, calls, conversations, talk))
    text = "".join(asterisk_line(r, 21) + "\n" for c in generated for r in c.records)
    if not text:
        return
    legs = legs_of(text.encode())
    counted = [
        fact(leg.call_key, billsec=leg.billsec, answered=leg.answered,
             offset=int((leg.answer or leg.start).timestamp() - T0.timestamp()))
        for leg in legs
    ]  # fmt: skip
    assert figures(counted) == {"calls": calls, "answered_calls": conversations,
                                "conversations": conversations, "talk_time": talk}  # fmt: skip


_CHANNEL_RE = re.compile(r"(?P<tech>[A-Za-z0-9_]+)/(?P<rest>.+)")


def _channel_peer_by_regex(channel: str) -> tuple[str, bool]:
    """The rule as a regular expression, to check the string-method version against."""
    m = _CHANNEL_RE.fullmatch(channel.strip())
    if not m:
        return "", False
    if m["tech"].lower() == "local":
        return m["rest"].split("@", 1)[0], True
    rest = m["rest"]
    peer = rest.rsplit("-", 1)[0] if "-" in rest else rest
    return peer.split("/", 1)[0], False


@given(
    st.one_of(
        st.text(max_size=30),
        st.builds(
            lambda tech, rest: f"{tech}/{rest}",
            st.sampled_from(["SIP", "PJSIP", "Local", "local", "IAX2", "Д", "a b", ""]),
            st.text(alphabet="0123456789-@;/abc \n\t", max_size=20),
        ),
    )
)
def test_channel_peer_matches_the_regex_rule(channel):
    assert channel_peer(channel) == _channel_peer_by_regex(channel)


@given(st.text(alphabet="0123456789 ()-+.8٣²x", max_size=16))
def test_phone_key_strips_the_same_junk(number):
    digits = re.sub(r"[\s()\-+.]", "", number)
    expected = (
        "7" + digits[1:] if len(digits) == 11 and digits[0] == "8" and digits.isdigit() else digits
    )
    assert phone_key(number) == expected


def spelled_out_figures(legs, threshold):
    """The counting rules as the README states them, with no shortcut for one-leg calls."""
    calls = {}
    for leg in legs:
        calls.setdefault((leg.employee_id, leg.day, leg.call_key), []).append(leg)
    result = {}
    for (employee, day, _key), parts in calls.items():
        figures = result.setdefault((employee, day), cdr.DayFigures())
        answered = any(p.answered for p in parts)
        made = any(p.direction in ("outbound", "internal", "") for p in parts)
        if not any(p.counts for p in parts) or not (made or answered):
            continue
        figures.calls += 1
        if answered:
            talk = cdr.talk_union((p.talk_start, p.billsec) for p in parts if p.answered)
            figures.answered_calls += 1
            figures.talk_time += talk
            figures.conversations += talk > threshold(employee)
    return result


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            fact,
            key=st.sampled_from("abcd"),
            direction=st.sampled_from(["outbound", "inbound", "internal", ""]),
            answered=st.booleans(),
            offset=st.integers(0, 120),
            billsec=st.integers(0, 60),
            employee=st.integers(1, 2),
            counts=st.booleans(),
        ),
        max_size=12,
    ),
    st.integers(0, 40),
)
def test_day_figures_say_what_the_rules_say(legs, threshold):
    limit = lambda employee: threshold + employee  # noqa: E731
    assert cdr.day_figures(legs, limit) == spelled_out_figures(legs, limit)
