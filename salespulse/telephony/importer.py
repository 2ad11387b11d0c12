"""Importing call records: a file, a web upload or an API batch -> legs -> day facts.

One transaction per batch of legs: the legs, and the day figures of every seller-day they
touch, are written together, so a failure part-way leaves no half-counted day (the
batches before it are complete and consistent; importing the file again finishes the
job, since a leg already stored is recognised by its external id and skipped).
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.translation import gettext as _

from salespulse.lib import cdr
from salespulse.lib.tabular import Row, TabularError, gettext_noop, open_table
from salespulse.org.models import Employee
from salespulse.telephony.daycount import DayCounter, Stored, refresh_day_facts
from salespulse.telephony.legstore import last_leg, leg_row
from salespulse.telephony.models import AgentAlias, CallImport, CallLeg, CallSource
from salespulse.telephony.results import ImportResult

BATCH_SIZE = 20_000
# A file whose first rows are all refused is the wrong format: say so and stop reading.
WRONG_FORMAT_AFTER = 100
CALL_WINDOW = 50_000
# SQLite's page cache during an import, KiB (its default is 2 MB).
SQLITE_CACHE_KIB = 64 * 1024


def translate(message: str, params: dict[str, Any]) -> str:
    """A lib msgid (tabular, cdr) in the active language."""
    text = _(message)
    return text % params if params else text


class Directory:
    """Who is who, read once per import: keys (extension, login, alias) -> sellers."""

    def __init__(self, source: CallSource) -> None:
        self.keys: dict[str, int] = {}
        self.zones: dict[int, ZoneInfo] = {}
        rows = list(Employee.objects.values_list("pk", "extension", "user__username", "timezone"))
        zones: dict[str, ZoneInfo] = {}
        for pk, _extension, login, zone in rows:
            self.zones[pk] = zones.setdefault(zone, ZoneInfo(zone))
            self.keys[login.casefold()] = pk
        # Extensions win over logins, and aliases over both (source-specific ones last).
        for pk, extension, _login, _zone in rows:
            if extension:
                self.keys[extension.casefold()] = pk
        aliases = AgentAlias.objects.filter(source__isnull=True).values_list("key", "employee")
        for key, pk in aliases:
            self.keys[cdr.phone_key(key).casefold() or key.casefold()] = pk
            self.keys[key.casefold()] = pk
        for key, pk in AgentAlias.objects.filter(source=source).values_list("key", "employee"):
            self.keys[cdr.phone_key(key).casefold() or key.casefold()] = pk
            self.keys[key.casefold()] = pk
        self.outside = source.outside()

    def lookup(self, key: str) -> int | None:
        return self.keys.get(key.casefold())

    def learn(self, legs: Iterable[cdr.Leg]) -> None:
        """Learn the trunks these legs show (before attributing them)."""
        learn, lookup = self.outside.learn, self.lookup
        for leg in legs:
            learn(leg, lookup)

    def attribute(self, leg: cdr.Leg) -> tuple[cdr.Attribution, date | None]:
        who = cdr.attribute(leg, self.lookup, self.outside)
        if who.employee_id is None:
            return who, None
        return who, leg.start.astimezone(self.zones[who.employee_id]).date()


class _Writer(threading.Thread):
    """Stores the batches, in order, on its own connection while the next one is read.

    Reading a file is Python work and storing it database work (SQLite and psycopg let
    other threads run while they wait), so the two overlap. A batch is handed over when
    the previous one is stored: two batches in memory at most. After a failure the
    writer stores nothing more, and the error is raised in the importing thread at its
    next batch or at the end.
    """

    def __init__(self, counter: DayCounter) -> None:
        super().__init__(name="call-writer", daemon=True)
        self.counter = counter
        self.jobs: queue.Queue[list[list] | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.since = 0
        self.stored = Stored()
        self.closed = False

    def run(self) -> None:
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB * -1}")
            while (rows := self.jobs.get()) is not None:
                try:
                    self.stored.add(self.counter.store(rows, self.since))
                finally:
                    del rows
                    self.jobs.task_done()
        except BaseException as e:  # handed to the importing thread
            self.error = e
            while self.jobs.get() is not None:  # let the importing thread go on to the end
                self.jobs.task_done()
        finally:
            connection.close()

    def submit(self, rows: list[list]) -> None:
        # The previous batch is stored first: one batch stored while the next is read,
        # never more in memory.
        self.jobs.join()
        self.raise_error()
        self.jobs.put(rows)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.jobs.put(None)
            self.join()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


class Importer:
    """Feeds legs to the database in batches and keeps the tally of one import.

    `background`: store batches on a second connection while the next is read (see
    `_Writer`); only for a caller outside a transaction, whose own connection would not
    see the writer's uncommitted work nor the writer its. Call `close()` when not ending
    with `finish()`.
    """

    def __init__(
        self, source: CallSource, batch_size: int = BATCH_SIZE, *, background: bool = False
    ) -> None:
        self.source = source
        self.batch_size = batch_size
        self.directory = Directory(source)
        self.counter = DayCounter(source)
        self.result = ImportResult()
        # Call keys of this batch and the recent ones (at least the last batch, up to
        # CALL_WINDOW keys): a PBX writes a call's legs within minutes of each other, so
        # this counts each call once while keeping memory flat for a file of any size.
        # The KPIs themselves are counted from the stored legs, not from this tally.
        self._calls: set[int] = set()
        self._previous_calls: set[int] = set()
        self._calls_counted = 0
        self._unmapped: dict[str, set[int]] = {}
        self._batch: list[cdr.Leg] = []
        self._collect = gc.isenabled()
        self._writer: _Writer | None = None
        # Legs stored after this one are this import's: a row whose id is among them is
        # a repeat, not a row stored before.
        self.since = last_leg()
        if background and not connection.in_atomic_block:
            self._writer = _Writer(self.counter)
            self._writer.since = self.since
            self._writer.start()

    def feed(
        self, items: Iterable[cdr.Leg | cdr.Rejected], layout: Callable[[], str] | None = None
    ) -> None:
        """Read these legs into batches; `layout` names what the rows were read as."""
        result = self.result
        for item in items:
            result.rows += 1
            if isinstance(item, cdr.Rejected):
                result.reject(item.line, translate(item.message, item.params))
                if (
                    result.rows >= WRONG_FORMAT_AFTER
                    and result.rejected_total == result.rows
                    and self._seen_none()
                ):
                    raise TabularError(
                        gettext_noop(
                            "This does not look like a %(format)s file: the first %(count)d "
                            "rows were all refused (the first: %(reason)s)."
                        ),
                        format=(layout() if layout else "") or self.source.get_format_display(),
                        count=result.rows,
                        reason=result.rejected[0]["reason"],
                    )
                continue
            self._batch.append(item)
            if len(self._batch) >= self.batch_size:
                self.flush()

    def drop_batch(self) -> None:
        """The file is wrong: write none of the rows read since the last batch."""
        self.result.refused += len(self._batch)
        self._batch.clear()

    def _seen_none(self) -> bool:
        return not self._batch and not self._calls_counted

    def flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        result = self.result
        unique: dict[str, list] = {}
        self.directory.learn(batch)
        for leg in batch:
            who, day = self.directory.attribute(leg)
            key = hash(leg.call_key)
            if key not in self._previous_calls:
                self._calls.add(key)
            if who.employee_id is None and who.agent:
                self._unmapped.setdefault(who.agent, set()).add(hash(leg.call_key))
            if leg.external_id in unique:
                result.repeats += 1
                continue
            unique[leg.external_id] = leg_row(self.source.pk, leg, who, day)
        del batch
        rows = list(unique.values())
        del unique
        if self._writer is not None:
            self._writer.submit(rows)
        else:
            result.add(self.counter.store(rows, self.since))
        if self._collect:
            gc.collect(1)  # the batch's cycles, if any (the import pauses automatic GC)
        self._calls_counted += len(self._calls)
        self._previous_calls |= self._calls
        if len(self._previous_calls) > CALL_WINDOW:
            self._previous_calls = self._calls
        self._calls = set()

    def close(self) -> None:
        """Wait for the batches handed to the writer (if any); raise its error."""
        writer = self._writer
        if writer is not None and not writer.closed:
            writer.close()
            self.result.add(writer.stored)
            writer.raise_error()

    def finish(self) -> ImportResult:
        try:
            self.flush()
        finally:
            self.close()
        self.result.calls = self._calls_counted + len(self._calls)
        self.result.unmapped = {
            k: len(v) for k, v in sorted(self._unmapped.items(), key=lambda kv: -len(kv[1]))
        }
        return self.result


def reader_for(
    source: CallSource, *, tz: str | None = None, now: datetime | None = None
) -> cdr.LegReader:
    return cdr.LegReader(
        source.format,
        ZoneInfo(tz or source.timezone),
        template=source.template or None,
        mapping=source.mapping or None,
        now=now,
    )


@contextmanager
def _bulk_mode() -> Iterator[None]:
    """What a long import needs of the process and the database, for its duration.

    The cyclic garbage collector is paused: an import makes millions of short-lived
    objects and no cycles, and each collection would walk every object of the batch.
    SQLite gets a 64 MB page cache instead of 2 MB, so the indexes of the legs table stay
    in memory while a file is appended to them.
    """
    collecting = gc.isenabled()
    gc.disable()
    cache = None
    try:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                cache = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB * -1}")
        yield
    finally:
        if cache is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache)}")
        if collecting:
            gc.enable()


def import_rows(
    source: CallSource,
    rows: Iterable[Row],
    *,
    tz: str | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    importer = Importer(source, batch_size)
    reader = reader_for(source, tz=tz, now=now)
    with _bulk_mode():
        try:
            importer.feed(reader.legs(rows), lambda: reader.layout)
        except TabularError as e:
            importer.result.error = translate(e.message, e.params)
            importer.drop_batch()  # the file is wrong: write none of it
        importer.result.layout = reader.layout
        return importer.finish()


def import_file(
    source: CallSource,
    file: str | IO[bytes],
    *,
    file_name: str = "",
    user: Any = None,
    tz: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int, float | None], None] | None = None,
    batch_size: int = BATCH_SIZE,
    background: bool | None = None,
    record: CallImport | None = None,
) -> tuple[ImportResult, CallImport]:
    """Import one file and record the import; file-level problems become `result.error`.

    Outside a transaction the batches can be stored by a second thread while the next one
    is read (`background`, see `_Writer`); inside one, by the caller's connection. By
    default only on PostgreSQL, whose work runs in the server: with SQLite both threads
    need this process's CPU and the GIL, and 1M rows took longer (145-176 s against
    110 s) and more CPU that way. `record`: an import already recorded as running (see
    `sources.runner`) to complete, instead of recording a new one.
    """
    if background is None:
        background = connection.vendor == "postgresql"
    importer = Importer(source, batch_size, background=background)
    result = importer.result
    try:
        with _bulk_mode():
            try:
                with open_table(file) as table:
                    rows: Iterator[Row] = table.rows()
                    if progress is not None:
                        rows = _reporting(rows, table.progress, progress)
                    reader = reader_for(source, tz=tz, now=now)
                    try:
                        importer.feed(reader.legs(rows), lambda: reader.layout)
                    finally:
                        result.layout = reader.layout
                        result.replaced_bytes = table.replaced
                        result.replaced_lines = table.replaced_lines
            except TabularError as e:
                result.error = translate(e.message, e.params)
                importer.drop_batch()
            importer.finish()
    finally:
        importer.close()  # after a failure: the batches handed over are finished first
    if not result.error and result.rows == 0:
        result.error = _("The file has no call records.")
    if result.error:
        result.reject(0, result.error)
    if record is None:
        record = CallImport.objects.create(
            source=source, user=user, file_name=file_name[:255], result=result.as_record()
        )
        from salespulse.sources import record as runs

        runs.calls_imported(record, result)
    else:
        record.result, record.rows_read = result.as_record(), result.rows
        record.status = CallImport.Status.DONE
        record.save(update_fields=["result", "rows_read", "status", "updated_at"])
    return result, record


def _reporting(
    rows: Iterator[Row],
    where: Callable[[], float | None],
    report: Callable[[int, float | None], None],
    every: int = 5000,
) -> Iterator[Row]:
    count = 0
    for count, row in enumerate(rows, 1):
        if count % every == 0:
            report(count, where())
        yield row
    report(count, 1.0)


def reattribute(source: CallSource | None = None, *, every_leg: bool = False) -> int:
    """Attribute stored legs again by the current mappings; returns how many moved.

    By default only the legs nobody was found for (an agent mapped since). `every_leg`
    reads the attributed ones too: after a mapping changed or went, its legs move to the
    new seller or back to unmapped, and both sides' day figures are recounted.
    """
    legs = CallLeg.objects.all()
    if not every_leg:
        legs = legs.filter(employee__isnull=True).exclude(agent="")
    if source is not None:
        legs = legs.filter(source=source)
    directories: dict[int, Directory] = {}
    changed: list[CallLeg] = []
    touched: set[tuple[int, date]] = set()
    for stored in legs.select_related("source").iterator(chunk_size=2000):
        directory = directories.get(stored.source_id)
        if directory is None:
            directory = directories[stored.source_id] = Directory(stored.source)
        leg = cdr.Leg(
            line=0, external_id=stored.external_id, call_key=stored.call_key,
            start=stored.start, end=stored.end, answer=stored.answer,
            duration=stored.duration, billsec=stored.billsec, disposition=stored.disposition,
            src=stored.src, dst=stored.dst, channel=stored.channel,
            dstchannel=stored.dstchannel,
        )  # fmt: skip
        if stored.source.format == CallSource.Format.CSV:
            # A mapped file named its agent and direction explicitly.
            leg.agent, leg.direction = stored.agent, stored.direction
        who, day = directory.attribute(leg)
        if who.employee_id is None and not every_leg:
            continue
        # The import saw the whole row (its context, the trunks of the file): the
        # direction it found for the unmapped agent stands.
        direction = stored.direction or who.direction
        now = (who.employee_id, day, who.agent, direction)
        if now == (stored.employee_id, stored.day, stored.agent, stored.direction):
            continue
        if stored.employee_id is not None and stored.day is not None:
            touched.add((stored.employee_id, stored.day))
        if who.employee_id is not None and day is not None:
            touched.add((who.employee_id, day))
        stored.employee_id, stored.day, stored.agent, stored.direction = now
        changed.append(stored)
    with transaction.atomic():
        CallLeg.objects.bulk_update(
            changed, ["employee", "day", "agent", "direction"], batch_size=1000
        )
        refresh_day_facts(touched)
    return len(changed)


def unmapped_agents(limit: int = 100) -> list[dict[str, Any]]:
    """Agents seen on calls but mapped to nobody, with their call counts, most first."""
    from django.db.models import Count, Max

    # Legs stored before a source listed its trunks may name a trunk as their agent: a
    # trunk is nobody's extension, so it is not offered for mapping.
    sources = {s.pk: s.outside() for s in CallSource.objects.exclude(trunks="")}
    rows = (
        CallLeg.objects.filter(employee__isnull=True)
        .exclude(agent="")
        .values("agent", "source", "source__name")
        .annotate(calls=Count("call_key", distinct=True), last=Max("start"))
        .order_by("-calls", "agent")
    )
    found: list[dict[str, Any]] = []
    for row in rows.iterator():
        outside = sources.get(row["source"])
        if outside is None or not outside.listed(row["agent"]):
            found.append(row)
            if len(found) >= limit:
                break
    return found
