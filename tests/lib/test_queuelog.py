"""queue_log: who answered a queue call and for how long; an abandoned call is nobody's."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from salespulse.lib.cdr import FactLeg, day_figures
from salespulse.lib.cdr.queuelog import QueueCall, from_columns, parse_line, queue_calls
from salespulse.lib.tabular import TabularError
from tests.telephony import pbxfiles

T0 = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)


def events(text: str):
    return [e for n, line in enumerate(text.splitlines(), 1) if (e := parse_line(n, line))]


def test_the_file_gives_the_answered_call_and_the_abandoned_one():
    calls = list(queue_calls(events(pbxfiles.queue_log())))
    connected = pbxfiles.at(12, 0, 40).astimezone(UTC)
    assert calls == [
        QueueCall(pbxfiles.QUEUE_CALL, "700", "SIP/301", connected - timedelta(seconds=40),
                  connected, 40, 120),
        QueueCall(pbxfiles.ABANDONED, "700", "", pbxfiles.at(12, 30).astimezone(UTC), None,
                  30, 0),
    ]  # fmt: skip


def test_the_table_form_reads_to_the_same_calls():
    msk = ZoneInfo("Europe/Moscow")
    rows = []
    for line in pbxfiles.queue_log().splitlines():
        epoch, callid, queue, agent, event, *data = line.split("|")
        row = {"time": datetime.fromtimestamp(int(epoch), msk).replace(tzinfo=None),
               "callid": callid, "queuename": queue, "agent": agent, "event": event}  # fmt: skip
        row |= {f"data{i}": value for i, value in enumerate(data, 1)}
        rows.append(row)
    from_table = [e for n, r in enumerate(rows, 1) if (e := from_columns(n, r, msk))]
    assert list(queue_calls(from_table)) == list(queue_calls(events(pbxfiles.queue_log())))


def test_other_events_are_passed_over_and_a_broken_line_is_refused():
    assert parse_line(1, "1770102000|NONE|NONE|NONE|QUEUESTART|") is None
    assert parse_line(2, "1770102000|1.1|700|PJSIP/400|ADDMEMBER|") is None
    with pytest.raises(TabularError):
        parse_line(3, "garbage")
    with pytest.raises(TabularError):
        parse_line(4, "yesterday|1.1|700|SIP/301|CONNECT|4|1.2|3")


def test_a_call_still_connected_when_the_log_ends_is_left_out():
    log = f"{int(T0.timestamp())}|1.1|700|SIP/301|CONNECT|4|1.2|3"
    assert list(queue_calls(events(log))) == []


def fact(key, *, answered=True, offset=0, billsec=30, queue=False, covered=False):
    start = T0 + timedelta(seconds=offset)
    return FactLeg(1, date(2026, 2, 3), key, "inbound", answered, start, billsec,
                   queue=queue, covered=covered)  # fmt: skip


def test_where_the_queue_log_covers_a_call_its_legs_decide():
    # The PBX-answered leg (wait included) and the agent's leg, as CDRs say; the queue_log's.
    cdr_legs = [fact("q1", billsec=160, covered=True), fact("q1", offset=40, billsec=120,
                                                           covered=True)]  # fmt: skip
    queue_leg = fact("q1", offset=40, billsec=120, queue=True, covered=True)
    assert day_figures(cdr_legs + [queue_leg], lambda e: 15)[1, date(2026, 2, 3)].as_kpis() == {
        "calls": 1, "answered_calls": 1, "conversations": 1, "talk_time": 120,
    }  # fmt: skip
    assert day_figures(cdr_legs[:1], lambda e: 15)[1, date(2026, 2, 3)].calls == 0
    uncovered = [fact("q1", billsec=160), fact("q1", offset=40, billsec=120)]
    assert day_figures(uncovered, lambda e: 15)[1, date(2026, 2, 3)].talk_time == 160
