"""The one writer of the daily fact table.

Importers (telephony, CRM deals and portfolios) call `set_auto_facts` or
`replace_auto_facts`; the daily report calls `set_reported_facts` and
`withdraw_reported_facts`; the demo builds its rows with the same rules. What each cell
becomes is decided by `salespulse.lib.facts` (a typed correction wins until cleared; no
events, no cell); this module reads the cells, asks the rules, and writes what changed.

The statements re-check a row's source in the database as they write: a seller may type
a correction between the moment an import read the cell and the moment it writes, and
that correction must survive (the import then only moves `auto_value` beside it).
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from salespulse.kpis.models import DailyFact, Kpi
from salespulse.lib import facts as rules

AutoRow = tuple[int, str, date, Decimal]  # employee id, KPI code, local day, value
Key = tuple[int, int, date]  # employee id, KPI id, day
TYPED = rules.TYPED  # DailyFact.Source.REPORT


def _kpi_ids(codes: Iterable[str]) -> dict[str, int]:
    codes = set(codes)
    found = dict(Kpi.objects.filter(code__in=codes).values_list("code", "id"))
    if missing := codes - set(found):
        raise ValueError(f"Unknown KPI code: {', '.join(sorted(missing))}")
    return found


@transaction.atomic
def set_auto_facts(
    rows: Iterable[AutoRow],
    *,
    codes: Iterable[str] = (),
    days: Iterable[tuple[int, date]] = (),
) -> int:
    """What events say for seller-days; returns how many cells changed.

    `codes` × `days` are the seller-days and KPIs the caller counted: one of them without
    a row in `rows` had no events (`lib.facts.imported` says what that means). Without
    them only the cells of `rows` are written.
    """
    rows = list(rows)
    codes = set(codes)
    days = set(days)
    kpi_ids = _kpi_ids(codes | {code for _, code, _, _ in rows})
    events = {(emp, kpi_ids[code], day): value for emp, code, day, value in rows}
    scope = {kpi_ids[c] for c in codes} if days else set()
    employees = {emp for emp, _, _ in events} | {emp for emp, _ in days}
    every_day = [day for _, _, day in events] + [day for _, day in days]
    if not every_day:
        return 0
    stored = _cells(
        DailyFact.objects.filter(
            employee_id__in=employees,
            kpi_id__in={k for _, k, _ in events} | scope,
            day__range=(min(every_day), max(every_day)),
        )
    )
    if scope:
        # The range read more than was counted: cells outside it are none of this call's.
        stored = {
            key: cell
            for key, cell in stored.items()
            if key in events or (key[1] in scope and (key[0], key[2]) in days)
        }
    else:
        stored = {key: cell for key, cell in stored.items() if key in events}
    return _apply_imported(events, stored)


def replace_auto_facts(
    employee_id: int,
    kpi_ids: Iterable[int],
    start: date,
    end: date,
    events: dict[tuple[int, date], Decimal],
) -> int:
    """What events say for these KPIs of one seller over start..end (both included).

    `events`: (KPI id, day) -> figure; a day of the span missing from it had no events.
    Returns how many cells changed.
    """
    return replace_auto_facts_of(
        {employee_id: (start, end)},
        kpi_ids,
        {(employee_id, kpi, day): value for (kpi, day), value in events.items()},
    )


@transaction.atomic
def replace_auto_facts_of(
    spans: Mapping[int, tuple[date, date]], kpi_ids: Iterable[int], events: dict[Key, Decimal]
) -> int:
    """`replace_auto_facts` for many sellers at once, each over its own days (an import's
    batch touches dozens): {employee id: (start, end)}; `events` keyed (employee, KPI, day)."""
    kpi_ids = list(kpi_ids)
    spans = {e: (start, end) for e, (start, end) in spans.items() if start <= end}
    if not kpi_ids or not spans:
        return 0
    low = min(start for start, _ in spans.values())
    high = max(end for _, end in spans.values())
    stored: dict[Key, rules.Cell] = {}
    employees = sorted(spans)
    for i in range(0, len(employees), 500):
        cells = _cells(
            DailyFact.objects.filter(
                employee_id__in=employees[i : i + 500], kpi_id__in=kpi_ids, day__range=(low, high)
            )
        )
        for key, cell in cells.items():
            start, end = spans[key[0]]
            if start <= key[2] <= end:
                stored[key] = cell
    return _apply_imported(events, stored)


def _cells(facts) -> dict[Key, rules.Cell]:
    # Plain tuples, not model instances: an import refreshes thousands of seller-days.
    cell = rules.Cell
    return {
        (emp, kpi, day): cell(value, auto_value, source)
        for emp, kpi, day, value, auto_value, source in facts.values_list(
            "employee_id", "kpi_id", "day", "value", "auto_value", "source"
        )
    }


def _apply_imported(events: dict[Key, Decimal], stored: dict[Key, rules.Cell]) -> int:
    upserts: list[tuple[Key, Decimal]] = []
    gone: list[Key] = []
    imported, stored_at, events_at = rules.imported, stored.get, events.get
    for key in events.keys() | stored.keys():
        before = stored_at(key)
        after = imported(before, events_at(key))
        if after == before:
            continue
        if after is None:
            gone.append(key)
        else:
            upserts.append((key, after.auto_value))  # type: ignore[arg-type]
    _write_events(upserts)
    _write_no_events(gone)
    return len(upserts) + len(gone)


def _write_events(rows: list[tuple[Key, Decimal]]) -> None:
    """Write what events say into these cells; a typed figure in one keeps its place.

    One statement run for all the rows: an import refreshes thousands of seller-days per
    batch. The CASE is the "typed wins" rule checked again at the moment of writing.
    """
    if not rows:
        return
    table = DailyFact._meta.db_table
    # A constant of ours, not input: written into the statement, not bound for every row.
    typed = f"{table}.source = '{TYPED}'"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = connection.ops.adapt_datefield_value
    auto = rules.AUTO
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} "
            "(employee_id, kpi_id, day, value, auto_value, source, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (employee_id, kpi_id, day) DO UPDATE SET "
            f"value = CASE WHEN {typed} THEN {table}.value ELSE excluded.value END, "
            "auto_value = excluded.auto_value, "
            f"source = CASE WHEN {typed} THEN {table}.source ELSE excluded.source END, "
            "updated_at = excluded.updated_at",
            [(e, k, day(d), value, value, auto, now) for (e, k, d), value in rows],
        )


def _write_no_events(keys: list[Key]) -> None:
    """No events any more: the machines' cells go, a typed one keeps 0 beside it."""
    if not keys:
        return
    table = DailyFact._meta.db_table
    where = "employee_id = %s AND kpi_id = %s AND day = %s"
    params = [(e, k, connection.ops.adapt_datefield_value(d)) for e, k, d in keys]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"DELETE FROM {table} WHERE {where} AND source <> %s", [(*p, TYPED) for p in params]
        )
        # A seller who typed a correction meanwhile: the cell stayed; events now say 0.
        cursor.executemany(
            f"UPDATE {table} SET auto_value = 0 WHERE {where} AND source = %s "
            "AND auto_value IS NOT NULL",
            [(*p, TYPED) for p in params],
        )


