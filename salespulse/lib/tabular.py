"""Streaming readers for the tables people and machines export: CSV, XLSX, HTML ".xls".

Shared by every importer (telephony, CRM). Plain Python, no Django. Every reader yields
``(line_number, cells)`` with the cells as strings, lazily: a million-row file is never
held in memory. What Russian files look like in the wild, and what is done about it:

- UTF-8, UTF-8 with a BOM, Windows-1251 (and UTF-16 from Excel's "Unicode text"): the
  encoding is guessed from the first bytes; bytes that are invalid in it are replaced by
  U+FFFD and counted (with their line numbers), never an exception.
- ``;``, ``,`` or tab separated; Bitrix24 ends every line with an extra ``;``.
- Excel re-saves strip quotes and seconds; dates come as ``dd.mm.yyyy hh:mm[:ss]`` or ISO.
- Bitrix24's "Excel" export is an HTML ``<table>`` saved as ``.xls``.

Errors are `TabularError`: an English message with ``%(name)s`` placeholders (a msgid the
Django layer translates) and its parameters, so the user reads it in their language.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import IO, Any

# Python's csv refuses a cell over 128 KiB, and with it the whole file: a PBX's userfield
# or a CRM's comment can be that long. Such a cell is read now; the limit stays finite so
# that an unclosed quote in a big file still ends as an error with its line, not as the
# rest of the file swallowed into one cell.
csv.field_size_limit(2**20)

__all__ = [
    "Table",
    "TabularError",
    "detect_encoding",
    "gettext_noop",
    "map_columns",
    "normalize_header",
    "open_table",
    "parse_datetime",
    "parse_duration",
    "sniff_delimiter",
]

Source = str | os.PathLike[str] | IO[bytes]
Row = tuple[int, list[str]]

SAMPLE_SIZE = 64 * 1024
# Replacement line numbers kept for the report; the count itself is always exact.
MAX_REPLACED_LINES = 1000
DELIMITERS = (";", ",", "\t")


def gettext_noop(message: str) -> str:
    """Marks a msgid for `makemessages` (it knows this name); translated where shown."""
    return message


class TabularError(ValueError):
    """A problem with a file or a value, as a msgid plus parameters (see module docstring)."""

    def __init__(self, message: str, line: int | None = None, **params: Any) -> None:
        self.message = message
        self.line = line
        if line is not None:
            params["line"] = line
        self.params = params
        super().__init__(message % params if params else message)


# --- encodings -------------------------------------------------------------------------

_CYRILLIC_1251 = re.compile("[\u0400-\u04ff]")


def _looks_like_1251(data: bytes) -> bool:
    """True when data reads better as Windows-1251 than as (broken) UTF-8."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    if bad == 0:
        return False
    # A UTF-8 file with a few stray bytes still has many good multi-byte characters;
    # a cp1251 file decoded as UTF-8 is almost nothing but replacements.
    if good >= 2 * bad:
        return False
    as_1251 = data.decode("cp1251", errors="replace")
    return len(_CYRILLIC_1251.findall(as_1251)) >= bad // 2 or good == 0


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig``, ``utf-16``, ``utf-8``, ``cp1251``, or ``ascii`` (undecided yet).

    ``ascii`` means the sample had no byte above 127: the reader decides at the first
    line that has one (a cp1251 file may start with pages of plain digits).
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if sample.isascii():
        return "ascii"
    # Do not judge a multi-byte character cut in half at the end of the sample.
    cut = sample.rfind(b"\n")
    body = sample[: cut + 1] if cut > 0 else sample
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if len(body) < len(sample):
        try:
            sample.decode("utf-8")  # a single line longer than the sample
            return "utf-8"
        except UnicodeDecodeError as e:
            if e.start >= len(sample) - 3:
                return "utf-8"
    return "cp1251" if _looks_like_1251(body) else "utf-8"


_NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> tuple[str, int]:
    """`text` with what no database column holds - NUL (PostgreSQL refuses it) and lone
    surrogates (not UTF-8) - each replaced by U+FFFD, as an undecodable byte is; and how
    many were replaced."""
    if _NOT_STORABLE.search(text) is None:
        return text, 0
    return _NOT_STORABLE.subn("\ufffd", text)


def _decode_replacing(raw: bytes, encoding: str) -> tuple[str, int]:
    """Decode, replacing each invalid sequence by U+FFFD; returns the text and the count."""
    parts: list[str] = []
    count = 0
    while True:
        try:
            parts.append(raw.decode(encoding))
            return "".join(parts), count
        except UnicodeDecodeError as e:
            parts.append(raw[: e.start].decode(encoding))
            parts.append("\ufffd")
            count += 1
            raw = raw[e.end :]


# --- delimiters ------------------------------------------------------------------------


def sniff_delimiter(lines: Sequence[str]) -> tuple[str, bool]:
    """The delimiter among ``;`` ``,`` tab, and whether every line ends with an extra one.

    Chooses the delimiter that splits the sample lines into the same number (> 1) of
    fields most consistently, so that decimal commas inside a ``;`` file do not fool it.
    """
    lines = [line for line in lines if line.strip()]
    if not lines:
        return ",", False
    best: tuple[float, int, str] = (0.0, 1, ",")
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        share = counts.count(mode) / len(counts)
        if (share, mode) > best[:2]:
            best = (share, mode, delimiter)
    delimiter = best[2]
    trailing = all(line.rstrip("\r\n").endswith(delimiter) for line in lines)
    return delimiter, trailing


# --- headers ---------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009\ufeff]+")


def normalize_header(text: str) -> str:
    """``" Дата\u00a0звонка "`` -> ``"дата звонка"``: trimmed, spaces collapsed, casefolded.

    ``ё`` is read as ``е``: people type both, and a mapping must not depend on which.
    """
    text = _SPACES.sub(" ", text).strip().strip('"').strip()
    return text.casefold().replace("ё", "е")


def map_columns(
    header: Sequence[str],
    spec: Mapping[str, str | Sequence[str]],
    required: Iterable[str] = (),
) -> dict[str, int]:
    """Field -> column index, by matching normalised header names.

    `spec` maps each field to one header name or a list of accepted names (aliases).
    A missing required field raises `TabularError` naming what was missing and found.
    """
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(normalize_header(name), i)
    found: dict[str, int] = {}
    for field, names in spec.items():
        for name in [names] if isinstance(names, str) else names:
            if (i := index.get(normalize_header(name))) is not None:
                found[field] = i
                break
    missing = [f for f in required if f not in found]
    if missing:
        wanted = ", ".join(
            spec[f] if isinstance(spec[f], str) else " / ".join(spec[f]) for f in missing
        )
        raise TabularError(
            gettext_noop("Columns not found: %(missing)s. The file has: %(found)s."),
            missing=wanted,
            found=", ".join(h for h in header if h.strip()) or "—",
        )
    return found


# --- values ----------------------------------------------------------------------------

_RU_DATE = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
    r" ?(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_EPOCH = re.compile(r"\d{9,10}(?:\.\d{1,6})?")
# Day first, as Russian and European exports write it (FreePBX reports, Excel re-saves):
# D/M/YYYY H:MM:SS, DD/MM/YY HH:MM. A two-digit year is this century's.
_SLASH_DATE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
)


