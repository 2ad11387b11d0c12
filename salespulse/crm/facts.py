"""Deal figures in the daily fact table, recomputed from the raw deals.

Screens read days, never raw deals (DESIGN.md, "Shape of the storage"), so whatever
changes deals (a CRM import, the API, the demo) calls `refresh_deal_facts` for the days
it touched. What counts (the README's "CRM data"):

- `deals_count`, `deals_sum`: the won deals the seller is responsible for, on the local
  day of their close date;
- `repeat_deals`, `repeat_sum`: the won repeat deals of the clients in the seller's
  portfolio (an account manager's), from each client's handover day on;
- only deals in the company's currency count (a sum of roubles and dollars means nothing).

The cells are written by `kpis.facts` (a figure the seller typed keeps winning).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum

from salespulse.crm.models import Deal
from salespulse.crm.portfolio import PORTFOLIO_FACTS, in_portfolio, won_deals
from salespulse.kpis.facts import replace_auto_facts, replace_auto_facts_of
from salespulse.kpis.models import Kpi
from salespulse.org.models import Employee

SELLER_FACTS = ("deals_count", "deals_sum")
# KPI code -> (count or sum, whose deals): every additive KPI computed from deals.
DEAL_FACTS = {
    "deals_count": ("count", "seller"),
    "deals_sum": ("sum", "seller"),
    "repeat_deals": ("count", "portfolio"),
    "repeat_sum": ("sum", "portfolio"),
}


@transaction.atomic
def refresh_deal_facts(
    employee: Employee,
    start: date,
    end: date,
    codes: Iterable[str] | None = None,
) -> int:
    """Make the seller's deal KPIs for start..end (both included) match their won deals.

    `codes` limits the work to some of DEAL_FACTS (all by default); a KPI missing from
    the catalogue is skipped. A day left with no deals has no events (`lib.facts`: its
    imported row goes; a figure the seller typed stays, with 0 beside it). A second call
    with no new deals writes nothing. Returns the number of cells changed.
    """
    from salespulse.crm.clients import link_deals  # clients needs this module's neighbours

    wanted = list(DEAL_FACTS) if codes is None else list(codes)
    unknown = set(wanted) - set(DEAL_FACTS)
    if unknown:
        raise ValueError(f"Not a deal KPI: {', '.join(sorted(unknown))}")
    changed = refresh_seller_facts(
        {employee.pk: (start, end)}, [c for c in wanted if c in SELLER_FACTS]
    )
    kpis = dict(
        Kpi.objects.filter(code__in=[c for c in wanted if c in PORTFOLIO_FACTS]).values_list(
            "code", "pk"
        )
    )
    if not kpis or end < start:
        return changed
    # Deals written straight to the table (the demo) carry a client name only.
    link_deals(Deal.objects.filter(employee=employee))
    desired: dict[tuple[int, date], Decimal] = {}
    days = (
        in_portfolio([employee.pk])
        .filter(is_repeat=True, day__range=(start, end))
        .values("day")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    for row in days:
        if "repeat_deals" in kpis:
            desired[(kpis["repeat_deals"], row["day"])] = Decimal(row["n"])
        if "repeat_sum" in kpis:
            desired[(kpis["repeat_sum"], row["day"])] = row["total"]
    return changed + replace_auto_facts(employee.pk, list(kpis.values()), start, end, desired)


@transaction.atomic
def refresh_seller_facts(
    spans: Mapping[int, tuple[date, date]], codes: Iterable[str] = SELLER_FACTS
) -> int:
    """`deals_count` and `deals_sum` of many sellers, each over its own days (both
    included): {employee id: (start, end)}. Returns the number of cells changed."""
    kpis = dict(Kpi.objects.filter(code__in=list(codes)).values_list("code", "pk"))
    spans = {e: (start, end) for e, (start, end) in spans.items() if start <= end}
    if not kpis or not spans:
        return 0
    low = min(start for start, _ in spans.values())
    high = max(end for _, end in spans.values())
    desired: dict[tuple[int, int, date], Decimal] = {}
    employees = sorted(spans)
    for i in range(0, len(employees), 500):
        days = (
            won_deals()
            .filter(employee_id__in=employees[i : i + 500], day__range=(low, high))
            .values("employee_id", "day")
            .annotate(n=Count("id"), total=Sum("amount"))
            .order_by()
        )
        for row in days:
            employee_id, day = row["employee_id"], row["day"]
            if not spans[employee_id][0] <= day <= spans[employee_id][1]:
                continue
            if "deals_count" in kpis:
                desired[(employee_id, kpis["deals_count"], day)] = Decimal(row["n"])
            if "deals_sum" in kpis:
                desired[(employee_id, kpis["deals_sum"], day)] = row["total"]
    return replace_auto_facts_of(spans, kpis.values(), desired)
