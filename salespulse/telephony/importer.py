"""Importing call records: a file, a web upload or an API batch -> legs -> day facts.

One transaction per batch of legs: the legs, and the day figures of every seller-day they
touch, are written together, so a failure part-way leaves no half-counted day (the
batches before it are complete and consistent; importing the file again finishes the
job, since a leg already stored is recognised by its external id and skipped).
"""

from __future__ import annotations

import gc
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from salespulse.kpis.facts import set_auto_facts
from salespulse.kpis.models import Kpi
from salespulse.lib import cdr
from salespulse.lib.tabular import Row, TabularError, gettext_noop, open_table
from salespulse.org.models import Employee
from salespulse.telephony.models import (
    AgentAlias,
    CallImport,
    CallLeg,
    CallSource,
    ConversationThreshold,
)

BATCH_SIZE = 20_000
# Rejected rows kept for the report; the count is always exact.
MAX_REJECTED_LISTED = 1000
# A file whose first rows are all refused is the wrong format: say so and stop reading.
WRONG_FORMAT_AFTER = 100
CALL_WINDOW = 50_000
# SQLite's page cache during an import, KiB (its default is 2 MB).
SQLITE_CACHE_KIB = 64 * 1024
KPI_CODES = ("calls", "answered_calls", "conversations", "talk_time")

_COLUMNS = [
    "source_id", "external_id", "call_key", "start", "answer", "end", "duration", "billsec",
    "disposition", "src", "dst", "channel", "dstchannel", "agent", "direction",
    "employee_id", "day", "link", "raw",
]  # fmt: skip
_LIMITS = {
    f.attname: f.max_length
    for f in CallLeg._meta.concrete_fields
    if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
}


def translate(message: str, params: dict[str, Any]) -> str:
    """A lib msgid (tabular, cdr) in the active language."""
    text = _(message)
    return text % params if params else text


@dataclass
class ImportResult:
    rows: int = 0
    calls: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_total: int = 0
    unmapped: dict[str, int] = field(default_factory=dict)
    replaced_bytes: int = 0
    replaced_lines: list[int] = field(default_factory=list)
    facts_changed: int = 0
    error: str = ""  # a file-level problem; the rows before it may still be imported

    @property
    def failed(self) -> bool:
        """Nothing could be imported (the CLI exits non-zero)."""
        return self.imported + self.duplicates == 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTED_LISTED:
            self.rejected.append({"line": line, "reason": reason})

    def as_json(self) -> dict[str, Any]:
        """The shape the CLI's --json prints (and the API answers)."""
        return {
            "rows": self.rows,
            "calls": self.calls,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "unmapped": self.unmapped,
        }

    def as_record(self) -> dict[str, Any]:
        return self.as_json() | {
            "rejected_total": self.rejected_total,
            "replaced_bytes": self.replaced_bytes,
            "replaced_lines": self.replaced_lines[:50],
            "facts_changed": self.facts_changed,
            "error": self.error,
        }


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
        self.pattern = re.compile(source.extension_pattern or r"\d{2,6}")

    def lookup(self, key: str) -> int | None:
        return self.keys.get(key.casefold())

    def attribute(self, leg: cdr.Leg) -> tuple[cdr.Attribution, date | None]:
        who = cdr.attribute(leg, self.lookup, self.pattern)
        if who.employee_id is None:
            return who, None
        return who, leg.start.astimezone(self.zones[who.employee_id]).date()


def _clip(value: str, column: str) -> str:
    limit = _LIMITS.get(column)
    return value[:limit] if limit and len(value) > limit else value


# json.dumps(cells, ensure_ascii=False), without building an encoder for every row.
_raw_json = json.JSONEncoder(ensure_ascii=False).encode
# The text columns of a row that may come longer than their column, and the shortest limit.
_CLIPPED = (1, 2, 9, 10, 11, 12, 13, 17)
_SHORTEST_LIMIT = min(_LIMITS[_COLUMNS[i]] for i in _CLIPPED)