def _offset(text: str, value: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:  # no zone is further from UTC than +14:00
        raise TabularError(gettext_noop("Not a date and time: '%(value)s'"), value=value[:60])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(text: str, tz: tzinfo | None = None) -> datetime:
    """A date and time as exports write them; naive values get `tz` when it is given.

    Accepts ``dd.mm.yyyy hh:mm[:ss]``, ``dd.mm.yyyy`` (midnight), day-first
    ``d/m/yyyy h:mm[:ss]`` and ``dd/mm/yy hh:mm``, ISO 8601 with ``T`` or a
    space, with or without seconds, fractions and an offset (``Z``, ``+03:00``,
    ``+0300``), and Unix seconds (some cloud PBXs). A value with its own offset keeps it.
    """
    s = text.strip()
    # The common case (Asterisk writes exactly this) without a regex.
    if len(s) == 19 and s[4] == "-" and s[10] == " ":
        try:
            parsed = datetime.fromisoformat(s)
        except ValueError:
            pass
        else:
            return parsed.replace(tzinfo=tz) if tz is not None else parsed
    offset: tzinfo | None = None
    if m := _RU_DATE.fullmatch(s):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        parts = m.groups()[3:]
    elif m := _ISO_DATE.fullmatch(s):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        parts = m.groups()[3:7]
        if m[8]:
            offset = _offset(m[8], s)
    elif m := _SLASH_DATE.fullmatch(s):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 2000
        parts = m.groups()[3:]
    elif _EPOCH.fullmatch(s):
        moment = datetime.fromtimestamp(float(s), tz=UTC)
        return moment
    else:
        raise TabularError(gettext_noop("Not a date and time: '%(value)s'"), value=s[:60])
    hour, minute, second, fraction = parts
    try:
        result = datetime(
            year,
            month,
            day,
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        raise TabularError(gettext_noop("No such date: '%(value)s'"), value=s[:60]) from None
    if offset is not None:
        return result.replace(tzinfo=offset)
    return result.replace(tzinfo=tz) if tz is not None else result


_HMS = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2})(?:[.,](\d+))?")


def parse_duration(text: str) -> int:
    """Whole seconds from ``"125"``, ``"125.4"``, ``"2:05"`` (m:ss) or ``"1:02:05"`` (h:mm:ss).

    Fractions of a second are rounded half up. Negative or malformed values raise
    `TabularError`; whether a duration is plausible is the importer's business.
    """
    s = text.strip()
    if s.isdigit():
        return int(s)
    if s[:1] in ("-", "\u2212"):
        raise TabularError(gettext_noop("Negative duration: '%(value)s'"), value=s[:60])
    if m := _HMS.fullmatch(s):
        hours, minutes, seconds, fraction = m.groups()
        if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            raise TabularError(gettext_noop("Not a duration: '%(value)s'"), value=s[:60])
        total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        if fraction and int(fraction[0]) >= 5:
            total += 1
        return total
    try:
        value = Decimal(s.replace(",", "."))
    except InvalidOperation:
        raise TabularError(gettext_noop("Not a duration: '%(value)s'"), value=s[:60]) from None
    if not value.is_finite() or value < 0:
        raise TabularError(gettext_noop("Not a duration: '%(value)s'"), value=s[:60])
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"
    return str(value)


# --- tables ----------------------------------------------------------------------------


