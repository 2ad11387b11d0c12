"""Asterisk ``queue_log``: who of the agents answered a queue call, and for how long.

When a queue answers the caller, the CDR's answered leg is the PBX's: its billsec
includes the wait in the queue, and a call abandoned in the queue looks answered. The
queue_log says what happened: CONNECT (an agent picked up, after ``holdtime`` s),
COMPLETEAGENT / COMPLETECALLER (the conversation ended: ``holdtime``, ``calltime`` s),
RINGNOANSWER (an agent did not pick up), ABANDON / EXITWITHTIMEOUT (the caller never
reached an agent).

Events come from the flat file (``epoch|callid|queue|agent|EVENT|data1|…``) or from the
realtime table (``time``, ``callid``, ``queuename``, ``agent``, ``event``, ``data1``…):
`parse_line` and `from_columns` make the same `QueueEvent`, and `queue_calls` turns
either into calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from salespulse.lib.tabular import TabularError, gettext_noop, parse_datetime

ANSWERED_END = frozenset(("COMPLETEAGENT", "COMPLETECALLER"))
UNANSWERED_END = frozenset(("ABANDON", "EXITWITHTIMEOUT"))
# The events this reads; the others (ENTERQUEUE, ADDMEMBER, PAUSE, …) say nothing of a
# call's outcome.
EVENTS = frozenset(("CONNECT", "RINGNOANSWER")) | ANSWERED_END | UNANSWERED_END


@dataclass(slots=True, frozen=True)
class QueueEvent:
    line: int
    time: datetime  # UTC
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]


@dataclass(slots=True, frozen=True)
class QueueCall:
    """A queue call's outcome: answered by `agent` (talk `talk` s) or abandoned ("")."""

    callid: str
    queue: str
    agent: str  # the member's interface or name; "" when nobody answered
    entered: datetime  # when the caller started waiting (UTC)
    connected: datetime | None  # when the agent picked up
    hold: int
    talk: int


def parse_line(line: int, text: str) -> QueueEvent | None:
    """One line of the flat file; None for events that are not about a call's outcome."""
    parts = text.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise TabularError(gettext_noop("Not a queue_log line: '%(value)s'"), value=text[:60])
    epoch, callid, queue, agent, event, *data = parts
    if event not in EVENTS:
        return None
    try:
        moment = datetime.fromtimestamp(int(epoch.split(".")[0]), tz=UTC)
    except ValueError:
        raise TabularError(
            gettext_noop("The queue_log time '%(value)s' is not Unix seconds."), value=epoch[:20]
        ) from None
    return QueueEvent(line, moment, callid, queue, agent, event, tuple(data))


def from_columns(line: int, row: Mapping[str, object], tz: tzinfo) -> QueueEvent | None:
    """One row of the realtime ``queue_log`` table (column names as Asterisk's)."""
    event = str(row.get("event") or "")
    if event not in EVENTS:
        return None
    when = row.get("time")
    if isinstance(when, datetime):
        moment = when if when.tzinfo else when.replace(tzinfo=tz)
    else:
        moment = parse_datetime(str(when or ""), tz)
    if "data1" in row:
        data = tuple(str(row.get(f"data{i}") or "") for i in range(1, 6))
    else:
        data = tuple(str(row.get("data") or "").split("|"))
    return QueueEvent(
        line,
        moment.astimezone(UTC),
        str(row.get("callid") or ""),
        str(row.get("queuename") or row.get("queue") or ""),
        str(row.get("agent") or ""),
        event,
        data,
    )


def _seconds(data: tuple[str, ...], index: int) -> int:
    try:
        return max(0, int(data[index]))
    except (IndexError, ValueError):
        return 0


def queue_calls(events: Iterable[QueueEvent]) -> Iterator[QueueCall]:
    """The calls the events end, in the order they end.

    An answered call is the CONNECT of its agent with the talk time of the COMPLETE* that
    follows; an abandoned call has no agent. A call still connected when the log ends is
    left out (its talk is not known yet).
    """
    connects: dict[tuple[str, str], QueueEvent] = {}
    for event in events:
        key = (event.callid, event.agent)
        if event.event == "CONNECT":
            connects[key] = event
        elif event.event in ANSWERED_END:
            hold, talk = _seconds(event.data, 0), _seconds(event.data, 1)
            connect = connects.pop(key, None)
            connected = connect.time if connect else event.time - timedelta(seconds=talk)
            yield QueueCall(
                event.callid,
                event.queue,
                event.agent,
                connected - timedelta(seconds=hold),
                connected,
                hold,
                talk,
            )
        elif event.event in UNANSWERED_END:
            wait = _seconds(event.data, 2)
            yield QueueCall(
                event.callid, event.queue, "", event.time - timedelta(seconds=wait), None, wait, 0
            )