def _leg_row(source_id: int, leg: cdr.Leg, who: cdr.Attribution, day: date | None) -> list:
    row = [
        source_id,
        leg.external_id,
        leg.call_key,
        leg.start,
        leg.answer,
        leg.end,
        leg.duration,
        leg.billsec,
        leg.disposition,
        leg.src,
        leg.dst,
        leg.channel,
        leg.dstchannel,
        who.agent,
        who.direction,
        who.employee_id,
        day,
        leg.link,
        _raw_json(leg.raw),
    ]
    # Clip what a column cannot hold (rare: only look closer when something is long).
    for i in _CLIPPED:
        if len(row[i]) > _SHORTEST_LIMIT:
            row[i] = _clip(row[i], _COLUMNS[i])
    return row


def _insert_new(source: CallSource, rows: list[list]) -> set[str]:
    """Insert the rows whose external id is new; returns those ids. Inside a transaction.

    A file brings mostly new legs, so the batch is written as it is first; only when the
    database refuses an id it already has are the stored ids looked up and the rest
    written.
    """
    table = CallLeg._meta.db_table
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        existing = _stored_ids(source, [row[1] for row in rows])
        fresh = [row for row in rows if row[1] not in existing]
        CallLeg.objects.bulk_create(
            [CallLeg(**dict(zip(_COLUMNS, row, strict=True))) for row in fresh],
            ignore_conflicts=True,
        )
        return {row[1] for row in fresh}
    if vendor == "sqlite":
        _as_sqlite_values(rows)
    if _write(rows, table, columns):
        return {row[1] for row in rows}
    existing = _stored_ids(source, [row[1] for row in rows])
    fresh = [row for row in rows if row[1] not in existing]
    if _write(fresh, table, columns):
        return {row[1] for row in fresh}
    # Another import stored some of these legs since the check: let the database sort
    # them out row by row.
    if vendor == "postgresql":
        return _insert_staged(fresh, table, columns)
    # (SQLite refuses to write on top of a read another writer has overtaken, so this
    # takes a caller that looked in another transaction.)
    new: set[str] = set()
    marks = ", ".join(["%s"] * len(_COLUMNS))
    with connection.cursor() as cursor:
        for row in fresh:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", row
            )
            if cursor.rowcount == 1:
                new.add(row[1])
    return new


def _write(rows: list[list], table: str, columns: str) -> bool:
    """Write all these legs, or none when one has an id the source already has (False)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The driver's own COPY: its errors are made Django's here.
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(_COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    except IntegrityError as e:
        if _duplicate_id(e):
            return False
        raise
    return True


def _as_sqlite_values(rows: list[list]) -> None:
    """Datetimes as the naive UTC text Django writes to SQLite, days as ISO text (in place).

    A second has several legs starting or ending in it: each moment is formatted once.
    """
    texts: dict[datetime, str] = {}
    for row in rows:
        for i in (3, 4, 5):
            moment = row[i]
            if moment is not None:
                text = texts.get(moment)
                if text is None:
                    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
                    texts[moment] = text
                row[i] = text
        if row[16] is not None:
            row[16] = row[16].isoformat()


def _stored_ids(source: CallSource, ids: list[str]) -> set[str]:
    """Which of these external ids the source already has."""
    table = CallLeg._meta.db_table
    existing: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT external_id FROM {table} WHERE source_id = %s AND external_id = ANY(%s)",
                [source.pk, ids],
            )
            return {r[0] for r in cursor.fetchall()}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cursor.execute(
                f"SELECT external_id FROM {table} WHERE source_id = %s "
                f"AND external_id IN ({', '.join(['%s'] * len(chunk))})",
                [source.pk, *chunk],
            )
            existing.update(r[0] for r in cursor.fetchall())
    return existing


def _duplicate_id(error: IntegrityError) -> bool:
    """Whether the database refused a leg for an external id the source already has."""
    text = str(error.__cause__)  # PostgreSQL names the constraint, SQLite its columns
    return "callleg_unique_source_id" in text or (
        "UNIQUE constraint failed: telephony_callleg.source_id" in text
    )


def _insert_staged(rows: list[list], table: str, columns: str) -> set[str]:
    """PostgreSQL, racing another import: COPY into a scratch table, then one INSERT …
    ON CONFLICT DO NOTHING; returns the ids this one stored."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE callleg_stage ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY callleg_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM callleg_stage "
            f"ON CONFLICT (source_id, external_id) DO NOTHING RETURNING external_id"
        )
        new = {r[0] for r in cursor.fetchall()}
        cursor.execute("DROP TABLE callleg_stage")
    return new