@transaction.atomic
def set_reported_facts(employee_id: int, day: date, values: dict[str, Decimal]) -> None:
    """What the seller reported for a day wins over what events say (which stays beside it)."""
    kpi_ids = _kpi_ids(values)
    stored = _cells(
        DailyFact.objects.filter(employee_id=employee_id, day=day, kpi_id__in=kpi_ids.values())
    )
    rows = []
    for code, value in values.items():
        key = (employee_id, kpi_ids[code], day)
        before = stored.get(key)
        after = rules.typed(before, value)
        if after != before:
            rows.append((key, after))
    if not rows:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        # `auto_value` is left as the row has it: an import may have moved it since.
        cursor.executemany(
            f"INSERT INTO {DailyFact._meta.db_table} "
            "(employee_id, kpi_id, day, value, auto_value, source, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (employee_id, kpi_id, day) DO UPDATE SET "
            "value = excluded.value, source = excluded.source, updated_at = excluded.updated_at",
            [
                (e, k, connection.ops.adapt_datefield_value(d), c.value, c.auto_value,
                 c.source, now)
                for (e, k, d), c in rows
            ],
        )  # fmt: skip


@transaction.atomic
def withdraw_reported_facts(employee_id: int, day: date, codes: Iterable[str]) -> None:
    """A correction taken back: the day shows what events say again (or nothing)."""
    codes = list(codes)
    if not codes:
        return
    stored = _cells(
        DailyFact.objects.filter(
            employee_id=employee_id, day=day, kpi__code__in=codes, source=TYPED
        )
    )
    table = DailyFact._meta.db_table
    where = "employee_id = %s AND kpi_id = %s AND day = %s AND source = %s"
    gone, back = [], []
    for (e, k, d), before in stored.items():
        params = (e, k, connection.ops.adapt_datefield_value(d), TYPED)
        (gone if rules.withdrawn(before) is None else back).append(params)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        # Checked again as written: an import may have recorded events meanwhile.
        if gone:
            cursor.executemany(f"DELETE FROM {table} WHERE {where} AND auto_value IS NULL", gone)
        if back:
            cursor.executemany(
                f"UPDATE {table} SET value = auto_value, source = %s, updated_at = %s "
                f"WHERE {where} AND auto_value IS NOT NULL",
                [(rules.AUTO, now, *p) for p in back],
            )
