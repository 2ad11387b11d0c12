"""amoCRM (Kommo) API v4 and its webhooks, in plain Python.

- Leads (`/api/v4/leads`) become `DealRecord`s as an amoCRM export's rows do, so a lead
  pulled and the same lead in a file are one deal: the lead ID is its identity, the stage
  is the status's NAME (from `/api/v4/leads/pipelines`), the close date is `closed_at`,
  else `updated_at` (the export's «Дата закрытия», else «Дата редактирования»).
- Statuses 142 and 143 are won and lost in every pipeline whatever they are called;
  other statuses are the admin's to map, as for files.
- Users (`/api/v4/users`) are matched to employees by the explicit mapping, the CRM id
  set on the employee, the e-mail, then the full name; a user matching nobody is listed.
- Webhooks come as a form with PHP-style keys (`leads[status][0][id]=123`); `read_hook`
  takes whatever arrives, cut off or odd, into the lead ids that changed or went.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from salespulse.lib.crm.formats import (
    EARLIEST_DAY,
    LATEST_AHEAD,
    DealRecord,
    RowError,
    parse_amount,
)
from salespulse.lib.crm.stages import StageKind
from salespulse.lib.tabular import TabularError, gettext_noop

WON = 142
LOST = 143
CLOSING = {WON: StageKind.WON, LOST: StageKind.LOST}
# amoCRM's own names, for a lead whose pipeline we were not told about.
DEFAULT_NAMES = {WON: "Успешно реализовано", LOST: "Закрыто и не реализовано"}
PAGE = 250  # the most amoCRM gives in one page
PER_SECOND = 7  # amoCRM's limit for an integration
HOOK_CHANGES = ("add", "update", "status", "responsible", "restore")
HOOK_DELETES = ("delete",)


def embedded(data: Any, name: str) -> list[dict[str, Any]]:
    """`_embedded.<name>` of an answer, [] for an empty one (204, null, odd shapes)."""
    if not isinstance(data, Mapping):
        return []
    inner = data.get("_embedded")
    items = inner.get(name) if isinstance(inner, Mapping) else None
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def next_link(data: Any) -> str:
    """`_links.next.href`, "" on the last page."""
    if not isinstance(data, Mapping):
        return ""
    links = data.get("_links")
    nxt = links.get("next") if isinstance(links, Mapping) else None
    href = nxt.get("href") if isinstance(nxt, Mapping) else None
    return href if isinstance(href, str) else ""


# --- pipelines ---------------------------------------------------------------------------


@dataclass
class Statuses:
    """Status names by (pipeline, status) and the closing kinds they carry."""

    names: dict[tuple[int, int], str] = field(default_factory=dict)
    pipelines: int = 0

    @classmethod
    def read(cls, data: Any) -> Statuses:
        found = cls()
        for pipeline in embedded(data, "pipelines"):
            found.pipelines += 1
            for status in embedded(pipeline, "statuses"):
                pipeline_id = _int(status.get("pipeline_id")) or _int(pipeline.get("id"))
                status_id = _int(status.get("id"))
                name = str(status.get("name") or "").strip()
                if status_id is not None and name:
                    found.names[(pipeline_id or 0, status_id)] = name[:200]
        return found

    def name(self, pipeline_id: int | None, status_id: int | None) -> str:
        if status_id is None:
            return ""
        found = self.names.get((pipeline_id or 0, status_id))
        if found is None:  # a status id is the account's, pipelines aside (but 142/143)
            found = next((n for (_p, s), n in self.names.items() if s == status_id), None)
        return found or DEFAULT_NAMES.get(status_id) or str(status_id)

    def closing(self) -> dict[str, StageKind]:
        """Every name 142 and 143 go by, with their kind: what the admin need not map."""
        named = {n: CLOSING[s] for (_p, s), n in self.names.items() if s in CLOSING}
        return {**{n: CLOSING[s] for s, n in DEFAULT_NAMES.items()}, **named}


# --- users -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AmoUser:
    id: int
    name: str
    email: str = ""


def read_users(data: Any) -> list[AmoUser]:
    users = []
    for item in embedded(data, "users"):
        user_id = _int(item.get("id"))
        if user_id is not None:
            users.append(
                AmoUser(user_id, str(item.get("name") or "").strip(), _text(item.get("email")))
            )
    return users


# --- leads -------------------------------------------------------------------------------


def lead_ids(leads: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(i) for lead in leads if (i := _int(lead.get("id"))) is not None]


def linked(lead: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The lead's company and main contact ids (`_embedded`), the client's candidates."""
    company = contact = None
    emb = lead.get("_embedded")
    if isinstance(emb, Mapping):
        for item in emb.get("companies") or []:
            if isinstance(item, Mapping) and (company := _int(item.get("id"))) is not None:
                break
        contacts = [c for c in emb.get("contacts") or [] if isinstance(c, Mapping)]
        contacts.sort(key=lambda c: not c.get("is_main"))
        for item in contacts:
            if (contact := _int(item.get("id"))) is not None:
                break
    return company, contact