def refresh_day_facts(touched: set[tuple[int, date]]) -> int:
    """Recompute the call KPIs of these seller-days from their stored legs."""
    return _set_figures(touched, _recount(touched))


def _set_figures(
    touched: set[tuple[int, date]], figures: dict[tuple[int, date], cdr.DayFigures]
) -> int:
    """Write the figures of these seller-days (zero where none); how many facts changed."""
    if not touched:
        return 0
    known = set(Kpi.objects.filter(code__in=KPI_CODES).values_list("code", flat=True))
    empty = cdr.DayFigures()
    rows_out = [
        (employee, code, day, Decimal(value))
        for employee, day in sorted(touched)
        for code, value in figures.get((employee, day), empty).as_kpis().items()
        if code in known
    ]
    return set_auto_facts(rows_out)


def _recount(touched: set[tuple[int, date]]) -> dict[tuple[int, date], cdr.DayFigures]:
    """The figures of these seller-days, counted from their stored legs.

    The counting rules are `cdr.day_figures`; here the database groups the legs into calls
    (one row per seller, day and call) and Python only looks at the legs of the calls a
    seller answered more than once, whose talk is the union of their talk intervals.
    """
    if not touched:
        return {}
    directory = _thresholds()
    counted = {
        pk: {d.strip() for d in directions.split(",")}
        for pk, directions in CallSource.objects.values_list("pk", "directions")
    }
    employees = sorted({e for e, _ in touched})
    days = [d for _, d in touched]
    figures: dict[tuple[int, date], cdr.DayFigures] = {}
    default = _default_threshold()
    dates: dict[date | str, date] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(employees), 500):
            chunk = employees[i : i + 500]
            where = _where_days(chunk, min(days), max(days))
            cursor.execute(
                _CALLS_SQL.format(table=CallLeg._meta.db_table, where=where[0], day=_day_column()),
                where[1],
            )
            calls = cursor.fetchall()
            unions = _talk_unions(cursor, where) if any(row[9] > 1 for row in calls) else {}
            for (
                employee, day, source, key, answered, outbound, inbound, internal, unknown,
                answered_legs, talk,
            ) in calls:  # fmt: skip
                day = dates.get(day) or dates.setdefault(day, _as_date(day))
                if (employee, day) not in touched:
                    continue
                figures_day = figures.get((employee, day))
                if figures_day is None:
                    figures_day = figures[employee, day] = cdr.DayFigures()
                directions = counted.get(source, ())
                counts = unknown or (
                    (outbound and "outbound" in directions)
                    or (inbound and "inbound" in directions)
                    or (internal and "internal" in directions)
                )
                if not counts or not (outbound or internal or unknown or answered):
                    continue
                figures_day.calls += 1
                if answered:
                    if answered_legs > 1:
                        talk = unions[employee, day, source, key]
                    figures_day.answered_calls += 1
                    figures_day.talk_time += talk
                    if talk > directory.get(employee, default):
                        figures_day.conversations += 1
    return figures


