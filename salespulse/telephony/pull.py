"""Pulling calls from a PBX's own CDR table: what is new since the last sync.

The table is read with the rules of files (`lib.cdr.tables` hands its rows over as the
text an export would hold, with the column names as the header), attributed and stored
by the importer, so a row has the same identity whichever way it came and a sync counts
nothing twice. Incremental by the call date: each sync reads from the watermark (the
latest call date seen, on the PBX's clock) minus OVERLAP, because a call is written when
it ends and a long call lands behind shorter ones that started later. The watermark
moves only when a sync ends well: a sync cut off is re-run from the same place and what
it stored is recognised as already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from salespulse.lib import cdr
from salespulse.lib.cdr.tables import CdrTable, TableError
from salespulse.lib.tabular import Row, TabularError
from salespulse.telephony.importer import BATCH_SIZE, Importer, _bulk_mode, translate
from salespulse.telephony.models import CallSource
from salespulse.telephony.results import ImportResult

# Re-read on every sync: calls written up to this late (they end this much after a later
# call started) are still found.
OVERLAP = timedelta(hours=2)
# Legs a sync stores at a time: as many as a file import (smaller batches split more days
# between batches, and each split day is recounted from the table).
SYNC_BATCH = BATCH_SIZE


def default_since(today: date) -> date:
    """A first sync's start: the first day of the previous month."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def calls_source(name: str, tz: str) -> CallSource:
    """The call source a pulled table's legs are stored under (read by column names)."""
    source, _created = CallSource.objects.get_or_create(
        name=name, defaults={"format": CallSource.Format.CSV, "timezone": tz}
    )
    return source


def read_from(watermark: str, since: date | None, today: date) -> tuple[str, bool]:
    """Where a sync starts reading (PBX clock text), and whether it is the first one."""
    if not watermark:
        start = since or default_since(today)
        return f"{start:%Y-%m-%d} 00:00:00", True
    moment = datetime.fromisoformat(watermark[:19]) - OVERLAP
    return moment.strftime("%Y-%m-%d %H:%M:%S"), False


@dataclass(frozen=True)
class Mark:
    """Where a source's syncs stand: the latest call date read (the watermark), and the
    place the last sync read from with the rows the table had from there."""

    watermark: str = ""
    start: str = ""
    rows: int = 0


def sync(
    calls: CallSource,
    url: str,
    mark: Mark,
    *,
    since: date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = SYNC_BATCH,
    progress_every: int = 5000,
) -> tuple[ImportResult, Mark]:
    """Read what is new in the table into `calls`; the result and the next mark.

    A table that cannot be read raises `TableError`; rows that cannot are refused with
    their reason, like a file's. A CDR table only grows: when its newest call and its
    row count from where the last sync read are both unchanged, nothing is new, and the
    overlap is not read again (a quiet sync is two indexed queries).
    """
    today = timezone.localdate()
    start, first = read_from(mark.watermark, since, today)
    with CdrTable(url, tz=calls.timezone) as table:
        newest = table.newest()
        if not first and mark.start and newest == mark.watermark:
            if table.count(mark.start) == mark.rows:
                return ImportResult(layout=table.layout.name), mark
        # Counted before reading: rows written meanwhile make the next count differ.
        found = table.count(start)
        importer = Importer(calls, batch_size, background=connection.vendor == "postgresql")
        result = importer.result
        reader = cdr.LegReader("csv", ZoneInfo(calls.timezone))
        try:
            with _bulk_mode():
                rows = _numbered(table.rows(start, junk=first), progress, progress_every)
                try:
                    importer.feed(reader.legs(rows), lambda: table.layout.name)
                except TabularError as e:
                    result.error = translate(e.message, e.params)
                    importer.drop_batch()
                importer.finish()
        finally:
            importer.close()
        result.layout = table.layout.name
    if result.error:
        result.reject(0, result.error)
        return result, mark
    return result, Mark(max(newest, mark.watermark), start, found)


def _numbered(
    rows: Iterator[list[str]], progress: Callable[[int], None] | None, every: int = 5000
) -> Iterator[Row]:
    number = 0  # the header is row 0
    for number, cells in enumerate(rows):
        if progress is not None and number and number % every == 0:
            progress(number)
        yield number, cells
    if progress is not None:
        progress(number)


def check(url: str, tz: str = "UTC") -> str:
    """Connect and recognise the table; its layout's name, or `TableError`."""
    with CdrTable(url, tz=tz) as table:
        newest = table.newest()
        return f"{table.layout.name}; {newest or '—'}"


__all__ = [
    "OVERLAP",
    "Mark",
    "TableError",
    "calls_source",
    "default_since",
    "read_from",
    "check",
    "sync",
]
