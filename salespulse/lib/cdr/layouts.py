"""The column layouts of PBX call records, and telling them apart by their content.

A layout says which field each column holds. Headerless files (Asterisk ``cdr_csv``
Master.csv, a FreePBX/Issabel ``cdr`` table exported without its header, the stock
``cdr_custom`` and FreeSWITCH ``mod_cdr_csv`` templates) are recognised by their column
count and by where a date and the durations sit; a file with a header row is read by its
header names, in any column order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from salespulse.lib.tabular import TabularError, gettext_noop, normalize_header, parse_datetime

# "detect" reads the file to choose one of the others.
FORMATS = ("detect", "asterisk", "freepbx", "asterisk-custom", "freeswitch", "csv")

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

# FreePBX's asteriskcdrdb.cdr in table order (calldate first, no answer or end time).
_FREEPBX_23 = [
    "start", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
    "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield",
    "did", "recordingfile", "cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam",
]  # fmt: skip
_FREEPBX_26 = [*_FREEPBX_23, "linkedid", "peeraccount", "sequence"]
# Exports by DB tools often add one column (a trailing separator, or a column of the
# admin's own): 24 and 27 are 23 and 26 with it.
FREEPBX_LAYOUTS: dict[int, list[str]] = {
    23: _FREEPBX_23,
    24: [*_FREEPBX_23, "extra"],
    26: _FREEPBX_26,
    27: [*_FREEPBX_26, "extra"],
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

# FreeSWITCH variable names (and the FreePBX table's calldate) read as Asterisk's.
ALIASES = {
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

# What a header row may name, with the headers accepted by default: the Asterisk and
# FreePBX column names and the usual ones of Russian cloud PBXs and diallers, so a
# mapping is often not needed. `id` is a row id of the PBX's own (one per row); a
# `uniqueid` names the caller's channel, which every leg of a ring group shares, so it
# groups legs into calls but never tells rows apart.
MAPPING_FIELDS: dict[str, list[str]] = {
    "start": ["start", "calldate", "start_stamp", "Дата и время", "Время начала", "Начало",
              "Дата звонка", "Время звонка", "Дата", "Date", "Start time"],
    "answer": ["answer", "answer_stamp", "Время ответа", "Ответ в"],
    "end": ["end", "end_stamp", "Время окончания", "Окончание", "End time"],
    "duration": ["duration", "Длительность", "Длительность звонка", "Общая длительность",
                 "Duration"],
    "billsec": ["billsec", "Длительность разговора", "Время разговора", "Разговор",
                "Talk time", "Talk"],
    "disposition": ["disposition", "hangup_cause", "Статус", "Статус звонка", "Результат",
                    "Status"],
    "agent": ["agent", "Сотрудник", "Оператор", "Менеджер", "Ответственный",
              "Внутренний номер", "Extension", "Agent", "Employee"],
    "src": ["src", "caller_id_number", "Кто звонил", "Откуда", "Номер звонящего", "Звонящий",
            "From", "Caller"],
    "dst": ["dst", "destination_number", "Куда звонил", "Куда", "Номер назначения", "Кому",
            "To", "Callee"],
    "direction": ["direction", "Направление", "Тип звонка", "Тип", "Direction", "Type"],
    "call_id": ["call_id", "linkedid", "ID звонка", "Идентификатор звонка", "Call ID"],
    "uniqueid": ["uniqueid", "uuid"],
    "id": ["id", "acctid", "ID", "ID записи", "Record ID"],
    "channel": ["channel", "Канал"],
    "dstchannel": ["dstchannel", "Канал назначения"],
    "dcontext": ["dcontext", "context"],
    "lastapp": ["lastapp"],
    "bleg": ["bleg_uuid"],
}  # fmt: skip

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
    return [ALIASES.get(n.lower(), n.lower()) for n in names]


@dataclass(frozen=True, slots=True)
class Layout:
    """How to read a file: its format, its columns (headerless) and a name to show."""

    fmt: str
    name: str
    columns: tuple[str, ...] = ()  # empty: the first row is a header


# Headerless candidates: (format, name, columns). Where the start time and the two
# durations are is what tells them apart when the column counts could be either.
_CANDIDATES: list[tuple[str, str, list[str]]] = [
    *(("asterisk", f"Asterisk Master.csv ({n} columns)", c) for n, c in ASTERISK_LAYOUTS.items()),
    *(
        ("freepbx", f"FreePBX/Issabel cdr table ({n} columns, no header)", c)
        for n, c in FREEPBX_LAYOUTS.items()
    ),
    (
        "asterisk-custom",
        "Asterisk cdr_custom (stock template)",
        [ALIASES.get(n, n) for n in STOCK_TEMPLATES["asterisk-custom"]],
    ),
    (
        "freeswitch",
        "FreeSWITCH mod_cdr_csv (example template)",
        [ALIASES.get(n, n) for n in STOCK_TEMPLATES["freeswitch"]],
    ),
]

_KNOWN_HEADERS = (
    frozenset(
        normalize_header(name)
        for names in MAPPING_FIELDS.values()
        for name in names
        if name.lower() not in ("id", "date", "type", "to", "from")  # too common as values
    )
    | frozenset(_CDR_CSV_16)
    | frozenset(_FREEPBX_26)
)


def _is_time(text: str) -> bool:
    text = text.strip()
    if not text or not text[0].isdigit():
        return False
    try:
        parse_datetime(text)
    except TabularError:
        return False
    return True


def _is_seconds(text: str) -> bool:
    text = text.strip()
    return text.isdigit() or text in ("", "NULL")


def looks_like_header(cells: Sequence[str]) -> bool:
    """A header row: known column names and no date among its cells."""
    known = sum(1 for c in cells if normalize_header(c) in _KNOWN_HEADERS)
    return known >= 2 and not any(_is_time(c) for c in cells)


def _fits(columns: list[str], cells: Sequence[str]) -> bool:
    where = {name: i for i, name in enumerate(columns)}
    return (
        _is_time(cells[where["start"]])
        and _is_seconds(cells[where["duration"]])
        and _is_seconds(cells[where["billsec"]])
    )


def detect(sample: Sequence[Sequence[str]]) -> Layout:
    """The layout of a file from its first rows (a header, or a few records).

    Raises `TabularError` naming the column count when no known layout fits.
    """
    if not sample:
        raise TabularError(gettext_noop("The file has no call records."))
    if looks_like_header(sample[0]):
        names = {normalize_header(c) for c in sample[0]}
        if {"calldate", "dcontext"} <= names:
            return Layout("csv", "FreePBX/Issabel cdr table (with a header)")
        return Layout("csv", "CSV with a header row")
    counts = Counter(len(cells) for cells in sample)
    width = counts.most_common(1)[0][0]
    rows = [cells for cells in sample if len(cells) == width]
    for fmt, name, columns in _CANDIDATES:
        if len(columns) != width:
            continue
        fitting = sum(1 for cells in rows if _fits(columns, cells))
        if fitting * 2 > len(rows):
            return Layout(fmt, name, tuple(columns))
    raise TabularError(
        gettext_noop(
            "The layout of this file was not recognised (%(count)d columns, no header row): "
            "choose its format."
        ),
        count=width,
    )
