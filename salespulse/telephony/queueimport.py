"""Importing an Asterisk queue_log as the companion of a call source.

Each queue call the log ends becomes legs of the source under the call's id (the caller
channel's uniqueid, which is the CDR legs' linkedid): a marker ``q:<callid>`` saying the
queue_log covers the call, and for an answered call the agent's leg (answered when the
agent picked up, talk = the log's calltime). Counting then takes the agent's answered call
and talk from these, not from the CDR legs of the call (`cdr.day_figures`); an abandoned
call is nobody's. The log may come before or after the CDRs of its calls.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from salespulse.lib import cdr
from salespulse.lib.cdr import queuelog
from salespulse.lib.tabular import TabularError
from salespulse.telephony.daycount import QUEUE_PREFIX, DayCounter, days_of_calls
from salespulse.telephony.importer import BATCH_SIZE, Directory, translate
from salespulse.telephony.legstore import last_leg, leg_row
from salespulse.telephony.models import CallImport, CallSource
from salespulse.telephony.results import QueueLogResult


def _lines(file: str | IO[bytes]) -> Iterator[str]:
    stream: IO[bytes] = open(file, "rb") if isinstance(file, str) else file  # noqa: SIM115
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=None)
        yield from text
    finally:
        if isinstance(file, str):
            stream.close()
        else:
            text.detach()


def _events(file: str | IO[bytes], result: QueueLogResult) -> Iterator[queuelog.QueueEvent]:
    for number, text in enumerate(_lines(file), 1):
        if not text.strip():
            continue
        result.lines += 1
        try:
            event = queuelog.parse_line(number, text)
        except TabularError as e:
            result.reject(number, translate(e.message, e.params))
            continue
        if event is None:
            result.other += 1
        else:
            result.used += 1
            yield event


def _rows(
    source: CallSource, calls: list[queuelog.QueueCall], directory: Directory
) -> tuple[dict[str, list], dict[str, set[str]]]:
    """The legs of these queue calls, by id, and the unmapped agents with their calls."""
    rows: dict[str, list] = {}
    unmapped: dict[str, set[str]] = {}
    nobody = cdr.Attribution(None, "", "")
    for call in calls:
        marker = QUEUE_PREFIX + call.callid
        end = call.entered + timedelta(seconds=call.hold + call.talk)
        base = cdr.Leg(
            line=0, external_id=marker, call_key=call.callid, start=call.entered, end=end,
            answer=None, duration=call.hold + call.talk, billsec=0, disposition="no_answer",
            raw=[call.callid, call.queue, call.agent, str(call.hold), str(call.talk)],
        )  # fmt: skip
        rows.setdefault(marker, leg_row(source.pk, base, nobody, None))
        if not call.agent or call.connected is None:
            continue
        peer = cdr.channel_peer(call.agent)[0] or call.agent
        leg = cdr.Leg(
            line=0,
            external_id=f"{marker}|{call.agent}|{int(call.connected.timestamp())}",
            call_key=call.callid,
            start=call.entered,
            end=call.connected + timedelta(seconds=call.talk),
            answer=call.connected,
            duration=call.hold + call.talk,
            billsec=call.talk,
            disposition="answered",
            dst="" if "/" in call.agent else call.agent,
            dstchannel=call.agent if "/" in call.agent else "",
            raw=base.raw,
        )
        employee = directory.lookup(peer)
        day = None
        if employee is None:
            unmapped.setdefault(peer, set()).add(call.callid)
        else:
            day = leg.start.astimezone(directory.zones[employee]).date()
        who = cdr.Attribution(employee, peer, "inbound")
        rows.setdefault(leg.external_id, leg_row(source.pk, leg, who, day))
    return rows, unmapped


def import_queue_log(
    source: CallSource, file: str | IO[bytes], *, file_name: str = "", user: Any = None
) -> tuple[QueueLogResult, CallImport]:
    """Import a queue_log file for this source and record the import."""
    result = QueueLogResult()
    try:
        calls = list(queuelog.queue_calls(_events(file, result)))
    except TabularError as e:
        calls = []
        result.error = translate(e.message, e.params)
    result.answered = sum(1 for c in calls if c.agent)
    result.abandoned = len(calls) - result.answered
    if calls:
        if not source.has_queue_log:
            source.has_queue_log = True
            source.save(update_fields=["has_queue_log"])
        directory = Directory(source)
        rows, unmapped = _rows(source, calls, directory)
        result.unmapped = {
            k: len(v) for k, v in sorted(unmapped.items(), key=lambda kv: -len(kv[1]))
        }
        counter = DayCounter(source)
        since = last_leg()
        ordered = list(rows.values())
        with transaction.atomic():
            for i in range(0, len(ordered), BATCH_SIZE):
                batch = ordered[i : i + BATCH_SIZE]
                # The CDR legs of these calls now count by the queue_log: their days too.
                counter.also_recount = days_of_calls(source.pk, {row[2] for row in batch})
                stored = counter.store(batch, since)
                result.imported += stored.imported + stored.not_sales
                result.already_stored += stored.already_stored + stored.repeats
                result.facts_changed += stored.facts_changed
    elif not result.error and result.used == 0:
        result.error = _(
            "The file has no queue calls (queue_log lines epoch|callid|queue|agent|EVENT|…)."
        )
    if result.error:
        result.reject(0, result.error)
    record = CallImport.objects.create(
        source=source, user=user, file_name=file_name[:255], result=result.as_record()
    )
    return result, record