def names_of(data: Any, entity: str) -> dict[int, str]:
    """{id: name} of a `/api/v4/companies` or `/api/v4/contacts` page."""
    found = {}
    for item in embedded(data, entity):
        entity_id = _int(item.get("id"))
        name = str(item.get("name") or "").strip()
        if entity_id is not None and name:
            found[entity_id] = name
    return found


def read_leads(
    leads: Iterable[Mapping[str, Any]],
    *,
    statuses: Statuses,
    sellers: Mapping[int, str],
    users: Mapping[int, AmoUser],
    clients: Mapping[tuple[str, int], str],
    currency: str,
) -> Iterator[DealRecord | RowError]:
    """Deal records of a page of leads; a lead that cannot be read is a `RowError`
    whose line is the lead's ID.

    `sellers`: user id -> employee login (`match_users`); an unmatched user's name is
    written instead, so the pipeline reports them by name. `clients`: ("companies" or
    "contacts", id) -> name.
    """
    for lead in leads:
        lead_id = _int(lead.get("id"))
        if lead_id is None:
            continue
        if lead.get("is_deleted"):
            continue
        try:
            yield _lead(lead_id, lead, statuses, sellers, users, clients, currency)
        except TabularError as e:
            yield RowError(lead_id, e.message, e.params)


def _lead(
    lead_id: int,
    lead: Mapping[str, Any],
    statuses: Statuses,
    sellers: Mapping[int, str],
    users: Mapping[int, AmoUser],
    clients: Mapping[tuple[str, int], str],
    currency: str,
) -> DealRecord:
    user_id = _int(lead.get("responsible_user_id"))
    if user_id is None:
        raise TabularError(gettext_noop("Deal %(id)s has no responsible person."), id=lead_id)
    user = users.get(user_id)
    seller = sellers.get(user_id) or (user.name if user and user.name else f"amoCRM #{user_id}")
    company, contact = linked(lead)
    client = ""
    if company is not None:
        client = clients.get(("companies", company), "")
    if not client and contact is not None:
        client = clients.get(("contacts", contact), "")
    price = lead.get("price")
    closed = moment(lead.get("closed_at")) or moment(lead.get("updated_at"))
    return DealRecord(
        line=lead_id,
        external_id=str(lead_id),
        title=str(lead.get("name") or "")[:300],
        client=client[:300],
        seller=seller,
        stage=statuses.name(_int(lead.get("pipeline_id")), _int(lead.get("status_id"))),
        amount=parse_amount("" if price is None else str(price)),
        currency=currency,
        created_at=moment(lead.get("created_at")),
        closed_at=closed,
    )


def moment(value: Any) -> datetime | None:
    """An API time (epoch seconds, UTC) as an aware datetime; None when absent or zero.

    Refused (`TabularError`) outside 2000 .. a year ahead, as an export's dates are."""
    seconds = _int(value)
    if not seconds:
        return None
    try:
        found = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        found = None
    if found is None or not EARLIEST_DAY <= found.date() <= date.today() + LATEST_AHEAD:
        raise TabularError(gettext_noop("An implausible date: '%(value)s'"), value=str(value)[:60])
    return found


