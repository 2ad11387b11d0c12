"""Reading call records: table rows -> `Leg`s (or `Rejected` rows), one per PBX row.

A row's identity is the row itself: two rows are one leg only when every field is equal,
or when the PBX's own row id (a mapped ``id`` column) is. ``uniqueid`` names the caller's
channel, which every leg of a ring group, a trunk failover or a forked CDR shares: it
groups legs into calls, it never tells rows apart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from salespulse.lib.cdr.layouts import (
    ALIASES,
    ASTERISK_LAYOUTS,
    FORMATS,
    FREEPBX_LAYOUTS,
    MAPPING_FIELDS,
    STOCK_TEMPLATES,
    Layout,
    detect,
    looks_like_header,
    parse_template,
)
from salespulse.lib.tabular import (
    Row,
    TabularError,
    gettext_noop,
    map_columns,
    normalize_header,
    parse_datetime,
    parse_duration,
)

# Disposition as written by the PBX (or a cloud PBX export, casefolded) -> ours.
_DISPOSITIONS = {
    "answered": "answered", "no answer": "no_answer", "busy": "busy", "failed": "failed",
    "congestion": "congestion",
    # FreeSWITCH hangup causes (an answered leg is recognised by its answer time first)
    "normal_clearing": "answered", "no_answer": "no_answer", "no_user_response": "no_answer",
    "originator_cancel": "no_answer", "allotted_timeout": "no_answer", "user_busy": "busy",
    "call_rejected": "busy", "normal_circuit_congestion": "congestion",
    "switch_congestion": "congestion",
    # cloud PBX and dialler exports
    "отвечен": "answered", "отвечено": "answered", "принят": "answered", "успешный": "answered",
    "успешно": "answered", "разговор": "answered", "answer": "answered", "success": "answered",
    "не отвечен": "no_answer", "нет ответа": "no_answer", "пропущен": "no_answer",
    "пропущенный": "no_answer", "не дозвонился": "no_answer", "missed": "no_answer",
    "noanswer": "no_answer", "no-answer": "no_answer", "занято": "busy", "занят": "busy",
    "ошибка": "failed", "неудачный": "failed", "отклонен": "busy", "cancel": "no_answer",
}  # fmt: skip

_DIRECTIONS = {
    "out": "outbound", "outbound": "outbound", "outgoing": "outbound", "исходящий": "outbound",
    "исходящие": "outbound", "исх": "outbound", "исх.": "outbound",
    "in": "inbound", "inbound": "inbound", "incoming": "inbound", "входящий": "inbound",
    "входящие": "inbound", "вх": "inbound", "вх.": "inbound",
    "internal": "internal", "local": "internal", "внутренний": "internal",
    "внутренние": "internal",
}  # fmt: skip

# A call longer than a day is a PBX fault (a channel stuck up), not a conversation.
MAX_DURATION = 24 * 3600
# Before this, the PBX clock was not set (1970 is the classic sign).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Rows read before the layout of a file is decided ("detect").
DETECT_ROWS = 20


@dataclass(slots=True)
class Leg:
    """One CDR row: one leg of a call, as the PBX saw it (times aware, in UTC)."""

    line: int
    external_id: str
    call_key: str
    start: datetime
    end: datetime
    answer: datetime | None
    duration: int
    billsec: int
    disposition: str
    src: str = ""
    dst: str = ""
    channel: str = ""
    dstchannel: str = ""
    agent: str = ""  # an explicit agent column (mapped CSV)
    direction: str = ""  # an explicit direction column (mapped CSV)
    link: str = ""  # FreeSWITCH bleg_uuid: the other leg of the same call
    dcontext: str = ""
    lastapp: str = ""
    raw: list[str] = field(default_factory=list)
    # (caller peer, caller is Local, callee peer, callee is Local), once parsed
    peers: tuple[str, bool, str, bool] | None = None

    @property
    def answered(self) -> bool:
        return self.disposition == "answered"


@dataclass(slots=True)
class Rejected:
    """A row that could not be read, with a msgid and its parameters (see tabular)."""

    line: int
    message: str
    params: dict[str, object]

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


def row_hash(cells: Sequence[str]) -> str:
    """The row's fingerprint: equal only for rows equal in every field."""
    return hashlib.blake2b("\x1f".join(cells).encode(), digest_size=12).hexdigest()


