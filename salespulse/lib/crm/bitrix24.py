"""Bitrix24 through an incoming webhook: its REST answers into deal records.

A webhook address (``https://PORTAL.bitrix24.ru/rest/USER_ID/CODE/``) is the whole
credential: methods are posted to it by name. Lists come 50 rows a page with ``total`` and
``next``; ``batch`` runs up to 50 commands in one request, which is what keeps a backfill of
thousands of deals within the portal's limit of about two requests a second.

Won and lost are read from each stage's semantics (``S`` success, ``F`` failure), never
from its name: a pipeline's won stage may be called «Первая оплата получена». A stage
without semantics (older portals) is judged by its ID, which Bitrix24 keeps as ``WON`` and
``LOSE`` (``C8:WON`` in pipeline 8) whatever the stage is renamed to.

Plain Python: `Portal` talks through `salespulse.lib.crm.http.JsonClient`; the rest turns
JSON into `DealRecord`s for the one deal pipeline (`salespulse.crm.importer.save_deals`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from salespulse.lib.crm.formats import DealRecord, Moment, RowError, parse_amount, parse_moment
from salespulse.lib.crm.http import CrmError, JsonClient, Throttled
from salespulse.lib.crm.stages import StageKind, stage_key
from salespulse.lib.tabular import TabularError, gettext_noop

PAGE = 50  # rows per list page: fixed by Bitrix24
MAX_COMMANDS = 50  # commands per batch: fixed by Bitrix24
# Re-read what changed shortly before the watermark: a deal saved in a transaction still
# open when we listed may carry an earlier DATE_MODIFY than deals we already saw.
OVERLAP = timedelta(minutes=10)
DEAL_TYPE = 2  # crm.category.list's entityTypeId of deals

DEAL_SELECT = [
    "ID", "TITLE", "STAGE_ID", "CATEGORY_ID", "STAGE_SEMANTIC_ID", "OPPORTUNITY", "CURRENCY_ID",
    "ASSIGNED_BY_ID", "COMPANY_ID", "CONTACT_ID", "DATE_CREATE", "DATE_MODIFY", "MOVED_TIME",
    "IS_RETURN_CUSTOMER", "IS_REPEATED_APPROACH",
]  # fmt: skip
USER_FIELDS = ("ID", "NAME", "LAST_NAME", "SECOND_NAME", "EMAIL", "ACTIVE")


class Bitrix24Error(CrmError):
    """Bitrix24 answered with an error of its own (a method or scope missing, bad filter)."""


def check(data: Any) -> None:
    """`JsonClient`'s check: Bitrix24 says "slow down" and other errors in the body."""
    if not isinstance(data, dict) or "error" not in data:
        return
    error = str(data.get("error") or "")
    if error == "QUERY_LIMIT_EXCEEDED":
        raise Throttled(error)
    raise Bitrix24Error(
        "Bitrix24 answered %(error)s: %(description)s",
        error=error[:100], description=str(data.get("error_description") or "—")[:200],
    )  # fmt: skip