FINGERPRINTED = ("name", "price", "responsible_user_id", "status_id", "pipeline_id",
                 "created_at", "closed_at", "is_deleted")  # fmt: skip


def fingerprint(lead: Mapping[str, Any]) -> str:
    """What of a lead becomes a deal, hashed: the same lead read twice within one
    `updated_at` second is told apart from one saved again within it."""
    read = [lead.get(k) for k in FINGERPRINTED]
    text = json.dumps([*read, *linked(lead)], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def updated(leads: Iterable[Mapping[str, Any]]) -> int:
    """The latest `updated_at` of the leads (0 for none): the next sync's watermark."""
    return max((_int(lead.get("updated_at")) or 0 for lead in leads), default=0)


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: str
    lead_id: str
    created_at: int


def deleted_leads(data: Any) -> list[Event]:
    """The `lead_deleted` events of a `/api/v4/events` page (others, and odd ones, left out)."""
    found = []
    for item in embedded(data, "events"):
        lead_id, at = _int(item.get("entity_id")), _int(item.get("created_at"))
        if item.get("type") != "lead_deleted" or item.get("entity_type") != "lead":
            continue
        if lead_id is not None and at is not None and item.get("id") is not None:
            found.append(Event(str(item["id"]), str(lead_id), at))
    return found


# --- webhooks ----------------------------------------------------------------------------

_KEY = re.compile(r"([^\[\]]*)((?:\[[^\[\]]*\])*)")
_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 8


def parse_form(body: bytes | str) -> dict[str, Any]:
    """A PHP-style form (`a[b][0][c]=1`) as nested dicts; never raises.

    What real bodies hold is taken as it comes: a key cut off mid-way (kept under what
    was read), a key both a value and a branch (`values[0]=x` beside `values[0][value]=y`:
    the branch wins), brackets unclosed, bytes that are not UTF-8.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    tree: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        head, rest = _KEY.match(key).groups()  # type: ignore[union-attr]
        path = [head, *_PART.findall(rest)][:MAX_DEPTH]
        node = tree
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not isinstance(node.get(path[-1]), dict):
            node[path[-1]] = value
    return tree


@dataclass
class Hook:
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    subdomain: str = ""


def read_hook(body: bytes | str) -> Hook:
    """The lead ids an amoCRM webhook names: changed (added, updated, moved, handed to
    someone, restored) and deleted. Ids that are not numbers are left out."""
    form = parse_form(body)
    hook = Hook()
    leads = form.get("leads")
    if isinstance(leads, dict):
        for event, items in leads.items():
            target = hook.deleted if event in HOOK_DELETES else hook.changed
            if event not in HOOK_CHANGES and event not in HOOK_DELETES:
                continue
            for item in items.values() if isinstance(items, dict) else []:
                lead_id = item.get("id") if isinstance(item, dict) else None
                if (found := _int(lead_id)) is not None:
                    target.append(str(found))
    account = form.get("account")
    if isinstance(account, dict) and isinstance(account.get("subdomain"), str):
        hook.subdomain = account["subdomain"].strip()
    hook.changed = _unique(hook.changed)
    deleted = set(hook.deleted)
    hook.deleted = _unique(hook.deleted)
    hook.changed = [i for i in hook.changed if i not in deleted]
    return hook


def subdomain_of(url: str) -> str:
    """`x` of https://x.amocrm.ru or https://x.kommo.com; "" for other hosts."""
    host = urllib.parse.urlsplit(url).hostname or ""
    for suffix in (".amocrm.ru", ".amocrm.com", ".kommo.com"):
        if host.endswith(suffix):
            return host[: -len(suffix)]
    return ""


# --- values ------------------------------------------------------------------------------


_DIGITS = re.compile(r"[0-9]{1,18}")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
