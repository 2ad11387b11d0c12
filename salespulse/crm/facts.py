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

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from salespulse.crm.models import Deal
from salespulse.crm.portfolio import PORTFOLIO_FACTS, in_portfolio, won_deals
from salespulse.kpis.facts import replace_auto_facts
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
    kpis = dict(Kpi.objects.filter(code__in=wanted).values_list("code", "pk"))
    if not kpis or end < start:
        return 0
    if set(kpis) & set(PORTFOLIO_FACTS):
        # Deals written straight to the table (the demo) carry a client name only.
        link_deals(Deal.objects.filter(employee=employee))
    desired: dict[tuple[int, date], Decimal] = {}
    groups: list[tuple[QuerySet[Deal], str, str]] = [
        (won_deals().filter(employee=employee), "deals_count", "deals_sum"),
        (in_portfolio([employee.pk]).filter(is_repeat=True), "repeat_deals", "repeat_sum"),
    ]
    for deals, count_code, sum_code in groups:
        if count_code not in kpis and sum_code not in kpis:
            continue
        days = (
            deals.filter(day__range=(start, end))
            .values("day")
            .annotate(n=Count("id"), total=Sum("amount"))
            .order_by()
        )
        for row in days:
            if count_code in kpis:
                desired[(kpis[count_code], row["day"])] = Decimal(row["n"])
            if sum_code in kpis:
                desired[(kpis[sum_code], row["day"])] = row["total"]
    return replace_auto_facts(employee.pk, list(kpis.values()), start, end, desired)