class Table:
    """An open table file; iterate `rows()` once. Use as a context manager."""

    kind = ""

    def __init__(self, stream: IO[bytes], size: int | None, owned: bool) -> None:
        self._stream = stream
        self._owned = owned
        self.size = size
        self.encoding = ""
        self.delimiter = ""
        # Invalid byte sequences replaced by U+FFFD, and the lines where (the first few).
        self.replaced = 0
        self.replaced_lines: list[int] = []

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def progress(self) -> float | None:
        """The share of the file read so far, when it can be known."""
        if not self.size:
            return None
        try:
            return min(1.0, self._stream.tell() / self.size)
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._owned:
            self._stream.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CsvTable(Table):
    kind = "csv"

    def __init__(
        self,
        stream: IO[bytes],
        size: int | None,
        owned: bool,
        sample: bytes,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        super().__init__(stream, size, owned)
        self.encoding = encoding or detect_encoding(sample)
        if delimiter is None:
            text = self._decode_sample(sample)
            lines = text.splitlines(keepends=True)
            if len(sample) >= SAMPLE_SIZE and len(lines) > 1:
                lines = lines[:-1]  # probably cut short
            delimiter, self.trailing = sniff_delimiter(lines[:200])
        else:
            self.trailing = False
        self.delimiter = delimiter
        # Some PBX exports end lines with a bare CR (old Mac style) and no final newline.
        self.bare_cr = b"\r" in sample and b"\n" not in sample
        d = re.escape(delimiter)
        # A caller name quoted by hand, ""Name" <101>", instead of """Name"" <101>".
        self._broken_name = re.compile(
            rf'(^|{d})""([^"{d}\r\n][^"\r\n]*)" <([^"<>\r\n]*)>"(?={d}|\r|\n|$)'
        )

    def _decode_sample(self, sample: bytes) -> str:
        encoding = "utf-8" if self.encoding == "ascii" else self.encoding
        return sample.decode(encoding, errors="replace")

    def _note_replaced(self, line: int, count: int) -> None:
        self.replaced += count
        if len(self.replaced_lines) < MAX_REPLACED_LINES:
            self.replaced_lines.append(line)

    def _lines(self) -> Iterator[str]:
        if self.encoding == "utf-16":
            yield from self._utf16_lines()
            return
        encoding = "utf-8" if self.encoding in ("ascii", "utf-8-sig") else self.encoding
        decided = self.encoding != "ascii"
        number = 0
        for raw in self._cr_lines() if self.bare_cr else self._stream:
            number += 1
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not decided and not raw.isascii():
                encoding = "cp1251" if _looks_like_1251(raw) else "utf-8"
                self.encoding = encoding
                decided = True
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                text, count = _decode_replacing(raw, encoding)
                self._note_replaced(number, count)
            if "\x00" in text:  # past the sample that would have called it binary
                text, count = storable(text)
                self._note_replaced(number, count)
            # Quick: a name closed by a single quote before " <" (a well-quoted one ends
            # with a doubled quote); only then the exact pattern.
            at = text.find('" <')
            while at > 0:
                if text[at - 1] != '"':
                    text = self._repaired(text)
                    break
                at = text.find('" <', at + 3)
            yield text

    def _cr_lines(self) -> Iterator[bytes]:
        rest = b""
        while chunk := self._stream.read(1 << 16):
            *lines, rest = (rest + chunk).split(b"\r")
            for line in lines:
                yield line + b"\n"
        if rest:
            yield rest

    def _repaired(self, line: str) -> str:
        if self._broken_name.search(line):
            return self._broken_name.sub(r'\1"""\2"" <\3>"', line)
        return line

    def _utf16_lines(self) -> Iterator[str]:
        # Excel's "Unicode text": small files in practice; a text wrapper is enough.
        wrapper = io.TextIOWrapper(self._stream, encoding="utf-16", errors="replace", newline="")
        for number, line in enumerate(wrapper, 1):
            line = storable(line)[0]
            if (count := line.count("\ufffd")) > 0:
                self._note_replaced(number, count)
            line = line.lstrip("\ufeff") if number == 1 else line
            yield self._repaired(line) if '" <' in line else line

    def rows(self) -> Iterator[Row]:
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        start = 1
        try:
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if self.trailing and cells[-1] == "":
                    cells.pop()
                yield line, cells
        except csv.Error as e:
            raise TabularError(
                gettext_noop("Line %(line)d cannot be read (%(reason)s): is a quote unclosed?"),
                line=start,
                reason=str(e),
            ) from None


class XlsxTable(Table):
    kind = "xlsx"

    def __init__(self, stream: IO[bytes], size: int | None, owned: bool) -> None:
        super().__init__(stream, size, owned)
        import openpyxl  # only XLSX imports pay for it

        try:
            self._book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as e:  # a damaged zip or not a workbook at all
            raise TabularError(
                gettext_noop("The XLSX file cannot be read: %(reason)s"), reason=str(e)[:200]
            ) from None
        self.encoding = "xlsx"
        self._rows_done = 0
        self._sheet = self._book.worksheets[0]

    def rows(self) -> Iterator[Row]:
        try:
            for number, values in enumerate(self._sheet.iter_rows(values_only=True), 1):
                self._rows_done = number
                cells = [cell_text(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                if cells:
                    yield number, cells
        except Exception as e:  # the sheet is read as it goes: damaged past what was read
            raise TabularError(
                gettext_noop("The XLSX file cannot be read: %(reason)s"),
                line=self._rows_done + 1,
                reason=str(e)[:200],
            ) from None

    def progress(self) -> float | None:
        total = self._sheet.max_row
        return min(1.0, self._rows_done / total) if total else None

    def close(self) -> None:
        self._book.close()
        super().close()


class _TableParser(HTMLParser):
    """Collects the rows of every <table> in a page, cell text only."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row = []
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(_SPACES.sub(" ", "".join(self._cell)).strip())
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self.done.append(self._row)
        self._row = None


_META_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([\w-]+)", re.IGNORECASE)


class HtmlTable(CsvTable):
    """Bitrix24's "Excel" export: an HTML page with one <table>, named ``.xls``."""

    kind = "html"

    def __init__(self, stream: IO[bytes], size: int | None, owned: bool, sample: bytes) -> None:
        encoding = None
        if m := _META_CHARSET.search(sample[:4096]):
            declared = m[1].decode("ascii").lower()
            encoding = {"windows-1251": "cp1251", "utf8": "utf-8"}.get(declared, declared)
            try:
                "".encode(encoding)
            except LookupError:
                encoding = None
        super().__init__(stream, size, owned, sample, encoding=encoding, delimiter="")

    def rows(self) -> Iterator[Row]:
        parser = _TableParser()
        number = 0
        for line in self._lines():
            parser.feed(line)
            if parser.done:
                for cells in parser.done:
                    number += 1
                    if any(c for c in cells):
                        yield number, cells
                parser.done.clear()
        parser.close()
        parser._end_row()
        for cells in parser.done:
            number += 1
            if any(c for c in cells):
                yield number, cells


def _is_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32 or b == 127)
    return controls > len(sample) // 100


def open_table(
    source: Source,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Open a CSV, XLSX or HTML-table file (by content, not by name) for streaming rows.

    `source` is a path or a binary file object (a non-seekable one is spooled to a
    temporary file first). Raises `TabularError` for an empty or binary file.
    """
    owned = isinstance(source, str | os.PathLike)
    stream: IO[bytes] = open(source, "rb") if owned else source  # type: ignore[arg-type]
    if not stream.seekable():
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        shutil.copyfileobj(stream, spool)
        spool.seek(0)
        stream, owned = spool, True  # type: ignore[assignment]
    try:
        start = stream.tell()
        stream.seek(0, os.SEEK_END)
        size = stream.tell() - start
        stream.seek(start)
        sample = stream.read(SAMPLE_SIZE)
        stream.seek(start)
        if not sample.strip():
            raise TabularError(gettext_noop("The file is empty."))
        if sample.startswith(b"PK\x03\x04"):
            return XlsxTable(stream, size, owned)
        if sample.startswith(b"\xd0\xcf\x11\xe0"):
            raise TabularError(
                gettext_noop(
                    "This is an old binary Excel file (.xls): save it as XLSX or CSV and "
                    "upload it again."
                )
            )
        if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            return CsvTable(stream, size, owned, sample, encoding, delimiter)
        if _is_binary(sample):
            raise TabularError(
                gettext_noop("This is not a table: expected CSV, XLSX or an HTML table.")
            )
        head = sample[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if head.startswith(b"<") and (b"<table" in sample.lower() or b"<html" in head):
            return HtmlTable(stream, size, owned, sample)
        return CsvTable(stream, size, owned, sample, encoding, delimiter)
    except BaseException:
        if owned:
            stream.close()
        raise
