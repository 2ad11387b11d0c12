"""Writing Asterisk Master.csv records: for test fixtures, the bench and the demo company.

Lines are written the way ``cdr_csv`` writes them (see the format notes): strings quoted
with ``"`` doubled inside, duration/billsec/sequence bare, an unanswered ``answer`` bare
and empty, times ``%Y-%m-%d %H:%M:%S`` on the PBX's clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from salespulse.lib.cdr import ASTERISK_LAYOUTS

_BARE = {"duration", "billsec", "sequence"}
DISPOSITION_TEXT = {
    "answered": "ANSWERED",
    "no_answer": "NO ANSWER",
    "busy": "BUSY",
    "failed": "FAILED",
    "congestion": "CONGESTION",
}


def _stamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def asterisk_line(record: Mapping[str, object], columns: int = 18) -> str:
    """One Master.csv line (no newline) for a record of cdr_csv field names."""
    out = []
    for name in ASTERISK_LAYOUTS[columns]:
        value = record.get(name, "")
        if isinstance(value, datetime):
            value = _stamp(value)
        text = str(value)
        if name in _BARE or (name == "answer" and text == ""):
            out.append(text)
        else:
            out.append('"' + text.replace('"', '""') + '"')
    return ",".join(out)


@dataclass
class Call:
    """A synthetic call: its CDR records (cdr_csv field names) in writing order."""

    records: list[dict[str, object]]


class Pbx:
    """A small model of an Asterisk PBX writing CDRs, with uniqueids and channel names."""

    def __init__(self, tz: tzinfo, seed: int = 1, host: str = "") -> None:
        self.tz = tz
        self.rng = random.Random(seed)
        self._channel = 0
        self._unique = 0
        self._sequence = 0
        self.host = host

    def _chan(self, tech: str, peer: str) -> str:
        self._channel += 1
        return f"{tech}/{peer}-{self._channel:08x}"

    def _uid(self, when: datetime) -> str:
        self._unique += 1
        prefix = f"{self.host}-" if self.host else ""
        return f"{prefix}{int(when.timestamp())}.{self._unique}"

    def _record(self, **fields: object) -> dict[str, object]:
        self._sequence += 1
        start = fields["start"]
        assert isinstance(start, datetime)
        answer = fields.get("answer")
        billsec = int(fields.pop("talk", 0))  # type: ignore[call-overload]
        ring = int(fields.pop("ring", 0))  # type: ignore[call-overload]
        end = (answer or start) + timedelta(seconds=billsec if answer else ring)  # type: ignore[operator]
        base = {
            "accountcode": "", "dcontext": "from-internal", "clid": "", "lastapp": "Dial",
            "lastdata": "", "amaflags": "DOCUMENTATION", "userfield": "", "peeraccount": "",
            "answer": "", "dstchannel": "",
        }  # fmt: skip
        base.update(fields)
        base.update(
            start=start,
            answer=answer or "",
            end=end,
            duration=int((end - start).total_seconds()),
            billsec=billsec if answer else 0,
            sequence=self._sequence,
        )
        return base

    def outbound(
        self, ext: str, number: str, start: datetime, talk: int | None, ring: int = 12
    ) -> Call:
        """The seller dials out through the trunk; talk=None: nobody picked up."""
        uid = self._uid(start)
        answer = start + timedelta(seconds=ring) if talk is not None else None
        record = self._record(
            src=ext, dst=number, clid=f'"{ext}" <{ext}>', channel=self._chan("SIP", ext),
            dstchannel=self._chan("SIP", "trunk-mts"), lastdata=f"SIP/trunk-mts/{number},60",
            start=start, answer=answer, talk=talk or 0, ring=ring,
            disposition="ANSWERED" if talk is not None else "NO ANSWER",
            uniqueid=uid, linkedid=uid,
        )  # fmt: skip
        return Call([record])

    def ring_group(
        self,
        number: str,
        exts: Sequence[str],
        answered_by: str | None,
        start: datetime,
        talk: int,
        ring: int = 8,
        tech: str = "PJSIP",
    ) -> Call:
        """An incoming call ringing several phones at once; one leg per phone."""
        uid = self._uid(start)
        trunk = self._chan("SIP", "trunk-mts")
        records = []
        for ext in exts:
            took = ext == answered_by
            records.append(
                self._record(
                    src=number,
                    dst="600",
                    clid=f'"{number}" <{number}>',
                    channel=trunk,
                    dstchannel=self._chan(tech, ext),
                    lastdata="PJSIP/101&PJSIP/102,30",
                    dcontext="from-trunk",
                    start=start,
                    answer=start + timedelta(seconds=ring) if took else None,
                    talk=talk if took else 0,
                    ring=ring,
                    disposition="ANSWERED" if took else "NO ANSWER",
                    uniqueid=uid,
                    linkedid=uid,
                )  # fmt: skip
            )
        # Missed legs are written when the answered one is picked up: before it.
        records.sort(key=lambda r: r["disposition"] == "ANSWERED")
        return Call(records)

    def queue_via_local(self, number: str, ext: str, start: datetime, talk: int) -> Call:
        """An incoming call through a queue that rings agents via Local channels."""
        uid = self._uid(start)
        answer = start + timedelta(seconds=5)
        local = f"Local/{ext}@from-queue-{self._channel + 1:08x}"
        first = self._record(
            src=number, dst="700", channel=self._chan("SIP", "trunk-mts"),
            dstchannel=local + ";1", lastapp="Queue", lastdata="700", dcontext="from-trunk",
            start=start, answer=answer, talk=talk, disposition="ANSWERED",
            uniqueid=uid, linkedid=uid,
        )  # fmt: skip
        second = self._record(
            src=number, dst=ext, channel=local + ";2", dstchannel=self._chan("SIP", ext),
            dcontext="from-queue", start=start + timedelta(seconds=1),
            answer=answer, talk=talk, disposition="ANSWERED",
            uniqueid=self._uid(start), linkedid=uid,
        )  # fmt: skip
        return Call([second, first])

    def transfer(
        self, number: str, first: str, second: str, start: datetime, talk1: int, talk2: int
    ) -> Call:
        """An incoming call answered by one seller and blind-transferred to another."""
        uid = self._uid(start)
        trunk = self._chan("SIP", "trunk-mts")
        answer = start + timedelta(seconds=4)
        legs = [
            self._record(
                src=number, dst=first, channel=trunk, dstchannel=self._chan("SIP", first),
                dcontext="from-trunk", start=start, answer=answer, talk=talk1,
                disposition="ANSWERED", uniqueid=uid, linkedid=uid,
            ),
            self._record(
                src=number, dst=second, channel=trunk, dstchannel=self._chan("SIP", second),
                dcontext="from-internal-xfer", start=answer + timedelta(seconds=talk1),
                answer=answer + timedelta(seconds=talk1 + 6), talk=talk2,
                disposition="ANSWERED", uniqueid=uid, linkedid=uid,
            ),
        ]  # fmt: skip
        return Call(legs)


def calls_for_figures(
    pbx: Pbx,
    ext: str,
    day: date,
    calls: int,
    conversations: int,
    talk_time: int,
    threshold: int = 15,
    first: time = time(9, 30),
) -> Iterator[Call]:
    """Outbound calls giving exactly these figures for one seller-day (the demo's KPIs).

    Conversations share the talk time (each longer than the threshold); the other calls
    go unanswered. Raises ValueError when the figures cannot all be true at once.
    """
    if not 0 <= conversations <= calls:
        raise ValueError("conversations must be between 0 and calls")
    if conversations and talk_time < conversations * (threshold + 1):
        raise ValueError("talk time too short for that many conversations")
    if not conversations and talk_time:
        raise ValueError("talk time without conversations")
    rng = pbx.rng
    talks = [threshold + 1] * conversations
    rest = talk_time - sum(talks)
    for i in range(conversations):
        share = rest // (conversations - i) if i < conversations - 1 else rest
        share = min(share, rest)
        extra = rng.randint(0, share) if i < conversations - 1 else share
        talks[i] += extra
        rest -= extra
    kinds = [True] * conversations + [False] * (calls - conversations)
    rng.shuffle(kinds)
    moment = datetime.combine(day, first, tzinfo=pbx.tz)
    talk_iter = iter(talks)
    for answered in kinds:
        number = "79" + "".join(str(rng.randint(0, 9)) for _ in range(9))
        talk = next(talk_iter) if answered else None
        yield pbx.outbound(ext, number, moment, talk)
        moment += timedelta(seconds=(talk or 0) + 15 + rng.randint(0, 60))
