"""amoCRM: the leads deleted since the last sync, from the account's events.

`/api/v4/leads` gives only leads that exist, so a sync never sees one deleted; the webhook
says so, when the account has one that reaches us. Each sync therefore also reads the
`lead_deleted` events (`/api/v4/events`, `filter[type]=lead_deleted`,
`filter[created_at][from]`, 100 a page, `_links.next`, 204 when none) since its own
watermark, kept in `source.options["events"]`: the latest event's second (amoCRM's clock)
and the events of that second already read, since the next sync reads from that second
again (one saved later within it is not lost). A lead named is deleted here only once
`/leads?filter[id][]=…` no longer gives it: a lead restored from the bin is back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from salespulse.crm.importer import delete_deals
from salespulse.lib.crm import amocrm
from salespulse.lib.crm.http import JsonClient

PAGE = 100  # the most amoCRM gives of events in one page


@dataclass
class Mark:
    since: int | None  # None: never read (the first sync starts from what it listed)
    seen: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, options: dict[str, Any], watermark: str) -> Mark:
        kept = options.get("events")
        if isinstance(kept, dict) and isinstance(kept.get("since"), int):
            return cls(kept["since"], set(kept.get("seen") or []))
        # A source synced before events were read starts from its leads' watermark.
        return cls(int(watermark) if watermark.isdigit() else None)

    def stored(self) -> dict[str, Any]:
        return {"since": self.since, "seen": sorted(self.seen)}


def deleted_since(api: JsonClient, mark: Mark) -> tuple[list[str], Mark]:
    """The leads named deleted since `mark`, and the mark to read from next time."""
    from salespulse.sources.connectors.amocrm import _query, follow  # it imports this module

    assert mark.since is not None
    query = {"filter[type]": "lead_deleted", "filter[created_at][from]": mark.since,
             "limit": PAGE, "page": 1}  # fmt: skip
    data = api.get("events?" + _query(query))
    leads: list[str] = []
    latest, seen = mark.since, set(mark.seen)
    while data:
        for event in amocrm.deleted_leads(data):
            if event.created_at < mark.since or (
                event.created_at == mark.since and event.id in mark.seen
            ):
                continue  # read by an earlier sync
            leads.append(event.lead_id)
            if event.created_at > latest:
                latest, seen = event.created_at, set()
            if event.created_at == latest:
                seen.add(event.id)
        href = amocrm.next_link(data)
        data = api.get(follow(api, href)) if href else None
    return list(dict.fromkeys(leads)), Mark(latest, seen)


def forget_deleted(pull: Any, mark: Mark) -> Mark:
    """Delete the leads named deleted since `mark` that amoCRM no longer gives (`pull`: the
    sync's `amocrm.Pull`; the leads it still gives are read and saved as any); the mark
    to read from next time."""
    named, mark = deleted_since(pull.api, mark)
    if named:
        pull.found = set()
        pull.by_id(named)
        gone = [i for i in named if i not in pull.found]
        delete_deals(gone, pull.source.stored_as, pull.result)
    return mark


def first_mark(latest_lead: int, now: float) -> Mark:
    """Where a source's first sync leaves the events: its newest lead's second (amoCRM's
    clock), else now; what was deleted before the first listing was not listed."""
    return Mark(latest_lead or int(now))