def php_query(params: Mapping[str, Any]) -> str:
    """A query string as PHP's http_build_query writes it (``filter[>DATE_MODIFY]=…``,
    ``select[0]=ID``): how a batch command carries its parameters."""
    pairs: list[tuple[str, str]] = []

    def add(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                add(f"{prefix}[{k}]", v)
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                add(f"{prefix}[{i}]", v)
        elif value is not None:
            pairs.append((prefix, str(value)))

    for key, value in params.items():
        add(str(key), value)
    return urllib.parse.urlencode(pairs)


@dataclass
class Page:
    """One list answer: its rows, how many there are in all, and where the next page starts."""

    result: Any
    total: int | None = None
    next: int | None = None


Command = tuple[str, dict[str, Any]]


class Portal:
    """A Bitrix24 portal behind one incoming webhook."""

    def __init__(self, client: JsonClient) -> None:
        self.client = client
        self.client.check = check

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Page:
        data = self.client.post(method, dict(params or {}))
        if not isinstance(data, dict) or "result" not in data:
            raise Bitrix24Error("Bitrix24 answered without a result to %(method)s.", method=method)
        return Page(data["result"], _int(data.get("total")), _int(data.get("next")))

    def batch(
        self, commands: Mapping[str, Command], errors: dict[str, str] | None = None
    ) -> dict[str, Page]:
        """Every command's answer by its name, 50 commands to a request.

        A command Bitrix24 answers with an error fails the whole batch, unless `errors` is
        given: then its error_description is put there by the command's name instead."""
        names = list(commands)
        pages: dict[str, Page] = {}
        for i in range(0, len(names), MAX_COMMANDS):
            part = names[i : i + MAX_COMMANDS]
            cmd = {n: f"{commands[n][0]}?{php_query(commands[n][1])}" for n in part}
            answer = self.call("batch", {"halt": 0, "cmd": cmd}).result
            if not isinstance(answer, dict):
                raise Bitrix24Error("Bitrix24 answered a batch with no results.")
            failed = _mapping(answer.get("result_error"))
            for name in part:
                if name in failed:
                    error = failed[name] if isinstance(failed[name], dict) else {}
                    if errors is not None:
                        errors[name] = str(error.get("error_description") or "")
                        continue
                    raise Bitrix24Error(
                        "Bitrix24 answered %(error)s: %(description)s",
                        error=str(error.get("error", "?"))[:100],
                        description=str(error.get("error_description") or "—")[:200],
                    )
            results = _mapping(answer.get("result"))
            totals, nexts = (
                _mapping(answer.get("result_total")),
                _mapping(answer.get("result_next")),
            )
            for name in part:
                if errors is not None and name in errors:
                    continue
                if name not in results:
                    raise Bitrix24Error("Bitrix24 answered a batch with no results.")
                pages[name] = Page(results[name], _int(totals.get(name)), _int(nexts.get(name)))
        return pages

    def rest(self, first: Page, method: str, params: Mapping[str, Any]) -> Iterator[list[Any]]:
        """The rows of each page after `first` of a list."""
        for page in self.rest_pages(first, method, params):
            yield rows_of(page.result)

    def rest_pages(self, first: Page, method: str, params: Mapping[str, Any]) -> Iterator[Page]:
        """The pages after `first` of a list, fetched by batches of 50 pages."""
        if first.next is None or first.total is None:
            return
        starts = list(range(first.next, first.total, PAGE))
        for i in range(0, len(starts), MAX_COMMANDS):
            part = starts[i : i + MAX_COMMANDS]
            pages = self.batch({f"p{s}": (method, {**params, "start": s}) for s in part})
            for s in part:
                yield pages[f"p{s}"]

    def every(self, method: str, params: Mapping[str, Any]) -> list[Any]:
        first = self.call(method, {**params, "start": 0})
        rows = rows_of(first.result)
        for page in self.rest(first, method, params):
            rows.extend(page)
        return rows


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _mapping(value: Any) -> dict[str, Any]:
    # PHP's empty array is JSON [] where a filled one is an object.
    return value if isinstance(value, dict) else {}


def rows_of(result: Any) -> list[Any]:
    if isinstance(result, list):
        return result
    if isinstance(result, dict):  # crm.category.list: {"categories": [...]}
        for value in result.values():
            if isinstance(value, list):
                return value
    return []


# --- what to ask -------------------------------------------------------------------------


def deal_filter(watermark: str, since: str = "") -> dict[str, str]:
    """Deals changed after the watermark less the overlap; all of them from `since` (a
    date) on the first sync, or every deal."""
    if watermark:
        moment = datetime.fromisoformat(watermark) - OVERLAP
        return {">DATE_MODIFY": moment.isoformat()}
    return {">=DATE_MODIFY": since} if since else {}


def deal_params(flt: Mapping[str, Any]) -> dict[str, Any]:
    return {"filter": dict(flt), "select": DEAL_SELECT, "order": {"ID": "ASC"}}


def stage_entity(category: int) -> str:
    return "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"


def stage_commands(categories: Iterable[int]) -> dict[str, Command]:
    return {
        f"stages{c}": ("crm.status.list", {"filter": {"ENTITY_ID": stage_entity(c)}})
        for c in sorted(set(categories) | {0})
    }


def category_ids(result: Any) -> list[int]:
    ids = []
    for row in rows_of(result):
        if isinstance(row, dict) and (i := _int(row.get("id", row.get("ID")))) is not None:
            ids.append(i)
    return ids


def later(a: str, b: str) -> str:
    """The later of two DATE_MODIFY values ("" for none)."""
    if not a or not b:
        return a or b
    return a if datetime.fromisoformat(a) >= datetime.fromisoformat(b) else b


# --- stages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    id: str  # STATUS_ID as deals carry it: "NEW", "C8:WON", "C8:PREPAYMENT_INVOICE"
    name: str
    kind: StageKind


def stage_kind(status_id: str, semantics: Any = None) -> StageKind:
    """Won or lost from the semantics Bitrix24 keeps (``S``/``F``, or ``EXTRA.SEMANTICS``
    ``success``/``failure``); without them from the ID, which renaming does not change."""
    mark = str(semantics or "").strip().upper()[:1]
    if mark == "S":
        return StageKind.WON
    if mark == "F":
        return StageKind.LOST
    if mark == "P":
        return StageKind.LEAD if _bare(status_id) == "NEW" else StageKind.IN_PROGRESS
    bare = _bare(status_id)
    if bare == "WON":
        return StageKind.WON
    if bare == "LOSE":
        return StageKind.LOST
    return StageKind.LEAD if bare == "NEW" else StageKind.IN_PROGRESS


def _bare(status_id: str) -> str:
    return status_id.rpartition(":")[2].upper()


def read_stages(rows: Iterable[Any]) -> list[Stage]:
    stages = []
    for row in rows:
        if not isinstance(row, dict) or not row.get("STATUS_ID"):
            continue
        extra = row.get("EXTRA") if isinstance(row.get("EXTRA"), dict) else {}
        semantics = row.get("SEMANTICS") or extra.get("SEMANTICS")
        status_id = str(row["STATUS_ID"])
        name = str(row.get("NAME") or "").strip() or status_id
        stages.append(Stage(status_id, name, stage_kind(status_id, semantics)))
    return stages


def stage_names(stages: Iterable[Stage]) -> dict[str, Stage]:
    """What each STAGE_ID is stored as: its name, as the file export writes it.

    A deal keeps its stage by name (not ID) so that the same deal pulled from the portal
    and read from a deal-list export (which writes DEAL_STAGE_NAME) meets the same
    `crm.Stage` row. Two pipelines may both have an «Оплата» that means different things;
    such a name is ambiguous, and those stages are stored by their ID (what the export
    writes for a stage without a name) so neither takes the other's kind.
    """
    stages = list(stages)
    kinds: dict[str, set[StageKind]] = {}
    for s in stages:
        kinds.setdefault(stage_key(s.name), set()).add(s.kind)
    return {
        s.id: s if len(kinds[stage_key(s.name)]) == 1 else Stage(s.id, s.id, s.kind) for s in stages
    }


# --- people ------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str


def read_users(rows: Iterable[Any]) -> dict[str, User]:
    users = {}
    for row in rows:
        if not isinstance(row, dict) or not row.get("ID"):
            continue
        words = (row.get("NAME"), row.get("SECOND_NAME"), row.get("LAST_NAME"))
        name = " ".join(str(w).strip() for w in words if w and str(w).strip())
        users[str(row["ID"])] = User(str(row["ID"]), name, str(row.get("EMAIL") or "").strip())
    return users


# --- deals -------------------------------------------------------------------------------


@dataclass
class Clients:
    """Company titles and contact names by id, as the deals refer to them."""

    companies: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)

    def add_companies(self, rows: Iterable[Any]) -> None:
        for row in rows:
            if isinstance(row, dict) and row.get("ID"):
                self.companies[str(row["ID"])] = str(row.get("TITLE") or "").strip()

    def add_contacts(self, rows: Iterable[Any]) -> None:
        for row in rows:
            if isinstance(row, dict) and row.get("ID"):
                # The export's «Контакт» is the formatted name, first name first.
                words = (row.get("NAME"), row.get("SECOND_NAME"), row.get("LAST_NAME"))
                name = " ".join(str(w).strip() for w in words if w and str(w).strip())
                self.contacts[str(row["ID"])] = name