# One row per seller, day and call: which directions its legs have, whether the seller
# answered, and the talk of a call with one answered leg (max of one value).
_CALLS_SQL = """
SELECT employee_id, {day}, source_id, call_key,
       MAX(CASE WHEN disposition = 'answered' THEN 1 ELSE 0 END),
       MAX(CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END),
       MAX(CASE WHEN direction = 'inbound' THEN 1 ELSE 0 END),
       MAX(CASE WHEN direction = 'internal' THEN 1 ELSE 0 END),
       MAX(CASE WHEN direction = '' THEN 1 ELSE 0 END),
       SUM(CASE WHEN disposition = 'answered' THEN 1 ELSE 0 END),
       MAX(CASE WHEN disposition = 'answered' THEN billsec ELSE 0 END)
FROM {table} WHERE {where}
GROUP BY employee_id, day, source_id, call_key
"""

# The answered legs of the calls a seller answered more than once.
_MULTI_SQL = """
SELECT employee_id, day, source_id, call_key, answer, "end", billsec FROM (
  SELECT employee_id, day, source_id, call_key, answer, "end", billsec,
         COUNT(*) OVER (PARTITION BY employee_id, day, source_id, call_key) AS legs
  FROM {table} WHERE {where} AND disposition = 'answered'
) answered WHERE legs > 1
"""


def _day_column() -> str:
    # SQLite: the day as its text, not through the driver's date converter (slower).
    return "day || ''" if connection.vendor == "sqlite" else "day"


def _where_days(employees: list[int], first: date, last: date) -> tuple[str, list]:
    marks = ", ".join(["%s"] * len(employees))
    return (
        f"employee_id IN ({marks}) AND day BETWEEN %s AND %s",
        [
            *employees,
            connection.ops.adapt_datefield_value(first),
            connection.ops.adapt_datefield_value(last),
        ],
    )


def _talk_unions(cursor: Any, where: tuple[str, list]) -> dict[tuple, int]:
    """(seller, day, source, call) -> the union of the seller's talk in that call."""
    intervals: dict[tuple, list[tuple[datetime, int]]] = {}
    parse = _db_datetime
    cursor.execute(_MULTI_SQL.format(table=CallLeg._meta.db_table, where=where[0]), where[1])
    for employee, day, source, key, answer, end, billsec in cursor.fetchall():
        start = parse(answer) if answer else parse(end) - timedelta(seconds=billsec)
        intervals.setdefault((employee, _as_date(day), source, key), []).append((start, billsec))
    return {key: cdr.talk_union(parts) for key, parts in intervals.items()}


def _db_datetime(value: datetime | str) -> datetime:
    # SQLite hands back the naive UTC text Django wrote; PostgreSQL an aware datetime.
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def _default_threshold() -> int:
    return settings.SALESPULSE_CONVERSATION_SECONDS


def _thresholds() -> dict[int, int]:
    own = dict(ConversationThreshold.objects.values_list("department_id", "seconds"))
    return {
        pk: own.get(department, _default_threshold())
        for pk, department in Employee.objects.values_list("pk", "department_id")
    }


# Legs kept in memory from one batch to the next for the seller-days counted there.
HELD_LEGS = 200_000


