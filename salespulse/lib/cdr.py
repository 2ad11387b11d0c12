"""Call detail records: from PBX rows to call legs, from legs to calls, from calls to KPIs.

Plain Python, no Django. Three steps, each a function of its input:

1. `LegReader` turns table rows (see `salespulse.lib.tabular`) into `Leg`s or `Rejected`
   rows: Asterisk ``cdr_csv`` Master.csv (16, 17, 18 or 21 columns), template-driven files
   (Asterisk ``cdr_custom``, FreeSWITCH ``mod_cdr_csv``) and any CSV/XLSX with a column
   mapping and a header row.
2. `attribute` finds the seller on a leg (extension, SIP/PJSIP peer, login, phone number)
   and the direction of the call for them.
3. `day_figures` counts a seller's calls on a local day by the rules in the README
   ("Telephony"): legs are grouped into calls, so a ring group or a Local channel hop is
   one call, and talk time is the union of the seller's talk intervals in a call.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from salespulse.lib.tabular import (
    Row,
    TabularError,
    gettext_noop,
    map_columns,
    normalize_header,
    parse_datetime,
    parse_duration,
)

__all__ = [
    "ASTERISK_LAYOUTS",
    "FORMATS",
    "STOCK_TEMPLATES",
    "DayFigures",
    "FactLeg",
    "Leg",
    "LegReader",
    "Rejected",
    "attribute",
    "channel_peer",
    "day_figures",
    "parse_template",
]

FORMATS = ("asterisk", "asterisk-custom", "freeswitch", "csv")

_CDR_CSV_16 = [
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
]  # fmt: skip
# Asterisk cdr_csv writes no header; the column count tells which options were on
# (loguniqueid, loguserfield, newcdrcolumns).
ASTERISK_LAYOUTS: dict[int, list[str]] = {
    16: _CDR_CSV_16,
    17: [*_CDR_CSV_16, "uniqueid"],
    18: [*_CDR_CSV_16, "uniqueid", "userfield"],
    21: [*_CDR_CSV_16, "uniqueid", "userfield", "peeraccount", "linkedid", "sequence"],
}

# The templates PBXs ship with; a source may save its own (see `parse_template`).
STOCK_TEMPLATES: dict[str, list[str]] = {
    # cdr_custom.conf.sample, the Master.csv mapping
    "asterisk-custom": [
        "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
        "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
        "accountcode", "uniqueid", "userfield", "sequence",
    ],
    # cdr_csv.conf.xml, template "example" (the default)
    "freeswitch": [
        "caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp",
        "answer_stamp", "end_stamp", "duration", "billsec", "hangup_cause", "uuid",
        "bleg_uuid", "accountcode", "read_codec", "write_codec",
    ],
}  # fmt: skip

# FreeSWITCH variable names read as their Asterisk counterparts.
_ALIASES = {
    "caller_id_number": "src",
    "destination_number": "dst",
    "context": "dcontext",
    "start_stamp": "start",
    "answer_stamp": "answer",
    "end_stamp": "end",
    "caller_id_name": "clid",
    "hangup_cause": "disposition",
    "uuid": "uniqueid",
    "bleg_uuid": "bleg",
    "calldate": "start",
}

# What a column mapping ("csv" format) may name, with the headers accepted by default:
# the usual ones of Russian cloud PBXs and diallers, so a mapping is often not needed.
MAPPING_FIELDS: dict[str, list[str]] = {
    "start": ["start", "calldate", "Дата и время", "Время начала", "Начало", "Дата звонка",
              "Время звонка", "Дата", "Date", "Start time"],
    "answer": ["answer", "Время ответа", "Ответ в"],
    "end": ["end", "Время окончания", "Окончание", "End time"],
    "duration": ["duration", "Длительность", "Длительность звонка", "Общая длительность",
                 "Duration"],
    "billsec": ["billsec", "Длительность разговора", "Время разговора", "Разговор",
                "Talk time", "Talk"],
    "disposition": ["disposition", "Статус", "Статус звонка", "Результат", "Status"],
    "agent": ["agent", "Сотрудник", "Оператор", "Менеджер", "Ответственный", "Внутренний номер",
              "Extension", "Agent", "Employee"],
    "src": ["src", "Кто звонил", "Откуда", "Номер звонящего", "Звонящий", "From", "Caller"],
    "dst": ["dst", "Куда звонил", "Куда", "Номер назначения", "Кому", "To", "Callee"],
    "direction": ["direction", "Направление", "Тип звонка", "Тип", "Direction", "Type"],
    "call_id": ["call_id", "linkedid", "ID звонка", "Идентификатор звонка", "Call ID"],
    "id": ["id", "uniqueid", "ID", "ID записи", "Record ID"],
    "channel": ["channel", "Канал"],
    "dstchannel": ["dstchannel", "Канал назначения"],
}  # fmt: skip

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
    raw: list[str] = field(default_factory=list)

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


# --- templates -------------------------------------------------------------------------

_TEMPLATE_VAR = re.compile(r"\$\{(?:CSV_QUOTE\(\$\{)?(?:CDR\()?([A-Za-z_][A-Za-z0-9_]*)")


def parse_template(text: str) -> list[str]:
    """Field names of a saved template, in column order.

    Takes the template line itself, as in cdr_custom.conf
    (``${CSV_QUOTE(${CDR(clid)})},${CDR(sequence)}``) or cdr_csv.conf.xml
    (``"${caller_id_name}","${uuid}"``), or a plain comma-separated list of names.
    """
    text = text.strip()
    if "=>" in text:  # the whole cdr_custom.conf line "Master.csv => ..."
        text = text.split("=>", 1)[1]
    if "${" in text:
        names = _TEMPLATE_VAR.findall(text)
    else:
        names = [n.strip().strip('"') for n in re.split(r"[,;\t\n]", text) if n.strip()]
    if not names:
        raise TabularError(gettext_noop("The template names no columns."))
    return [_ALIASES.get(n.lower(), n.lower()) for n in names]


# --- channels --------------------------------------------------------------------------

_TECH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def channel_peer(channel: str) -> tuple[str, bool]:
    """The peer of a channel name, and whether it is a Local channel (a dialplan hop).

    ``SIP/101-0000001a`` -> ``("101", False)``; ``PJSIP/ivanov-00000003`` -> ``("ivanov",
    False)``; ``Local/101@from-queue-00000012;2`` -> ``("101", True)``; ``""`` -> ``("", False)``.
    A channel name is ``TECH/rest`` (TECH of ASCII letters, digits and ``_``); anything
    else names no peer. Plain string work, no regex: it runs twice for every CDR row.
    """
    channel = channel.strip()
    slash = channel.find("/")
    if slash <= 0 or slash == len(channel) - 1 or "\n" in channel:
        return "", False
    tech = channel[:slash]
    if not _TECH_CHARS.issuperset(tech):
        return "", False
    rest = channel[slash + 1 :]
    if tech.lower() == "local":
        return rest.split("@", 1)[0], True
    # The suffix after the last "-" is the channel's sequence number, not part of the peer
    # (peers may themselves contain "-", e.g. "trunk-mts-0000001a").
    peer = rest.rsplit("-", 1)[0] if "-" in rest else rest
    return peer.split("/", 1)[0], False


_PHONE_JUNK = re.compile(r"[\s()\-+.]")


def phone_key(number: str) -> str:
    """A phone number as a lookup key: digits only, Russian ``8XXXXXXXXXX`` as ``7XXXXXXXXXX``."""
    # Most keys are already bare digits (an extension, a number as the PBX wrote it).
    digits = number if number.isdigit() else _PHONE_JUNK.sub("", number)
    if len(digits) == 11 and digits[0] == "8" and digits.isdigit():
        return "7" + digits[1:]
    return digits


# --- rows to legs ----------------------------------------------------------------------


_ASTERISK_ID = re.compile(r"(?:[\w.-]+-)?\d+\.\d+")


def _hash(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


class LegReader:
    """Turns table rows into `Leg`s and `Rejected` rows for one source's settings.

    `fmt` is one of FORMATS; `template` the saved column order of a template-driven file
    (None: the stock one); `mapping` field -> header name(s) for "csv" (merged over
    MAPPING_FIELDS); `tz` the PBX's clock for times written without an offset; `now`
    bounds dates from the future.
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
        self.template: list[str] | None = None
        if fmt in ("asterisk-custom", "freeswitch"):
            if isinstance(template, str) and template.strip():
                self.template = parse_template(template)
            elif template and not isinstance(template, str):
                self.template = [_ALIASES.get(n, n) for n in template]
            else:
                self.template = [_ALIASES.get(n, n) for n in STOCK_TEMPLATES[fmt]]
        self.mapping: dict[str, list[str]] = {k: list(v) for k, v in MAPPING_FIELDS.items()}
        for key, names in (mapping or {}).items():
            self.mapping[key] = [names] if isinstance(names, str) else list(names)
        self._columns: dict[str, int] | None = None
        # FreeSWITCH a-leg/b-leg links seen so far: uuid -> the call's key.
        self._fs_keys: dict[str, str] = {}
        self._times: dict[str, datetime] = {}
        self._minutes: dict[float, str] = {}

    # The one entry point.
    def legs(self, rows: Iterable[Row]) -> Iterator[Leg | Rejected]:
        for line, cells in rows:
            try:
                record = self._record(line, cells)
                if record is None:
                    continue
                yield self._leg(line, cells, record)
            except TabularError as e:
                yield Rejected(line, e.message, e.params)

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
            return dict(zip(layout, cells, strict=True))
        if self.template is not None:
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
            return record
        # A mapped CSV/XLSX: the first row is the header.
        if self._columns is None:
            self._columns = map_columns(cells, self.mapping, required=["start"])
            if "duration" not in self._columns and "billsec" not in self._columns:
                if "end" not in self._columns:
                    raise TabularError(
                        gettext_noop(
                            "No duration column: map one of duration, talk time or end time."
                        )
                    )
            return None
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
        src = record.get("src", "").strip()
        dst = record.get("dst", "").strip()
        channel = record.get("channel", "").strip()
        dstchannel = record.get("dstchannel", "").strip()
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
            src=src,
            dst=dst,
            channel=channel,
            dstchannel=dstchannel,
            agent=record.get("agent", "").strip(),
            direction=_DIRECTIONS.get(record.get("direction", "").strip().casefold(), ""),
            link=record.get("bleg", "").strip(),
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
        uniqueid = record.get("uniqueid", "").strip()
        linkedid = record.get("linkedid", "").strip()
        if self.fmt == "freeswitch":
            uuid = uniqueid or _hash(*leg.raw)
            leg.external_id = uuid
            key = self._fs_keys.get(uuid) or self._fs_keys.get(leg.link) or uuid
            if len(self._fs_keys) > 200_000:
                # b-legs are written within seconds of their a-leg: forget the old links.
                self._fs_keys.clear()
            self._fs_keys[uuid] = key
            if leg.link:
                self._fs_keys[leg.link] = key
            leg.call_key = key
            return
        if self.fmt == "csv":
            own = record.get("id", "").strip()
            minute = self._minute(leg.start)
            leg.external_id = own or "h:" + minute + _hash(
                minute, leg.agent, leg.src, leg.dst,
                str(leg.duration), str(leg.billsec), leg.disposition, leg.direction,
            )  # fmt: skip
            leg.call_key = record.get("call_id", "").strip() or own or leg.external_id
            return
        # Asterisk: uniqueid names a channel, not a row (every leg of a ring group shares
        # the caller's), and Excel mangles it ("1706368044.10" -> "1706368044.1"). So the
        # row's id is a hash of what survives a re-save: channel names carry their own
        # unique suffix, and times are cut to the minute because Excel drops seconds.
        # The minute leads the id as well: a PBX writes rows in time order, so new ids
        # land at the end of the unique index instead of at random places in it, which
        # keeps imports fast as the table grows (see the telephony migration 0003).
        minute = self._minute(leg.start)
        leg.external_id = "h:" + minute + _hash(
            leg.src, leg.dst, leg.channel, leg.dstchannel, record.get("lastapp", "").strip(),
            minute, str(leg.duration), str(leg.billsec),
            leg.disposition,
        )  # fmt: skip
        # An id Excel has turned into a number ("1706368044" or "1706368044,1") no longer
        # tells calls apart: each leg is then its own call rather than calls merging.
        key = linkedid if _ASTERISK_ID.fullmatch(linkedid) else ""
        if not key and _ASTERISK_ID.fullmatch(uniqueid):
            key = uniqueid
        leg.call_key = key or leg.external_id


