"""A leg is its row: equal rows are one leg, different rows never, whatever their uniqueid."""

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from salespulse.lib.cdr import Leg, LegReader, hashed_id, row_hash
from salespulse.lib.cdrgen import asterisk_line
from salespulse.lib.tabular import open_table

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 2, 10, tzinfo=UTC)
T0 = datetime(2026, 2, 3, 10, 0, tzinfo=MSK)


def read(text: str, fmt: str = "asterisk", **kwargs) -> list:
    with open_table(io.BytesIO(text.encode())) as table:
        return list(LegReader(fmt, MSK, now=NOW, **kwargs).legs(table.rows()))


# A few values per field, so that rows often share most of them (and their uniqueid).
records = st.fixed_dictionaries(
    {
        "src": st.sampled_from(["301", "302", "89245555937"]),
        "dst": st.sampled_from(["89161234567", "600", "302"]),
        "channel": st.sampled_from(["SIP/302-00000008", "SIP/211553-00000003"]),
        "dstchannel": st.sampled_from(["", "SIP/beeline-00000009", "SIP/301-00000004"]),
        "lastdata": st.sampled_from(["SIP/211553/89161234567,60", "SIP/mts-out/89161234567"]),
        "second": st.integers(0, 3),
        "billsec": st.integers(0, 2),
        "disposition": st.sampled_from(["ANSWERED", "FAILED", "NO ANSWER"]),
        "uniqueid": st.sampled_from(["1770103200.20", "1770103200.21"]),
    }
)


def line(r: dict) -> str:
    start = T0 + timedelta(seconds=r["second"])
    return asterisk_line(
        {
            "src": r["src"], "dst": r["dst"], "channel": r["channel"],
            "dstchannel": r["dstchannel"], "lastapp": "Dial", "lastdata": r["lastdata"],
            "start": start, "answer": start if r["billsec"] else "",
            "end": start + timedelta(seconds=r["billsec"]), "duration": r["billsec"],
            "billsec": r["billsec"], "disposition": r["disposition"], "uniqueid": r["uniqueid"],
        },
        18,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(records.map(line), min_size=1, max_size=12, unique=True))
def test_n_different_rows_are_n_legs_whatever_their_uniqueids(lines):
    legs = read("\n".join(lines) + "\n")
    assert all(isinstance(leg, Leg) for leg in legs)
    assert len({leg.external_id for leg in legs}) == len(lines)


@settings(max_examples=30, deadline=None)
@given(st.lists(records.map(line), min_size=1, max_size=6, unique=True), st.randoms())
def test_a_row_read_again_is_the_same_leg(lines, rnd):
    doubled = lines + lines
    rnd.shuffle(doubled)
    legs = read("\n".join(doubled) + "\n")
    assert len({leg.external_id for leg in legs}) == len(lines)


def test_failover_legs_that_differ_only_in_the_trunk_tried_are_two_legs():
    """Before, the id hashed some fields only: these two refusals were one leg."""
    base = {"src": "302", "dst": "89161234567", "channel": "SIP/302-00000008",
            "dstchannel": "", "second": 0, "billsec": 0, "disposition": "FAILED",
            "uniqueid": "1770103200.20"}  # fmt: skip
    first = line(base | {"lastdata": "SIP/211553/89161234567,60"})
    second = line(base | {"lastdata": "SIP/mts-out/89161234567"})
    a, b = read(f"{first}\n{second}\n")
    assert a.external_id != b.external_id and a.call_key == b.call_key == "1770103200.20"


def test_the_id_is_the_minute_and_the_hash_of_every_cell():
    (leg,) = read(line({"src": "301", "dst": "600", "channel": "SIP/301-1", "dstchannel": "",
                        "lastdata": "", "second": 7, "billsec": 1, "disposition": "ANSWERED",
                        "uniqueid": "1.1"}) + "\n")  # fmt: skip
    assert leg.external_id == hashed_id("202602030700", leg.raw)
    assert leg.external_id == "h:202602030700" + row_hash(leg.raw)


def test_a_mapped_files_uniqueid_groups_legs_and_its_own_id_names_rows():
    text = (
        "uniqueid;ID записи;Дата звонка;Оператор;Длительность;Время разговора\n"
        "1770102000.11;r-1;03.02.2026 10:00:00;301;60;50\n"
        "1770102000.11;r-2;03.02.2026 10:00:00;302;60;0\n"
        "1770102000.11;r-2;03.02.2026 10:00:00;302;60;0\n"
    )
    legs = read(text, "csv")
    assert [leg.external_id for leg in legs] == ["r-1", "r-2", "r-2"]
    assert {leg.call_key for leg in legs} == {"1770102000.11"}
    plain = text.replace(";ID записи", "").replace(";r-1", "").replace(";r-2", "")
    without_ids = read(plain, "csv")
    assert len({leg.external_id for leg in without_ids}) == 2
