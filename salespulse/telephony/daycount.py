"""The call KPIs of seller-days: counted from the legs of a batch, or from the table.

`cdr.day_figures` states the counting rules; `DayCounter` applies them to the legs a batch
brings in, and `refresh_day_facts` recounts seller-days from their stored legs (in SQL,
with Python only for calls answered more than once).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from salespulse.kpis.facts import set_auto_facts
from salespulse.kpis.models import Kpi
from salespulse.lib import cdr
from salespulse.org.models import Employee
from salespulse.telephony.legstore import insert_new
from salespulse.telephony.models import CallLeg, CallSource, ConversationThreshold

KPI_CODES = ("calls", "answered_calls", "conversations", "talk_time")


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
    """The figures of these seller-days, counted from their stored legs.

    The counting rules are `cdr.day_figures`; here the database groups the legs into calls
    (one row per seller, day and call) and Python only looks at the legs of the calls a
    seller answered more than once, whose talk is the union of their talk intervals.
    `thresholds`: the sellers' conversation thresholds, when the caller has read them.
    """
    if not touched:
        return {}
    directory = _thresholds() if thresholds is None else thresholds
    counted = {s.pk: s.counted_directions for s in CallSource.objects.only("directions")}
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
                day = dates.get(day) or dates.setdefault(day, as_date(day))
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
        intervals.setdefault((employee, as_date(day), source, key), []).append((start, billsec))
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
        # What counting needs, taken before `insert_new` turns values into SQL text.
        legs = [(row[1], self._fact_leg(row)) for row in rows if row[15] is not None]
        with transaction.atomic():
            before = _legs_per_day(
                {leg.employee_id for _, leg in legs}, [leg.day for _, leg in legs]
            )
            new = insert_new(self.source, rows)
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
            figures = _recount(stale, self.thresholds)
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
                found[employee, as_date(day)] = count
    return found


def as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