# --- attribution -----------------------------------------------------------------------

Lookup = Callable[[str], int | None]  # key (extension, login, phone) -> employee id


@dataclass(slots=True, frozen=True)
class Attribution:
    employee_id: int | None
    agent: str  # the key that matched, or an unmapped agent-looking key ("" for none)
    direction: str  # outbound | inbound | internal | "" (unknown)


def _resolve(lookup: Lookup, *keys: str) -> tuple[int | None, str]:
    for key in keys:
        if not key:
            continue
        if (found := lookup(key)) is not None:
            return found, key
        phone = phone_key(key)
        if phone != key and phone and (found := lookup(phone)) is not None:
            return found, key
    return None, ""


def attribute(leg: Leg, lookup: Lookup, extension: re.Pattern[str]) -> Attribution:
    """Who of our sellers is on this leg, and which way the call went for them.

    The caller side is the channel (else src), the callee side the dstchannel (else dst).
    A seller on the caller side made the call (outbound), on the callee side took it
    (inbound); both sides internal makes it internal. A Local channel is a dialplan hop:
    it names the seller it leads to but says nothing about where the call came from.
    `extension` tells an unmapped agent (listed for the admin) from a trunk or a number.
    """
    caller_peer, caller_local = channel_peer(leg.channel)
    callee_peer, callee_local = channel_peer(leg.dstchannel)

    if leg.agent:
        employee, key = _resolve(lookup, leg.agent)
        direction = leg.direction
        if not direction and leg.agent in (leg.src, caller_peer):
            direction = "outbound"
        elif not direction and leg.agent in (leg.dst, callee_peer):
            direction = "inbound"
        return Attribution(employee, key or leg.agent, direction)

    caller, caller_key = _resolve(lookup, caller_peer, leg.src)
    callee, callee_key = _resolve(lookup, callee_peer, leg.dst)

    def internal(peer: str, is_local: bool, number: str, found: int | None) -> bool:
        if found is not None and not is_local:
            return True
        key = number if (is_local or not peer) else peer
        return bool(key) and extension.fullmatch(key) is not None

    if caller is not None and (callee is None or callee == caller):
        if callee == caller and caller_local:
            # Local/101@…;2 -> SIP/101: the hop into the seller's phone, an incoming leg.
            other_internal = bool(leg.src) and extension.fullmatch(leg.src) is not None
            return Attribution(caller, callee_key, "internal" if other_internal else "inbound")
        other_internal = internal(callee_peer, callee_local, leg.dst, callee)
        if leg.direction:
            return Attribution(caller, caller_key, leg.direction)
        return Attribution(caller, caller_key, "internal" if other_internal else "outbound")
    if callee is not None and caller is None:
        other_internal = internal(caller_peer, caller_local, leg.src, None)
        if leg.direction:
            return Attribution(callee, callee_key, leg.direction)
        return Attribution(callee, callee_key, "internal" if other_internal else "inbound")
    if caller is not None and callee is not None:
        # Two different sellers: a call between colleagues, counted for the one who called.
        return Attribution(caller, caller_key, "internal")
    # Nobody we know: list the side that looks like a person's extension, if any.
    for peer, is_local, number in (
        (callee_peer, callee_local, leg.dst),
        (caller_peer, caller_local, leg.src),
    ):
        for key in (peer, number) if not is_local else (peer,):
            if key and extension.fullmatch(key):
                return Attribution(None, key, "")
    return Attribution(None, "", leg.direction)


