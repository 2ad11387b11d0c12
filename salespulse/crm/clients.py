"""Clients and portfolios: linking deals to clients, repeat flags, who manages whom.

A client's account manager is set by a client import or the API; a client nobody
assigned goes to the account manager (a seller whose role has account-manager KPIs)
who closed its first won deal, handed over on that deal's day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from django.db.models import QuerySet

from salespulse.crm.models import Client, Deal
from salespulse.lib.crm.clients import repeat_flags
from salespulse.lib.crm.names import client_key
from salespulse.org.models import Employee

# A seller whose role has any of these keeps a portfolio of clients.
PORTFOLIO_KPIS = (
    "clients_in_work", "clients_at_start", "buyers", "retained_buyers", "repeat_buyers",
    "repeat_deals", "repeat_sum", "repeat_buyers_pct", "retention_pct", "avg_repeat_check",
)  # fmt: skip
CHUNK = 900  # below SQLite's historical limit of 999 query parameters


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def portfolio_keepers() -> set[int]:
    return set(
        Employee.objects.filter(
            position=Employee.Position.SELLER, sales_role__kpis__code__in=PORTFOLIO_KPIS
        ).values_list("pk", flat=True)
    )


def ensure_clients(names: Mapping[str, str]) -> tuple[dict[str, int], int]:
    """Client ids by key for {key: display name}, creating the missing; and how many were new."""
    keys = [k for k in names if k]
    found: dict[str, int] = {}
    for part in chunks(keys):
        found.update(Client.objects.filter(key__in=part).values_list("key", "pk"))
    missing = [k for k in keys if k not in found]
    Client.objects.bulk_create(
        [Client(key=k, name=names[k][:300] or k) for k in missing],
        batch_size=1000,
        ignore_conflicts=True,  # another import may have created it meanwhile
    )
    for part in chunks(missing):
        found.update(Client.objects.filter(key__in=part).values_list("key", "pk"))
    return found, len(missing)


def link_deals(deals: QuerySet[Deal]) -> set[int]:
    """Give client rows to deals that only carry a client name; returns the clients touched."""
    loose = list(
        deals.filter(client__isnull=True).exclude(client_key="").values_list("pk", "client_key")
    )
    if not loose:
        return set()
    names = {client_key(name): name for _, name in loose}
    ids, _created = ensure_clients(names)
    by_client: dict[int, list[int]] = defaultdict(list)
    for pk, name in loose:
        if (key := client_key(name)) in ids:
            by_client[ids[key]].append(pk)
    for client_id, pks in by_client.items():
        for part in chunks(pks):
            Deal.objects.filter(pk__in=part).update(client_id=client_id)
    touched = set(by_client)
    infer_managers(touched)
    return touched


def recompute_repeats(client_ids: Iterable[int]) -> set[int]:
    """Set `is_repeat` on the clients' won deals; returns the deals whose flag changed."""
    changed_on: list[int] = []
    changed_off: list[int] = []
    for part in chunks(sorted(set(client_ids))):
        rows = (
            Deal.objects.filter(client_id__in=part, status=Deal.Status.WON)
            .exclude(closed_at__isnull=True)
            .values_list("pk", "client_id", "closed_at", "source", "external_id", "crm_repeat",
                         "is_repeat")
        )  # fmt: skip
        per_client: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            per_client[row[1]].append(row)
        for deals in per_client.values():
            flags = repeat_flags([(d[2], f"{d[3]}\x00{d[4]}", d[5]) for d in deals])
            for deal, flag in zip(deals, flags, strict=True):
                if flag != deal[6]:
                    (changed_on if flag else changed_off).append(deal[0])
    for pks, flag in ((changed_on, True), (changed_off, False)):
        for part in chunks(pks):
            Deal.objects.filter(pk__in=part).update(is_repeat=flag)
    # A deal that is no longer won is not a repeat deal either.
    for part in chunks(sorted(set(client_ids))):
        Deal.objects.filter(client_id__in=part, is_repeat=True).exclude(
            status=Deal.Status.WON
        ).update(is_repeat=False)
    return set(changed_on) | set(changed_off)


def infer_managers(client_ids: Iterable[int]) -> set[int]:
    """Assign unassigned clients to the account manager of their first won deal.

    Returns the managers whose portfolio grew.
    """
    keepers = portfolio_keepers()
    if not keepers:
        return set()
    first: dict[int, tuple[date, int]] = {}
    for part in chunks(sorted(set(client_ids))):
        rows = Deal.objects.filter(
            client_id__in=part,
            client__manager__isnull=True,
            status=Deal.Status.WON,
            employee_id__in=keepers,
            day__isnull=False,
        ).values_list("client_id", "day", "employee_id")
        for client_id, day, employee_id in rows:
            if client_id not in first or (day, employee_id) < first[client_id]:
                first[client_id] = (day, employee_id)
    grouped: dict[tuple[date, int], list[int]] = defaultdict(list)
    for client_id, key in first.items():
        grouped[key].append(client_id)
    for (day, employee_id), ids in grouped.items():
        for part in chunks(ids):
            Client.objects.filter(pk__in=part, manager__isnull=True).update(
                manager_id=employee_id, handed_over_on=day, assigned_by=Client.Assigned.DEALS
            )
    return {employee_id for _, employee_id in grouped}