class DayCounter:
    """Stores batches of one import and counts the days they touch.

    A seller-day whose stored legs all came with this import (none before it, or exactly
    the ones it stored in the previous batch, still in memory) is counted from the legs in
    memory by `cdr.day_figures`, the rules themselves; any other one (an overlapping file,
    another source's calls, legs imported earlier) is recounted from its stored legs. A
    PBX writes in time order, so the days of a file are mostly new ones, and the legs just
    written are not read back to count them.
    """

    def __init__(self, source: CallSource) -> None:
        self.source = source
        self.thresholds = _thresholds()
        self.default = _default_threshold()
        self.counts = source.counted_directions
        self.held: dict[tuple[int, date], list[cdr.FactLeg]] = {}

    def threshold(self, employee: int) -> int:
        return self.thresholds.get(employee, self.default)

    def store(self, rows: list[list]) -> tuple[int, int]:
        """One batch in one transaction: its new legs and the figures of the days they touch.

        Returns how many legs were new and how many day facts changed.
        """
        held, self.held = self.held, {}  # kept again only once this batch is committed
        # What counting needs, taken before `_insert_new` turns values into SQL text.
        legs = [(row[1], self._fact_leg(row)) for row in rows if row[15] is not None]
        with transaction.atomic():
            before = _legs_per_day(
                {leg.employee_id for _, leg in legs}, [leg.day for _, leg in legs]
            )
            new = _insert_new(self.source, rows)
            fresh: dict[tuple[int, date], list[cdr.FactLeg]] = {}
            for external_id, leg in legs:
                if external_id in new:
                    fresh.setdefault((leg.employee_id, leg.day), []).append(leg)
            in_memory: dict[tuple[int, date], list[cdr.FactLeg]] = {}
            stale: set[tuple[int, date]] = set()
            for key, day_legs in fresh.items():
                stored = before.get(key, 0)
                if stored == 0:
                    in_memory[key] = day_legs
                elif (earlier := held.get(key)) is not None and len(earlier) == stored:
                    in_memory[key] = earlier + day_legs
                else:
                    stale.add(key)
            figures = _recount(stale)
            figures.update(
                cdr.day_figures(
                    (leg for day_legs in in_memory.values() for leg in day_legs), self.threshold
                )
            )
            changed = _set_figures(set(fresh), figures)
        if sum(len(day_legs) for day_legs in in_memory.values()) <= HELD_LEGS:
            self.held = in_memory
        return len(new), changed

    def _fact_leg(self, row: list) -> cdr.FactLeg:
        answer, billsec = row[4], row[7]
        answered = row[8] == "answered"
        return cdr.FactLeg(
            employee_id=row[15],
            day=row[16],
            call_key=row[2],
            direction=row[14],
            answered=answered,
            talk_start=(answer or row[5] - timedelta(seconds=billsec)) if answered else row[3],
            billsec=billsec,
            counts=row[14] == "" or row[14] in self.counts,
        )


def _legs_per_day(employees: set[int], days: list[date]) -> dict[tuple[int, date], int]:
    """How many legs (of any source) these sellers have stored on each day of the range."""
    found: dict[tuple[int, date], int] = {}
    if not employees:
        return found
    ordered = sorted(employees)
    with connection.cursor() as cursor:
        for i in range(0, len(ordered), 500):
            where = _where_days(ordered[i : i + 500], min(days), max(days))
            cursor.execute(
                f"SELECT employee_id, {_day_column()}, COUNT(*) FROM {CallLeg._meta.db_table} "
                f"WHERE {where[0]} GROUP BY employee_id, day",
                where[1],
            )
            for employee, day, count in cursor.fetchall():
                found[employee, _as_date(day)] = count
    return found


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
        self.stored = self.new = self.facts_changed = 0
        self.closed = False

    def run(self) -> None:
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB * -1}")
            while (rows := self.jobs.get()) is not None:
                try:
                    new, changed = self.counter.store(rows)
                    self.stored += len(rows)
                    self.new += new
                    self.facts_changed += changed
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
        if background and not connection.in_atomic_block:
            self._writer = _Writer(self.counter)
            self._writer.start()

    def feed(self, items: Iterable[cdr.Leg | cdr.Rejected]) -> None:
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
                        format=self.source.get_format_display(),
                        count=result.rows,
                        reason=result.rejected[0]["reason"],
                    )
                continue
            self._batch.append(item)
            if len(self._batch) >= self.batch_size:
                self.flush()

    def _seen_none(self) -> bool:
        return not self._batch and not self._calls_counted

    def flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        result = self.result
        unique: dict[str, list] = {}
        for leg in batch:
            who, day = self.directory.attribute(leg)
            key = hash(leg.call_key)
            if key not in self._previous_calls:
                self._calls.add(key)
            if who.employee_id is None and who.agent:
                self._unmapped.setdefault(who.agent, set()).add(hash(leg.call_key))
            if leg.external_id in unique:
                result.duplicates += 1
                continue
            unique[leg.external_id] = _leg_row(self.source.pk, leg, who, day)
        del batch
        rows = list(unique.values())
        del unique
        if self._writer is not None:
            self._writer.submit(rows)
        else:
            new, changed = self.counter.store(rows)
            result.imported += new
            result.duplicates += len(rows) - new
            result.facts_changed += changed
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
            result = self.result
            result.imported += writer.new
            result.duplicates += writer.stored - writer.new
            result.facts_changed += writer.facts_changed
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


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


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
    with _bulk_mode():
        try:
            importer.feed(reader_for(source, tz=tz, now=now).legs(rows))
        except TabularError as e:
            importer.result.error = translate(e.message, e.params)
            importer._batch.clear()  # the file is wrong: write none of it
        return importer.finish()


