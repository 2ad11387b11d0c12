"""The call KPIs of seller-days: counted from the legs of a batch, or from the table.

`cdr.day_figures` states the counting rules, and only it counts: `DayCounter` hands it the
legs a batch brings in, and `refresh_day_facts` the stored legs of the seller-days to
recount (SQL only reads them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from salespulse.kpis.facts import set_auto_facts
from salespulse.kpis.models import Kpi
from salespulse.lib import cdr
from salespulse.org.models import Employee
from salespulse.telephony.legstore import insert_new
from salespulse.telephony.models import CallLeg, CallSource, ConversationThreshold

KPI_CODES = ("calls", "answered_calls", "conversations", "talk_time")
# Legs a queue_log gave: "q:" and the queue call's id (the marker that the queue_log
# covers the call), then "|" and the agent's part.
QUEUE_PREFIX = "q:"


def refresh_day_facts(touched: set[tuple[int, date]]) -> int:
    """Recompute the call KPIs of these seller-days from their stored legs."""
    return _set_figures(touched, _recount(touched))


def _set_figures(
    touched: set[tuple[int, date]], figures: dict[tuple[int, date], cdr.DayFigures]
) -> int:
    """Write the figures of these seller-days; how many facts changed.

    A touched seller-day missing from `figures` had no legs (they all moved to another
    seller, say): it has no events, which `kpis.facts` knows what to do with.
    """
    if not touched:
        return 0
    known = set(Kpi.objects.filter(code__in=KPI_CODES).values_list("code", flat=True))
    rows_out = [
        (employee, code, day, Decimal(value))
        for (employee, day), day_figures in figures.items()
        if (employee, day) in touched
        for code, value in day_figures.as_kpis().items()
        if code in known
    ]
    return set_auto_facts(rows_out, codes=known, days=touched)


def _recount(
    touched: set[tuple[int, date]], thresholds: dict[int, int] | None = None
) -> dict[tuple[int, date], cdr.DayFigures]:
    """The figures of these seller-days, counted by `cdr.day_figures` from their stored legs.

    `thresholds`: the sellers' conversation thresholds, when the caller has read them.
    """
    if not touched:
        return {}
    directory = _thresholds() if thresholds is None else thresholds
    default = _default_threshold()
    sources = {
        s.pk: (frozenset(s.counted_directions), s.has_queue_log)
        for s in CallSource.objects.only("directions", "has_queue_log")
    }
    employees = sorted({e for e, _ in touched})
    days = [d for _, d in touched]
    dates: dict[date | str, date] = {}
    parse = _db_datetime
    legs: list[cdr.FactLeg] = []
    queue_keys: dict[int, set[str]] = {}
    with connection.cursor() as cursor:
        for i in range(0, len(employees), 500):
            where = _where_days(employees[i : i + 500], min(days), max(days))
            cursor.execute(
                _LEGS_SQL.format(table=CallLeg._meta.db_table, where=where[0], day=_day_column()),
                where[1],
            )
            for row in cursor.fetchall():
                employee, day, source, key, external_id, direction, disposition = row[:7]
                answer, end, billsec = row[7:]
                day = dates.get(day) or dates.setdefault(day, as_date(day))
                if (employee, day) not in touched:
                    continue
                counted, has_queue = sources.get(source, (frozenset(), False))
                answered = disposition == "answered"
                if answered:
                    talk_start = (
                        parse(answer) if answer else parse(end) - timedelta(seconds=billsec)
                    )
                else:
                    talk_start = _EPOCH
                if has_queue:
                    queue_keys.setdefault(source, set()).add(key)
                legs.append(
                    cdr.FactLeg(
                        employee,
                        day,
                        f"{source}:{key}",
                        direction,
                        answered,
                        talk_start,
                        billsec,
                        cdr.counted(direction, counted),
                        queue=external_id.startswith(QUEUE_PREFIX),
                    )
                )
    if queue_keys:
        covered = {
            f"{source}:{key}"
            for source, keys in queue_keys.items()
            for key in covered_calls(source, keys)
        }
        legs = [
            dataclasses.replace(leg, covered=True) if leg.call_key in covered else leg
            for leg in legs
        ]
    return cdr.day_figures(legs, lambda employee: directory.get(employee, default))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The legs of the seller-days to recount: what counting needs of them, nothing decided.
_LEGS_SQL = """
SELECT employee_id, {day}, source_id, call_key, external_id, direction, disposition, answer,
       "end", billsec
