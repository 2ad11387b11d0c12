"""Repeat deals, client status and the lines of the client report, over plain values.

Definitions (the README's "CRM data" section states them for users):
- a repeat deal is a won deal of a client who already had a won deal closed before it
  (any seller, any source), or one the CRM itself marks as repeat;
- a client's status on a day: active while the last purchase (or, for a client who
  never bought, the handover) is at most `at_risk_after` days old, at risk up to
  `lost_after` days, lost after that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

AT_RISK_AFTER = 60
LOST_AFTER = 180


def repeat_flags(deals: Sequence[tuple[datetime, str, bool]]) -> list[bool]:
    """For one client's won deals (closed at, tie-break key, CRM says repeat): is each repeat.

    Flags come back in the input order. Deals closed at the same moment are ordered by
    the tie-break key so the answer never depends on the order rows were read in.
    """
    order = sorted(range(len(deals)), key=lambda i: (deals[i][0], deals[i][1]))
    flags = [False] * len(deals)
    for position, i in enumerate(order):
        flags[i] = position > 0 or deals[i][2]
    return flags


class ClientStatus(StrEnum):
    ACTIVE = "active"
    AT_RISK = "at_risk"
    LOST = "lost"


def client_status(
    last_purchase: date | None,
    handed_over_on: date | None,
    as_of: date,
    at_risk_after: int = AT_RISK_AFTER,
    lost_after: int = LOST_AFTER,
) -> ClientStatus:
    since = last_purchase or handed_over_on or as_of
    idle = (as_of - since).days
    if idle <= at_risk_after:
        return ClientStatus.ACTIVE
    if idle <= lost_after:
        return ClientStatus.AT_RISK
    return ClientStatus.LOST


@dataclass(frozen=True)
class ClientInfo:
    id: int
    name: str
    handed_over_on: date | None


@dataclass(frozen=True)
class WonDeal:
    client_id: int
    day: date
    amount: Decimal
    is_repeat: bool


@dataclass(frozen=True)
class ClientLine:
    client_id: int
    name: str
    handed_over_on: date | None
    deals: int  # won deals in the period, from the handover on
    amount: Decimal
    repeat_deals: int
    last_purchase: date | None  # the latest won deal up to the period's end
    last_amount: Decimal | None
    status: ClientStatus

    @property
    def is_repeat_buyer(self) -> bool:
        return self.repeat_deals > 0


def client_lines(
    clients: Iterable[ClientInfo],
    deals: Iterable[WonDeal],
    start: date,
    end: date,
    as_of: date,
    at_risk_after: int = AT_RISK_AFTER,
    lost_after: int = LOST_AFTER,
) -> list[ClientLine]:
    """One line per client: the period's figures and the status on `as_of`.

    `deals` are the clients' won deals up to `end` (earlier ones give the last purchase).
    """
    by_client: dict[int, list[WonDeal]] = {}
    for deal in deals:
        by_client.setdefault(deal.client_id, []).append(deal)
    lines = []
    for client in clients:
        own = [d for d in by_client.get(client.id, []) if d.day <= end]
        counted = [
            d
            for d in own
            if start <= d.day and (client.handed_over_on is None or d.day >= client.handed_over_on)
        ]
        last = max(own, key=lambda d: d.day, default=None)
        last_day = last.day if last else None
        last_amount = (
            sum((d.amount for d in own if d.day == last_day), Decimal(0)) if last else None
        )
        lines.append(
            ClientLine(
                client_id=client.id,
                name=client.name,
                handed_over_on=client.handed_over_on,
                deals=len(counted),
                amount=sum((d.amount for d in counted), Decimal(0)),
                repeat_deals=sum(1 for d in counted if d.is_repeat),
                last_purchase=last_day,
                last_amount=last_amount,
                status=client_status(
                    last_day if last_day and last_day <= as_of else None,
                    client.handed_over_on,
                    as_of,
                    at_risk_after,
                    lost_after,
                ),
            )
        )
    return lines


_STATUS_ORDER = {ClientStatus.LOST: 0, ClientStatus.AT_RISK: 1, ClientStatus.ACTIVE: 2}
SORT_KEYS = ("name", "handed_over_on", "deals", "amount", "last_purchase", "repeat", "status")


def sort_lines(lines: list[ClientLine], key: str, descending: bool = False) -> list[ClientLine]:
    """Sorted by a column; empty values go last either way, ties by name."""
    if key not in SORT_KEYS:
        raise ValueError(f"Unknown sort key {key!r}")

    def value(line: ClientLine) -> object:
        if key == "status":
            return _STATUS_ORDER[line.status]
        if key == "repeat":
            return line.repeat_deals
        if key == "name":
            return line.name.casefold()
        return getattr(line, key)

    by_name = sorted(lines, key=lambda line: line.name.casefold())
    present = [line for line in by_name if value(line) is not None]
    missing = [line for line in by_name if value(line) is None]
    return sorted(present, key=value, reverse=descending) + missing  # type: ignore[arg-type]
