"""The daily check of a CRM's deals against ours: which of ours the CRM no longer has.

A CRM's list of deals only returns deals that exist, so an incremental sync never sees
one deleted; its webhook says so, when it reaches us. Once a day the IDs of every deal are
listed and compared with the deals we hold. Deleting a seller's figures is worse than
keeping a stale deal, so the listing must be whole (no error, as many IDs as the CRM
announced, the same count on every page) and a verdict refuses a mass deletion: a lost
permission or a webhook moved to another portal lists few deals or none.

Plain Python: `deal_ids` reads a Bitrix24 portal (`bitrix24.Portal`), `judge` compares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from salespulse.lib.crm import bitrix24 as b24
from salespulse.lib.crm.http import CrmError
from salespulse.lib.tabular import gettext_noop

# More than this share of the deals held, and more than a handful, is not deleted.
MAX_SHARE = 0.5
HANDFUL = 5


class ListingIncomplete(CrmError):
    """The CRM's list of IDs cannot be trusted whole: nothing is deleted from it."""


@dataclass
class Listing:
    ids: set[str] = field(default_factory=set)
    total: int = 0


def deal_ids(portal: b24.Portal) -> Listing:
    """Every deal ID of the portal (`crm.deal.list`, select ID, 50 a page, 50 pages to a
    batch). Raises `ListingIncomplete` unless the IDs read are as many as the `total`
    every page announced (a deal created or deleted while the pages are read shifts the
    pages: one could be read twice and another skipped)."""
    params = {"select": ["ID"], "order": {"ID": "ASC"}}
    first = portal.batch({"ids": ("crm.deal.list", {**params, "start": 0})})["ids"]
    found = Listing(total=first.total if first.total is not None else -1)
    read = _ids(first.result)
    totals = {first.total}
    for page in portal.rest_pages(first, "crm.deal.list", params):
        totals.add(page.total)
        read += _ids(page.result)
    found.ids = set(read)
    if len(totals) != 1 or len(read) != found.total or len(found.ids) != len(read):
        raise ListingIncomplete(
            gettext_noop(
                "Bitrix24 listed %(read)d deal IDs where it announced %(total)s: the daily "
                "check deleted nothing and tries again in an hour."
            ),
            read=len(found.ids),
            total=" / ".join(str(t) for t in sorted(totals, key=lambda t: (t is None, t))),
        )
    return found


def _ids(result: object) -> list[str]:
    return [
        str(row["ID"]) for row in b24.rows_of(result) if isinstance(row, dict) and row.get("ID")
    ]


@dataclass
class Verdict:
    missing: list[str]  # held here, not in the CRM
    held: int
    refused: bool  # too many to delete at once


def judge(held: Iterable[str], listed: set[str]) -> Verdict:
    """The deals held here the CRM did not list, and whether deleting them is refused."""
    held = set(held)
    missing = sorted(held - listed, key=lambda i: (len(i), i))
    refused = len(missing) > HANDFUL and len(missing) > MAX_SHARE * len(held)
    return Verdict(missing, len(held), refused)


@dataclass
class Confirmed:
    gone: list[str]  # Bitrix24 answers "Not found": deleted
    unreadable: list[str]  # "Access denied" (or another refusal): there, not ours to judge


def confirm_gone(portal: b24.Portal, ids: Iterable[str]) -> Confirmed:
    """Ask `crm.deal.get` about each deal a listing lacked (50 to a batch request).

    A list only shows what the webhook's user may read: a user limited to their own
    department lists part of the portal, and the rest would look deleted. `crm.deal.get`
    tells the two apart ("Not found" against "Access denied"); a deal it returns was
    only skipped by the listing. Only "Not found" is a deletion."""
    ids = list(ids)
    errors: dict[str, str] = {}
    names = {f"d{i}": i for i in ids}
    portal.batch({name: ("crm.deal.get", {"id": i}) for name, i in names.items()}, errors)
    gone = [names[n] for n, text in errors.items() if text.strip().lower() == "not found"]
    gone_set = set(gone)
    return Confirmed(
        gone=[i for i in ids if i in gone_set],
        unreadable=[names[n] for n in errors if names[n] not in gone_set],
    )
