"""Writing the daily fact table: the one way importers and reports change day figures.

Importers (telephony, CRM) call `set_auto_facts`; the daily report calls `set_reported_facts`.
A figure a seller reported (a manual KPI, or a corrected auto one) is never overwritten by an
import: the import only refreshes `auto_value` beside it.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from salespulse.kpis.models import DailyFact, Kpi

AutoRow = tuple[int, str, date, Decimal]  # employee id, KPI code, local day, value


def _kpi_ids(codes: Iterable[str]) -> dict[str, int]:
    codes = set(codes)
    found = dict(Kpi.objects.filter(code__in=codes).values_list("code", "id"))
    if missing := codes - set(found):
        raise ValueError(f"Unknown KPI code: {', '.join(sorted(missing))}")
    return found


@transaction.atomic
def set_auto_facts(rows: Iterable[AutoRow]) -> int:
    """Upsert what events say for these seller-days; returns how many rows changed."""
    rows = list(rows)
    if not rows:
        return 0
    kpi_ids = _kpi_ids(code for _, code, _, _ in rows)
    wanted = {(emp, kpi_ids[code], day): value for emp, code, day, value in rows}
    employees = {emp for emp, _, _ in wanted}
    days = [day for _, _, day in wanted]
    # Plain tuples, not model instances: an import refreshes thousands of seller-days.
    existing = {
        (emp, kpi, day): (value, auto_value, source)
        for emp, kpi, day, value, auto_value, source in DailyFact.objects.filter(
            employee_id__in=employees,
            kpi_id__in=set(kpi_ids.values()),
            day__range=(min(days), max(days)),
        ).values_list("employee_id", "kpi_id", "day", "value", "auto_value", "source")
    }
    report, auto = DailyFact.Source.REPORT, DailyFact.Source.AUTO
    changed = []
    for (emp, kpi, day), value in wanted.items():
        fact = existing.get((emp, kpi, day))
        if fact is None:
            shown, source = value, auto
        else:
            old_value, old_auto, old_source = fact
            if old_auto == value and (old_source == report or old_value == value):
                continue
            # What the seller reported stays; only the figure beside it follows events.
            shown, source = (old_value, report) if old_source == report else (value, auto)
        changed.append((emp, kpi, day, shown, value, source))
    _upsert(changed)
    return len(changed)


def _upsert(rows: list[tuple[int, int, date, Decimal, Decimal, str]]) -> None:
    """Write (employee, kpi, day, value, auto_value, source) rows, new or not.

    One statement run for all the rows, not model instances: an import refreshes
    thousands of seller-days per batch. `updated_at` is only set on the rows it creates,
    as an import's refresh never moved it on existing rows.
    """
    if not rows:
        return
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {DailyFact._meta.db_table} "
            "(employee_id, kpi_id, day, value, auto_value, source, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (employee_id, kpi_id, day) DO UPDATE SET "
            "value = excluded.value, auto_value = excluded.auto_value, source = excluded.source",
            [(e, k, day(d), v, a, s, now) for e, k, d, v, a, s in rows],
        )


@transaction.atomic
def set_reported_facts(employee_id: int, day: date, values: dict[str, Decimal]) -> None:
    """What the seller reported for a day wins over what events say (which stays beside it)."""
    kpi_ids = _kpi_ids(values)
    existing = {
        f.kpi_id: f
        for f in DailyFact.objects.filter(
            employee_id=employee_id, day=day, kpi_id__in=kpi_ids.values()
        )
    }
    for code, value in values.items():
        fact = existing.get(kpi_ids[code])
        if fact is None:
            DailyFact.objects.create(
                employee_id=employee_id, kpi_id=kpi_ids[code], day=day, value=value,
                source=DailyFact.Source.REPORT,
            )  # fmt: skip
        elif fact.value != value or fact.source != DailyFact.Source.REPORT:
            fact.value = value
            fact.source = DailyFact.Source.REPORT
            fact.save(update_fields=["value", "source", "updated_at"])


@transaction.atomic
def withdraw_reported_facts(employee_id: int, day: date, codes: Iterable[str]) -> None:
    """A correction taken back: the day shows what events say again (or nothing)."""
    facts = DailyFact.objects.filter(
        employee_id=employee_id, day=day, kpi__code__in=list(codes), source=DailyFact.Source.REPORT
    )
    facts.filter(auto_value__isnull=True).delete()
    for fact in facts.filter(auto_value__isnull=False):
        fact.value = fact.auto_value
        fact.source = DailyFact.Source.AUTO
        fact.save(update_fields=["value", "source", "updated_at"])