FROM {table} WHERE {where}
"""


def covered_calls(source: int, keys: set[str]) -> set[str]:
    """Which of these calls of the source a queue_log has covered (its marker is stored)."""
    found: set[str] = set()
    ordered = sorted(keys)
    with connection.cursor() as cursor:
        for i in range(0, len(ordered), 500):
            chunk = [QUEUE_PREFIX + key for key in ordered[i : i + 500]]
            cursor.execute(
                f"SELECT external_id FROM {CallLeg._meta.db_table} WHERE source_id = %s "
                f"AND external_id IN ({', '.join(['%s'] * len(chunk))})",
                [source, *chunk],
            )
            found.update(r[0][len(QUEUE_PREFIX) :] for r in cursor.fetchall())
    return found


def days_of_calls(source: int, keys: set[str]) -> set[tuple[int, date]]:
    """The seller-days that have legs of these calls of the source."""
    found: set[tuple[int, date]] = set()
    ordered = sorted(keys)
    with connection.cursor() as cursor:
        for i in range(0, len(ordered), 500):
            chunk = ordered[i : i + 500]
            cursor.execute(
                f"SELECT DISTINCT employee_id, {_day_column()} FROM {CallLeg._meta.db_table} "
                f"WHERE source_id = %s AND employee_id IS NOT NULL "
                f"AND call_key IN ({', '.join(['%s'] * len(chunk))})",
                [source, *chunk],
            )
            found.update((employee, as_date(day)) for employee, day in cursor.fetchall())
    return found


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
# Ids of rows found already stored, remembered to tell their repeats in the same file
# (a file imported again whole brings a million: beyond this, a repeat far from its row
# counts as already stored).
FOUND_STORED_KEPT = 200_000


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
        self._directions: dict[str, bool] = {}
        self.held: dict[tuple[int, date], list[cdr.FactLeg]] = {}
        # Seller-days a queue_log changes beyond its own legs' (the CDR legs of its calls).
        self.also_recount: set[tuple[int, date]] = set()
        # Ids of this import's rows found stored before it: their repeats are repeats.
        self.found_stored: set[str] = set()

    def threshold(self, employee: int) -> int:
        return self.thresholds.get(employee, self.default)

    def store(self, rows: list[list], since: int = 0) -> Stored:
        """One batch in one transaction: its new legs and the figures of the days they touch.

        `since`: the last leg pk before this import (see `legstore.insert_new`).
        """
        held, self.held = self.held, {}  # kept again only once this batch is committed
        # What counting needs, taken before `insert_new` turns values into SQL text.
        legs = [(row[1], self._fact_leg(row)) for row in rows if row[15] is not None]
        with transaction.atomic():
            before = _legs_per_day(
                {leg.employee_id for _, leg in legs}, [leg.day for _, leg in legs]
            )
            new, repeated = insert_new(self.source, rows, since)
            if self.source.has_queue_log and legs:
                covered = covered_calls(self.source.pk, {leg.call_key for _, leg in legs})
                legs = [
                    (i, dataclasses.replace(leg, covered=True) if leg.call_key in covered else leg)
                    for i, leg in legs
                ]
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
            stale |= self.also_recount
            self.also_recount = set()
            figures = _recount(stale, self.thresholds)
            figures.update(
                cdr.day_figures(
                    (leg for day_legs in in_memory.values() for leg in day_legs), self.threshold
                )
            )
            changed = _set_figures(set(fresh) | stale, figures)
        if sum(len(day_legs) for day_legs in in_memory.values()) <= HELD_LEGS:
            self.held = in_memory
        result = Stored(facts_changed=changed)
        # A batch has a handful of directions: the rules are asked once for each.
        sales = {d: cdr.sales_call(d, self.counts) for d in {row[14] for row in rows}}
        for row in rows:
            external_id = row[1]
            if external_id in repeated:
                result.repeats += 1
            elif not sales[row[14]]:
                result.not_sales += 1
                by = result.not_sales_by
                by[row[14]] = by.get(row[14], 0) + 1
            elif external_id in new:
                result.imported += 1
            elif external_id in self.found_stored:
                result.repeats += 1  # a row stored before, and repeated in this file
            else:
                result.already_stored += 1
                if len(self.found_stored) >= FOUND_STORED_KEPT:
                    self.found_stored.clear()
                self.found_stored.add(external_id)
        return result

    def _counted(self, direction: str) -> bool:
        known = self._directions.get(direction)
        if known is None:
            known = self._directions[direction] = cdr.counted(direction, self.counts)
        return known

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
            counts=self._counted(row[14]),
            queue=row[1].startswith(QUEUE_PREFIX),
        )


@dataclass
class Stored:
    """What became of a batch's rows (each in one of the four), and the facts changed."""

    imported: int = 0
    already_stored: int = 0
    repeats: int = 0
    not_sales: int = 0
    not_sales_by: dict[str, int] = field(default_factory=dict)  # direction -> rows
    facts_changed: int = 0

    def add(self, other: Stored) -> None:
        self.imported += other.imported
        self.already_stored += other.already_stored
        self.repeats += other.repeats
        self.not_sales += other.not_sales
        for direction, n in other.not_sales_by.items():
            self.not_sales_by[direction] = self.not_sales_by.get(direction, 0) + n
        self.facts_changed += other.facts_changed


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
                found[employee, as_date(day)] = count
    return found


def as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