def hashed_id(minute: str, cells: Sequence[str]) -> str:
    # The UTC minute leads the id: a PBX writes rows in time order, so new ids land at
    # the end of the unique index instead of all over it (telephony migration 0003).
    return "h:" + minute + row_hash(cells)


_ASTERISK_ID = re.compile(r"(?:[\w.-]+-)?\d+\.\d+")


class LegReader:
    """Turns table rows into `Leg`s and `Rejected` rows for one source's settings.

    `fmt` is one of FORMATS ("detect": the layout is recognised from the first rows and
    named in `layout`); `template` the saved column order of a template-driven file
    (None: the stock one); `mapping` field -> header name(s) for a file with a header
    (merged over MAPPING_FIELDS); `tz` the PBX's clock for times written without an
    offset; `now` bounds dates from the future.
    """

    def __init__(
        self,
        fmt: str,
        tz: tzinfo,
        *,
        template: Sequence[str] | str | None = None,
        mapping: Mapping[str, str | Sequence[str]] | None = None,
        now: datetime | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.fmt = fmt
        self.tz = tz
        self.latest = (now or datetime.now(UTC)) + timedelta(days=1)
        self.layout = ""  # what the rows were read as, once known
        self.template: list[str] | None = None
        if fmt in ("asterisk-custom", "freeswitch"):
            if isinstance(template, str) and template.strip():
                self.template = parse_template(template)
            elif template and not isinstance(template, str):
                self.template = [ALIASES.get(n, n) for n in template]
            else:
                self.template = [ALIASES.get(n, n) for n in STOCK_TEMPLATES[fmt]]
        self.mapping: dict[str, list[str]] = {k: list(v) for k, v in MAPPING_FIELDS.items()}
        for key, names in (mapping or {}).items():
            self.mapping[key] = [names] if isinstance(names, str) else list(names)
        self._columns: dict[str, int] | None = None
        self._nulls = fmt in ("freepbx", "csv")
        # FreeSWITCH a-leg/b-leg links seen so far: uuid -> the call's key.
        self._fs_keys: dict[str, str] = {}
        self._times: dict[str, datetime] = {}
        self._minutes: dict[float, str] = {}

    # The one entry point.
    def legs(self, rows: Iterable[Row]) -> Iterator[Leg | Rejected]:
        rows = iter(rows)
        if self.fmt == "detect":
            sample = []
            for row in rows:
                sample.append(row)
                if len(sample) >= DETECT_ROWS:
                    break
            if not sample:
                return
            self._use(detect([cells for _line, cells in sample]))
            rows = _chain(sample, rows)
        for line, cells in rows:
            try:
                record = self._record(line, cells)
                if record is None:
                    continue
                yield self._leg(line, cells, record)
            except TabularError as e:
                yield Rejected(line, e.message, e.params)

    def _use(self, layout: Layout) -> None:
        self.fmt = layout.fmt
        self.layout = layout.name
        self._nulls = layout.fmt in ("freepbx", "csv")
        if layout.fmt in ("asterisk-custom", "freeswitch"):
            self.template = list(layout.columns)

    def _record(self, line: int, cells: list[str]) -> dict[str, str] | None:
        if self.fmt == "asterisk":
            layout = ASTERISK_LAYOUTS.get(len(cells))
            if layout is None:
                raise TabularError(
                    gettext_noop(
                        "This row has %(count)d columns; an Asterisk Master.csv row has "
                        "16, 17, 18 or 21."
                    ),
                    count=len(cells),
                )
            if line == 1 and cells[9].strip().lower() == "start":
                return None  # someone added a header row
            if not self.layout:
                self.layout = f"Asterisk Master.csv ({len(cells)} columns)"
            return dict(zip(layout, cells, strict=True))
        if self.fmt == "freepbx" and self._columns is None:
            layout = FREEPBX_LAYOUTS.get(len(cells))
            if layout is None:
                if self._columns is None and looks_like_header(cells):
                    self.fmt = "csv"  # exported with its header: read by the names
                    return self._record(line, cells)
                raise TabularError(
                    gettext_noop(
                        "This row has %(count)d columns; a FreePBX cdr table row has "
                        "23, 24, 26 or 27."
                    ),
                    count=len(cells),
                )
            if line == 1 and looks_like_header(cells):
                self.fmt = "csv"
                return self._record(line, cells)
            if not self.layout:
                self.layout = f"FreePBX/Issabel cdr table ({len(cells)} columns, no header)"
            return {k: "" if v == "NULL" else v for k, v in zip(layout, cells, strict=True)}
        if self.template is not None and self.fmt != "csv":
            if len(cells) != len(self.template):
                if line == 1 and normalize_header(cells[0]) in (
                    normalize_header(self.template[0]),
                    "caller_id_name",
                ):
                    return None
                raise TabularError(
                    gettext_noop(
                        "This row has %(count)d columns; the template of this source has "
                        "%(expected)d."
                    ),
                    count=len(cells),
                    expected=len(self.template),
                )
            record = dict(zip(self.template, cells, strict=True))
            if line == 1 and normalize_header(record.get("start", "")) in ("start", "start_stamp"):
                return None
            if not self.layout:
                self.layout = f"{self.fmt} ({len(cells)} columns)"
            return record
        # A file with a header row: read by its names.
        if self._columns is None:
            self._columns = map_columns(cells, self.mapping, required=["start"])
            if "duration" not in self._columns and "billsec" not in self._columns:
                if "end" not in self._columns:
                    raise TabularError(
                        gettext_noop(
                            "No duration column: map one of duration, talk time or end time."
                        )
                    )
            if not self.layout:
                self.layout = "CSV with a header row"
            return None
        if self._nulls:
            return {
                name: ("" if (v := cells[i] if i < len(cells) else "") == "NULL" else v)
                for name, i in self._columns.items()
            }
        return {name: cells[i] if i < len(cells) else "" for name, i in self._columns.items()}

    def _time(self, record: dict[str, str], name: str, required: bool) -> datetime | None:
        text = record.get(name, "").strip()
        # Start, answer and end times repeat across legs and rows: parse each text once.
        if (cached := self._times.get(text)) is not None:
            return cached
        if not text:
            if required:
                raise TabularError(gettext_noop("The %(field)s time is missing."), field=name)
            return None
        try:
            moment = parse_datetime(text, self.tz)
        except TabularError as e:
            raise TabularError(
                gettext_noop("The %(field)s time '%(value)s' is not a date and time."),
                field=name,
                value=text[:40],
            ) from e
        moment = moment.astimezone(UTC)
        if len(self._times) > 50_000:
            self._times.clear()
        self._times[text] = moment
        return moment

    def _minute(self, moment: datetime) -> str:
        """The start cut to the minute, for the row's id (legs of a minute share it)."""
        key = moment.timestamp() // 60
        text = self._minutes.get(key)
        if text is None:
            if len(self._minutes) > 50_000:
                self._minutes.clear()
            text = self._minutes[key] = moment.strftime("%Y%m%d%H%M")
        return text

    def _seconds(self, record: dict[str, str], name: str) -> int | None:
        text = record.get(name, "").strip()
        if text.isdigit():
            seconds = int(text)
            if seconds <= MAX_DURATION:
                return seconds
        if not text:
            return None
        try:
            seconds = parse_duration(text)
        except TabularError as e:
            if text[:1] in ("-", "\u2212"):
                raise TabularError(
                    gettext_noop("Negative %(field)s: %(value)s."), field=name, value=text[:20]
                ) from e
            raise TabularError(
                gettext_noop("The %(field)s '%(value)s' is not a number of seconds."),
                field=name,
                value=text[:20],
            ) from e
        if seconds > MAX_DURATION:
            raise TabularError(
                gettext_noop("A %(field)s of %(value)s s is longer than a day."),
                field=name,
                value=seconds,
            )
        return seconds

    def _leg(self, line: int, cells: list[str], record: dict[str, str]) -> Leg:
        start = self._time(record, "start", required=True)
        assert start is not None
        answer = self._time(record, "answer", required=False)
        end = self._time(record, "end", required=False)
        duration = self._seconds(record, "duration")
        billsec = self._seconds(record, "billsec")
        if duration is None:
            if end is not None:
                duration = int((end - start).total_seconds())
            else:
                duration = billsec or 0
        if end is None:
            end = start + timedelta(seconds=duration)
        if end < start:
            raise TabularError(gettext_noop("The call ends before it starts."))
        if billsec is None:
            billsec = int((end - answer).total_seconds()) if answer else 0
        # Excel-resaved times lose their seconds, so allow a minute of slack.
        if billsec > duration + 60 and "duration" in record:
            raise TabularError(
                gettext_noop("Talk time (%(billsec)s s) is longer than the call (%(duration)s s)."),
                billsec=billsec,
                duration=duration,
            )
        if start < EARLIEST:
            raise TabularError(
                gettext_noop("The date %(date)s is too far in the past: is the PBX clock set?"),
                date=start.date().isoformat(),
            )
        if start > self.latest:
            raise TabularError(
                gettext_noop("The date %(date)s is in the future."), date=start.date().isoformat()
            )
        disposition = self._disposition(record.get("disposition", ""), answer, billsec)
        leg = Leg(
            line=line,
            external_id="",
            call_key="",
            start=start,
            end=end,
            answer=answer,
            duration=duration,
            billsec=billsec,
            disposition=disposition,
            src=record.get("src", "").strip(),
            dst=record.get("dst", "").strip(),
            channel=record.get("channel", "").strip(),
            dstchannel=record.get("dstchannel", "").strip(),
            agent=record.get("agent", "").strip(),
            direction=_DIRECTIONS.get(record.get("direction", "").strip().casefold(), ""),
            link=record.get("bleg", "").strip(),
            dcontext=record.get("dcontext", "").strip(),
            lastapp=record.get("lastapp", "").strip(),
            raw=cells,
        )
        self._identify(leg, record)
        return leg

    @staticmethod
    def _disposition(text: str, answer: datetime | None, billsec: int) -> str:
        key = text.strip().casefold()
        known = _DISPOSITIONS.get(key)
        if known is None and key.startswith("answered"):
            known = "answered"
        if answer is not None and billsec > 0:
            return "answered"  # FreeSWITCH: NORMAL_CLEARING ends answered and missed calls
        if known == "answered" and answer is None and billsec == 0 and key not in ("answered",):
            return "no_answer"
        if known:
            return known
        # An unknown status must not lose the row: talk time decides.
        return "answered" if billsec > 0 else "no_answer"

    def _identify(self, leg: Leg, record: dict[str, str]) -> None:
        """Set the leg's external id (idempotency) and call key (grouping)."""
        get = record.get
        own = get("id", "")  # only a file with a header names an id column
        if own:
            own = own.strip()
        leg.external_id = own or "h:" + self._minute(leg.start) + row_hash(leg.raw)
        uniqueid = get("uniqueid", "").strip()
        if self.fmt == "freeswitch" or (leg.link and uniqueid):
            uuid = uniqueid or leg.external_id
            key = self._fs_keys.get(uuid) or self._fs_keys.get(leg.link) or uuid
            if len(self._fs_keys) > 200_000:
                # b-legs are written within seconds of their a-leg: forget the old links.
                self._fs_keys.clear()
            self._fs_keys[uuid] = key
            if leg.link:
                self._fs_keys[leg.link] = key
            leg.call_key = key
            return
        linkedid = get("call_id", "").strip() or get("linkedid", "").strip()
        if self.fmt == "csv":
            leg.call_key = linkedid or uniqueid or own or leg.external_id
            return
        # An id Excel has turned into a number ("1706368044" or "1706368044,1") no longer
        # tells calls apart: each leg is then its own call rather than calls merging.
        key = linkedid if _ASTERISK_ID.fullmatch(linkedid) else ""
        if not key and _ASTERISK_ID.fullmatch(uniqueid):
            key = uniqueid
        leg.call_key = key or leg.external_id


def _chain(first: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from first
    yield from rest