# --- counting --------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class FactLeg:
    """What counting needs of a stored leg."""

    employee_id: int
    day: date
    call_key: str
    direction: str
    answered: bool
    talk_start: datetime  # answer time, or end - billsec when the answer time is unknown
    billsec: int
    counts: bool = True  # the source counts calls in this direction


@dataclass(slots=True)
class DayFigures:
    calls: int = 0
    answered_calls: int = 0
    conversations: int = 0
    talk_time: int = 0

    def as_kpis(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "answered_calls": self.answered_calls,
            "conversations": self.conversations,
            "talk_time": self.talk_time,
        }


def talk_union(intervals: Iterable[tuple[datetime, int]]) -> int:
    """Seconds covered by (start, seconds) intervals: overlapping legs count once."""
    total = 0
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, seconds in sorted(intervals):
        end = start + timedelta(seconds=seconds)
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += int((current_end - current_start).total_seconds())
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += int((current_end - current_start).total_seconds())
    return total


# Directions in which the seller made the call ("": the source does not say).
_MADE = frozenset(("outbound", "internal", ""))


def day_figures(
    legs: Iterable[FactLeg], threshold: Callable[[int], int]
) -> dict[tuple[int, date], DayFigures]:
    """Per (seller, local day): calls, answered calls, conversations and talk time.

    A seller's legs with the same call key on a day are one call. It counts when its
    direction is counted by the source and the seller made it (answered or not) or
    answered it; a ring that the seller missed is not their call. The call's talk is the
    union of the seller's talk intervals in it, so legs that overlap (a Local channel hop
    writes the same conversation twice) count once; talk time is the sum over the day's
    calls, and a conversation is a call whose talk exceeds the seller's department
    threshold (`threshold(employee_id)`).
    """
    calls: dict[tuple[int, date, str], list[FactLeg]] = {}
    for leg in legs:
        calls.setdefault((leg.employee_id, leg.day, leg.call_key), []).append(leg)
    result: dict[tuple[int, date], DayFigures] = {}
    limits: dict[int, int] = {}
    for (employee, day, _key), parts in calls.items():
        figures = result.setdefault((employee, day), DayFigures())
        if len(parts) == 1:  # most calls: one leg, whose talk is its billsec
            only = parts[0]
            answered = only.answered
            if not only.counts or not (answered or only.direction in _MADE):
                continue
            talk = only.billsec
        else:
            answered = any(p.answered for p in parts)
            made = any(p.direction in _MADE for p in parts)
            if not any(p.counts for p in parts) or not (made or answered):
                continue
            talk = talk_union((p.talk_start, p.billsec) for p in parts if p.answered)
        figures.calls += 1
        if answered:
            figures.answered_calls += 1
            figures.talk_time += talk
            limit = limits.get(employee)
            if limit is None:
                limit = limits[employee] = threshold(employee)
            if talk > limit:
                figures.conversations += 1
    return result