def ref(value: Any) -> str:
    """A linked id: "" for none (Bitrix24 writes "0" or null)."""
    text = str(value or "").strip()
    return "" if text in ("", "0") else text


def client_ids(deals: Iterable[Mapping[str, Any]]) -> tuple[set[str], set[str]]:
    """Companies of the deals, and contacts of those without a company."""
    companies, contacts = set(), set()
    for d in deals:
        if c := ref(d.get("COMPANY_ID")):
            companies.add(c)
        elif c := ref(d.get("CONTACT_ID")):
            contacts.add(c)
    return companies, contacts


def by_ids(method: str, ids: Iterable[str], select: list[str]) -> dict[str, Command]:
    """Batch commands reading rows by id, 50 to a command (one page each)."""
    ids = sorted(ids, key=lambda i: (len(i), i))
    return {
        f"{method}{n}": (method, {"filter": {"@ID": ids[n : n + PAGE]}, "select": select})
        for n in range(0, len(ids), PAGE)
    }


def _flag(value: Any) -> bool:
    return str(value or "").strip().upper() == "Y"


def deal_record(
    raw: Mapping[str, Any],
    line: int,
    stages: Mapping[str, Stage],
    clients: Clients,
    seller: str,
    tz: tzinfo,
) -> DealRecord | RowError:
    """One deal of crm.deal.list as the pipeline takes it (`seller`: the employee's login).

    Its day is MOVED_TIME, when it entered its current stage: for a won deal the moment it
    was won. CLOSEDATE is not used: Bitrix24 fills it with a planned date when the deal is
    created and keeps it unless it is empty at closing. DATE_MODIFY stands in on portals
    whose deals have no MOVED_TIME.
    """
    deal_id = str(raw.get("ID") or "").strip()
    if not deal_id:
        return RowError(line, gettext_noop("The deal has no ID."))
    stage_id = str(raw.get("STAGE_ID") or "")
    stage = stages.get(stage_id)
    name = stage.name if stage else stage_id
    try:
        moved = _moment(raw.get("MOVED_TIME"), tz) or _moment(raw.get("DATE_MODIFY"), tz)
        created = _moment(raw.get("DATE_CREATE"), tz)
        amount = parse_amount(str(raw.get("OPPORTUNITY") or ""))
    except TabularError as e:
        return RowError(line, e.message, {**e.params})
    company, contact = ref(raw.get("COMPANY_ID")), ref(raw.get("CONTACT_ID"))
    client = clients.companies.get(company, "") or clients.contacts.get(contact, "")
    client_id = f"company {company}" if company else (f"contact {contact}" if contact else "")
    currency = str(raw.get("CURRENCY_ID") or "").strip().upper()
    return DealRecord(
        line=line,
        external_id=deal_id[:200],
        title=str(raw.get("TITLE") or "")[:300],
        client=client[:300],
        client_id=client_id,
        seller=seller,
        stage=name,
        amount=amount,
        currency=currency if len(currency) == 3 else "RUB",
        created_at=created,
        closed_at=moved,
        repeat=_flag(raw.get("IS_RETURN_CUSTOMER")) or _flag(raw.get("IS_REPEATED_APPROACH")),
    )


def _moment(value: Any, tz: tzinfo) -> Moment | None:
    text = str(value or "").strip()
    return parse_moment(text, tz) if text else None