def import_file(
    source: CallSource,
    file: str | IO[bytes],
    *,
    file_name: str = "",
    user: Any = None,
    tz: str | None = None,
    now: datetime | None = None,
    progress: Callable[[float | None, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    background: bool | None = None,
) -> tuple[ImportResult, CallImport]:
    """Import one file and record the import; file-level problems become `result.error`.

    Outside a transaction the batches can be stored by a second thread while the next one
    is read (`background`, see `_Writer`); inside one, by the caller's connection. By
    default only on PostgreSQL, whose work runs in the server: with SQLite both threads
    need this process's CPU and the GIL, and 1M rows took longer (145-176 s against
    110 s) and more CPU that way.
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
                    try:
                        importer.feed(reader_for(source, tz=tz, now=now).legs(rows))
                    finally:
                        result.replaced_bytes = table.replaced
                        result.replaced_lines = table.replaced_lines
            except TabularError as e:
                result.error = translate(e.message, e.params)
                importer._batch.clear()
            importer.finish()
    finally:
        importer.close()  # after a failure: the batches handed over are finished first
    if not result.error and result.rows == 0:
        result.error = _("The file has no call records.")
    if result.error:
        result.reject(0, result.error)
    record = CallImport.objects.create(
        source=source, user=user, file_name=file_name[:255], result=result.as_record()
    )
    return result, record


def _reporting(
    rows: Iterator[Row],
    where: Callable[[], float | None],
    report: Callable[[float | None, int], None],
    every: int = 5000,
) -> Iterator[Row]:
    for count, row in enumerate(rows, 1):
        if count % every == 0:
            report(where(), count)
        yield row
    report(1.0, 0)


def reattribute(source: CallSource | None = None) -> int:
    """Attribute legs stored before their agent was mapped; returns how many moved."""
    legs = CallLeg.objects.filter(employee__isnull=True).exclude(agent="")
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
        if who.employee_id is None:
            continue
        stored.employee_id, stored.day = who.employee_id, day
        stored.agent, stored.direction = who.agent, who.direction
        changed.append(stored)
        touched.add((who.employee_id, day))
    with transaction.atomic():
        CallLeg.objects.bulk_update(
            changed, ["employee", "day", "agent", "direction"], batch_size=1000
        )
        refresh_day_facts(touched)  # type: ignore[arg-type]
    return len(changed)


def unmapped_agents(limit: int = 100) -> list[dict[str, Any]]:
    """Agents seen on calls but mapped to nobody, with their call counts, most first."""
    from django.db.models import Count, Max

    return list(
        CallLeg.objects.filter(employee__isnull=True)
        .exclude(agent="")
        .values("agent", "source__name")
        .annotate(calls=Count("call_key", distinct=True), last=Max("start"))
        .order_by("-calls", "agent")[:limit]
    )
