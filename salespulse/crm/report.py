"""The client report: an account manager's portfolio with each client's figures for a period.

Two queries whatever the portfolio's size: the clients, then their won deals.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from salespulse.crm.models import Client
from salespulse.crm.portfolio import won_deals
from salespulse.lib.crm.clients import (
    AT_RISK_AFTER,
    LOST_AFTER,
    ClientInfo,
    ClientLine,
    WonDeal,
    client_lines,
)
from salespulse.org.models import Employee


def client_report(
    manager: Employee,
    start: date,
    end: date,
    as_of: date,
    at_risk_after: int = AT_RISK_AFTER,
    lost_after: int = LOST_AFTER,
) -> list[ClientLine]:
    """Every client handed over to `manager` by `end`, with the period's deals and status."""
    clients = [
        ClientInfo(pk, name, handed)
        for pk, name, handed in Client.objects.filter(manager=manager)
        .filter(Q(handed_over_on__isnull=True) | Q(handed_over_on__lte=end))
        .values_list("pk", "name", "handed_over_on")
    ]
    deals = [
        WonDeal(client_id, day, amount, is_repeat)
        for client_id, day, amount, is_repeat in won_deals()
        .filter(client__manager=manager, day__lte=end)
        .values_list("client_id", "day", "amount", "is_repeat")
    ]
    return client_lines(clients, deals, start, end, min(as_of, end), at_risk_after, lost_after)
