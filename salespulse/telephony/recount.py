"""Call figures counted again from the stored legs after a counting setting changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from salespulse.kpis.models import Recount
from salespulse.kpis.recount import request
from salespulse.org.models import Employee
from salespulse.telephony.daycount import refresh_day_facts
from salespulse.telephony.models import CallLeg

# Sellers recounted together: the legs of a few months of theirs are read at once.
SELLERS_PER_STEP = 50


def threshold_changed(department_ids: Iterable[int]) -> None:
    """A department's conversation threshold was set, changed or removed."""
    departments = sorted(set(department_ids))
    request(Recount.Kind.CALLS, {"departments": departments}, departments, "threshold")


def directions_changed(source_id: int) -> None:
    """A call source counts other directions now: the days with its calls change."""
    request(Recount.Kind.CALLS, {"source": source_id}, None, "counted directions")


def mapping_changed(mappings: Iterable[tuple[int | None, int | None]]) -> None:
    """Agent mappings, as (source id or None for every source, seller id), before and after
    a change: the calls of their sources are attributed again."""
    mappings = list(mappings)
    sources = {source for source, _ in mappings}
    sellers = {seller for _, seller in mappings if seller is not None}
    departments = Employee.objects.filter(pk__in=sellers).values_list("department_id", flat=True)
    request(
        Recount.Kind.AGENTS,
        {"sources": None if None in sources else sorted(sources)},  # type: ignore[type-var]
        {d for d in departments if d is not None},
        "agent mapping",
    )


def recount_calls(
    departments: list[int] | None = None,
    source: int | None = None,
    employees: list[int] | None = None,
) -> int:
    """Recount the seller-days with stored calls (of these departments' sellers, or of
    this source, or of these sellers).

    Returns how many day facts changed. Only days with calls can change: a threshold or a
    source's directions decide how legs count, not whether a day has any.
    """
    legs = CallLeg.objects.filter(employee__isnull=False, day__isnull=False)
    if departments is not None:
        legs = legs.filter(
            employee_id__in=Employee.objects.filter(department_id__in=departments).values("pk")
        )
    if employees is not None:
        legs = legs.filter(employee_id__in=employees)
    if source is not None:
        legs = legs.filter(source_id=source)
    touched: dict[int, set[date]] = {}
    for employee, day in legs.values_list("employee_id", "day").distinct().order_by():
        touched.setdefault(employee, set()).add(day)
    sellers = sorted(touched)
    changed = 0
    for i in range(0, len(sellers), SELLERS_PER_STEP):
        changed += refresh_day_facts(
            {(e, d) for e in sellers[i : i + SELLERS_PER_STEP] for d in touched[e]}
        )
    return changed
