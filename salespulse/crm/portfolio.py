"""Account managers' portfolios in the day facts: repeat sums and the portfolio's size.

What counts (the README's "CRM data"):
- `repeat_deals`, `repeat_sum`: the won repeat deals of the clients in the manager's
  portfolio, from each client's handover day on, whoever closed them;
- `clients_in_work`: a snapshot of the portfolio's size, written on every day it
  changes and on the first of every month (a `last` KPI looks back a limited time).

Only deals in the company currency are added up. The cells are written by
`kpis.facts`, whose rules (a typed correction wins, no events) hold for every writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, QuerySet

from salespulse.crm.models import COMPANY_CURRENCY, Client, Deal
from salespulse.kpis.facts import replace_auto_facts
from salespulse.kpis.models import DailyFact, Kpi
from salespulse.lib.periods import month_start, next_month

PORTFOLIO_FACTS = ("repeat_deals", "repeat_sum")
PORTFOLIO_SIZE = "clients_in_work"


def won_deals() -> QuerySet[Deal]:
    return Deal.objects.filter(status=Deal.Status.WON, currency=COMPANY_CURRENCY)


def in_portfolio(manager_ids: Iterable[int]) -> QuerySet[Deal]:
    """Won deals of the managers' clients, closed on or after each client's handover."""
    return won_deals().filter(
        Q(client__handed_over_on__isnull=True) | Q(day__gte=F("client__handed_over_on")),
        client__manager_id__in=list(manager_ids),
    )


def refresh_repeat_facts(manager_id: int, start: date, end: date) -> int:
    """`repeat_deals` and `repeat_sum` of one manager's portfolio over start..end."""
    from salespulse.crm.facts import refresh_deal_facts
    from salespulse.org.models import Employee

    return refresh_deal_facts(Employee.objects.get(pk=manager_id), start, end, PORTFOLIO_FACTS)


@transaction.atomic
def refresh_portfolio_facts(manager_id: int, today: date) -> int:
    """`clients_in_work` snapshots of one manager, from their first handover to today."""
    kpi_id = Kpi.objects.filter(code=PORTFOLIO_SIZE).values_list("pk", flat=True).first()
    if kpi_id is None:
        return 0
    handovers = sorted(
        d or date.min
        for d in Client.objects.filter(manager_id=manager_id).values_list(
            "handed_over_on", flat=True
        )
    )
    earliest_fact = (
        DailyFact.objects.filter(employee_id=manager_id, kpi_id=kpi_id)
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )
    known = [d for d in handovers if d != date.min]
    firsts = [d for d in (known[:1] + [earliest_fact]) if d is not None]
    if not firsts:
        return 0
    start = min(firsts)
    end = max(today, max(known, default=today))
    days = set(known)
    month = month_start(start)
    while month <= end:
        days.add(max(month, start))
        month = next_month(month)
    desired: dict[tuple[int, date], Decimal] = {}
    size = 0
    ordered = iter(handovers)
    pending = next(ordered, None)
    for day in sorted(days):
        while pending is not None and pending <= day:
            size += 1
            pending = next(ordered, None)
        desired[(kpi_id, day)] = Decimal(size)
    return replace_auto_facts(manager_id, [kpi_id], start, end, desired)
