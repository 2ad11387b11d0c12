"""CRM imports: deal and client records into rows, idempotently, then the day facts.

One path for files (`crm.files`: CLI, web upload), the API and the CRM connectors:
records are checked row by row (a bad row is reported with its line and reason, the good
ones are kept; a file refused whole is refused before anything is written), then written
in batches, each in one transaction with the facts it changed (a failure leaves no
half-written batch; see `_batches`), and re-importing the same records changes nothing.
A deal whose stage, amount or date moved is updated, and the facts of every day it left
or reached are recomputed.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext

from salespulse.crm import facts, portfolio
from salespulse.crm.clients import (
    chunks,
    ensure_clients,
    infer_managers,
    link_deals,
    recompute_repeats,
)
from salespulse.crm.models import COMPANY_CURRENCY, Client, Deal, ImportRun, Stage
from salespulse.crm.sql import insert_rows
from salespulse.kpis.models import DailyFact
from salespulse.lib.crm.formats import ClientRecord, DealRecord, Moment, RowError
from salespulse.lib.crm.names import PersonIndex, client_key
from salespulse.lib.crm.stages import StageKind, guess_kind, stage_key, status_of
from salespulse.lib.tabular import gettext_noop
from salespulse.org.models import Employee

MAX_LISTED_ERRORS = 1000
BATCH_SIZE = 10_000  # deals or clients per transaction: about a second each
LOCK_PAUSE = 0.12  # seconds SQLite's write lock stays free between batches (see _batches)


@dataclass
class ImportResult:
    kind: str = "deals"
    source: str = ""
    format: str = ""
    file_name: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    clients_created: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    new_stages: list[str] = field(default_factory=list)
    other_currency: int = 0
    facts_changed: int = 0
    seconds: float = 0.0
    run_id: int | None = None

    def error(self, item: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(item)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, messages in the active language."""

        def lines(items: list[RowError]) -> list[dict[str, Any]]:
            return [{"line": e.line, "message": e.text(gettext)} for e in items]

        return {
            "kind": self.kind,
            "source": self.source,
            "format": self.format,
            "file": self.file_name,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "clients_created": self.clients_created,
            "error_count": self.error_count,
            "errors": lines(self.errors),
            "warnings": lines(self.warnings),
            "new_stages": self.new_stages,
            "other_currency": self.other_currency,
            "facts_changed": self.facts_changed,
            "seconds": round(self.seconds, 2),
            "run": self.run_id,
        }


def company_tz() -> tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def _people() -> tuple[PersonIndex, dict[int, ZoneInfo]]:
    rows = list(
        Employee.objects.values_list(
            "pk", "crm_id", "user__username", "user__first_name", "user__last_name", "timezone"
        )
    )
    index = PersonIndex(
        (pk, crm, login, f"{first} {last}") for pk, crm, login, first, last, _ in rows
    )
    return index, {pk: ZoneInfo(tz) for pk, *_, tz in rows}


UNKNOWN_SELLER = gettext_noop(
    "Unknown responsible person '%(name)s': set their full name or CRM id on the employee, "
    "then import again."
)
UNKNOWN_MANAGER = gettext_noop(
    "Unknown account manager '%(name)s': set their full name or CRM id on the employee, "
    "then import again."
)


def _person(
    people: PersonIndex, crm_id: str, name: str, line: int, result: ImportResult, unknown: str
) -> int | None:
    """The employee a row names, by CRM id when it has one, else by name; unknown: the
    row is refused with `unknown` and None is returned."""
    found = people.by_crm_id(crm_id) if crm_id else people.find(name)
    if found is None:
        result.error(RowError(line, unknown, {"name": (name or crm_id)[:80]}))
    return found


def _aware(moment: Moment, tz: tzinfo) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.combine(moment, time.min, tzinfo=tz)


def _local_day(moment: Moment, tz: tzinfo) -> date:
    # A bare date is already the seller's local day: converting it would move it.
    if isinstance(moment, datetime):
        return moment.astimezone(tz).date()
    return moment


class _Touched:
    """Seller-days and clients an import changed: what the facts must follow."""

    def __init__(self) -> None:
        self.seller_days: dict[int, tuple[date, date]] = {}
        self.clients: set[int] = set()
        self.managers: set[int] = set()
        self.portfolios: set[int] = set()  # managers whose client list changed
        self.span: tuple[date, date] | None = None  # every day touched, whoever's

    def day(self, employee_id: int, day: date | None) -> None:
        if day is None:
            return
        low, high = self.seller_days.get(employee_id, (day, day))
        self.seller_days[employee_id] = (min(low, day), max(high, day))
        self.any_day(day)

    def any_day(self, day: date | None) -> None:
        """A day whose repeat figures may have moved (a deal's flag did)."""
        if day is not None:
            low, high = self.span or (day, day)
            self.span = (min(low, day), max(high, day))


# --- deals -------------------------------------------------------------------------------

_DEAL_FIELDS = [
    "employee_id", "client_id", "client_key", "title", "stage", "status", "created_at",
    "closed_at", "day", "amount", "currency", "crm_repeat",
]  # fmt: skip


def _stage_kinds(source: str, names: Iterable[str], result: ImportResult) -> dict[str, StageKind]:
    kinds = {
        key: StageKind(kind)
        for key, kind in Stage.objects.filter(source=source).values_list("key", "kind")
    }
    new = []
    for name in sorted(set(names)):
        key = stage_key(name)
        if key in kinds:
            continue
        kind, known = guess_kind(name)
        kinds[key] = kind
        new.append(Stage(source=source, name=name[:200], key=key, kind=kind, confirmed=known))
        if not known:
            result.new_stages.append(name)
    Stage.objects.bulk_create(new, ignore_conflicts=True)
    return kinds


def save_deals(
    records: Iterable[DealRecord],
    source: str,
    result: ImportResult,
    tz: tzinfo | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Upsert deal records under `source` and bring the day facts along, a batch per
    transaction (see `_batches`)."""
    started = clock.monotonic()
    tz = tz or company_tz()
    records = list(records)
    people, zones = _people()
    with transaction.atomic():
        kinds = _stage_kinds(source, (r.stage for r in records), result)
    wanted: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for r in records:
        employee_id = _person(people, r.seller_id, r.seller, r.line, result, UNKNOWN_SELLER)
        if employee_id is None:
            continue
        status = status_of(kinds[stage_key(r.stage)])
        closed_at = day = None
        # Kept for open deals too: an admin who later maps their stage as won gets
        # them counted without a new import.
        if r.closed_at is not None:
            closed_at = _aware(r.closed_at, zones[employee_id])
            day = _local_day(r.closed_at, zones[employee_id])
        if status == Deal.Status.WON and closed_at is None:
            result.error(
                RowError(
                    r.line,
                    gettext_noop("Won deal %(id)s has no close date."),
                    {"id": r.external_id},
                )
            )
            continue
        key = client_key(r.client) or (f"#{r.client_id}" if r.client_id else "")
        if key:
            names.setdefault(key, r.client or r.client_id)
        if status == Deal.Status.WON and r.currency != COMPANY_CURRENCY:
            result.other_currency += 1
        wanted[r.external_id] = {
            "employee_id": employee_id,
            "client_id": key,  # replaced by the id in its batch
            "client_key": (r.client or r.client_id)[:300],
            "title": r.title[:300],
            "stage": r.stage[:200],
            "status": status.value,
            "created_at": _aware(r.created_at, tz) if r.created_at else None,
            "closed_at": closed_at,
            "day": day,
            "amount": r.amount,
            "currency": r.currency,
            "crm_repeat": r.repeat,
        }
    # In the order of their day: a batch's facts then span a few days, not the whole
    # file's, and a client nobody manages goes to whoever closed its first won deal
    # (clients.infer_managers) as if the file were written at once.
    order = sorted(
        wanted, key=lambda i: (wanted[i]["day"] is None, wanted[i]["day"] or date.min,
                               wanted[i]["employee_id"])
    )  # fmt: skip
    for part in _batches(order, batch_size or BATCH_SIZE):
        batch = {external_id: wanted[external_id] for external_id in part}
        with transaction.atomic():
            client_ids, created = ensure_clients(
                {v["client_id"]: names[v["client_id"]] for v in batch.values() if v["client_id"]}
            )
            result.clients_created += created
            for values in batch.values():
                values["client_id"] = client_ids.get(values["client_id"])
            touched = _Touched()
            _upsert(source, batch, result, touched)
            _follow(touched, result)
    result.seconds += clock.monotonic() - started
    return result


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    """The parts an import writes, each in a transaction of its own with the facts it
    changed.

    One transaction for a whole file held SQLite's only write lock for minutes: logins and
    report submissions waited out the busy timeout and failed. A batch is short, and after
    it SQLite's lock stays free for a moment: a connection waiting in its busy handler
    sleeps up to 100 ms between tries and would otherwise find the next batch holding it.
    A failure part-way leaves the batches before it complete with their facts; importing
    the same records again writes the rest (a stored deal is compared, not rewritten).
    """
    pause = LOCK_PAUSE if connection.vendor == "sqlite" else 0.0
    for i in range(0, len(items), size):
        if i and pause:
            clock.sleep(pause)
        yield items[i : i + size]


def _upsert(
    source: str, wanted: dict[str, dict[str, Any]], result: ImportResult, touched: _Touched
) -> None:
    for part in chunks(list(wanted), 2000):
        # Plain tuples, not model instances: a re-import compares 100,000 of them.
        existing = {
            row[0]: row
            for row in Deal.objects.filter(source=source, external_id__in=part).values_list(
                "external_id", "pk", *_DEAL_FIELDS
            )
        }
        to_create, to_update = [], []
        for external_id in part:
            values = wanted[external_id]
            row = existing.get(external_id)
            if row is None:
                touched.day(values["employee_id"], values["day"])
                if values["client_id"]:
                    touched.clients.add(values["client_id"])
            else:
                old = dict(zip(_DEAL_FIELDS, row[2:], strict=True))
                if all(old[f] == values[f] for f in _DEAL_FIELDS):
                    result.unchanged += 1
                    continue
                touched.day(old["employee_id"], old["day"])
                touched.day(values["employee_id"], values["day"])
                touched.clients.update(c for c in (old["client_id"], values["client_id"]) if c)
                to_update.append(row[1])
            to_create.append((source, external_id, *(values[f] for f in _DEAL_FIELDS), False))
        # A changed deal is written anew: nothing refers to a deal row, and Django's
        # bulk_update (one CASE per field and row) is minutes for a large re-export.
        # Its repeat flag is recomputed below with its client's other deals.
        for pks in chunks(to_update):
            Deal.objects.filter(pk__in=pks).delete()
        insert_rows(Deal, ["source", "external_id", *_DEAL_FIELDS, "is_repeat"], to_create)
        result.created += len(to_create) - len(to_update)
        result.updated += len(to_update)


def delete_deals(
    external_ids: Iterable[str], source: str, result: ImportResult, batch_size: int | None = None
) -> ImportResult:
    """Forget deals the CRM deleted: their day figures leave with them (a figure the seller
    typed stays, as for any import). An id never stored is no error. A batch per
    transaction (see `_batches`)."""
    ids = sorted({str(i)[:200] for i in external_ids if str(i)})
    for batch in _batches(ids, batch_size or BATCH_SIZE):
        touched = _Touched()
        with transaction.atomic():
            for part in chunks(batch, 2000):
                gone = Deal.objects.filter(source=source, external_id__in=part)
                for employee_id, day, client_id in gone.values_list(
                    "employee_id", "day", "client_id"
                ):
                    touched.day(employee_id, day)
                    if client_id:
                        touched.clients.add(client_id)
                result.deleted += gone.delete()[0]
            _follow(touched, result)
    return result


def _follow(touched: _Touched, result: ImportResult) -> None:
    """Repeat flags, portfolios and day facts after deals or clients changed."""
    today = timezone.localdate()
    for part in chunks(sorted(recompute_repeats(touched.clients))):
        for day in Deal.objects.filter(pk__in=part).values_list("day", flat=True):
            touched.any_day(day)
    touched.portfolios |= infer_managers(touched.clients)
    for part in chunks(sorted(touched.clients)):
        touched.managers.update(
            Client.objects.filter(pk__in=part, manager__isnull=False).values_list(
                "manager_id", flat=True
            )
        )
    touched.managers |= touched.portfolios
    changed = facts.refresh_seller_facts(touched.seller_days)
    for manager_id in sorted(touched.managers):
        # Only a changed portfolio moves repeat figures outside the days its deals touched.
        low, high = (
            portfolio_span(manager_id) if manager_id in touched.portfolios else touched.span
        ) or (None, None)
        if low is not None and high is not None:
            changed += portfolio.refresh_repeat_facts(manager_id, low, high)
    for manager_id in sorted(touched.portfolios):
        changed += portfolio.refresh_portfolio_facts(manager_id, today)
    result.facts_changed += changed


def portfolio_span(manager_id: int) -> tuple[date | None, date | None]:
    """Every day the manager's repeat figures may sit on: their clients' deals and old facts."""
    deals = portfolio.in_portfolio([manager_id]).aggregate(low=Min("day"), high=Max("day"))
    old = DailyFact.objects.filter(
        employee_id=manager_id, kpi__code__in=portfolio.PORTFOLIO_FACTS
    ).aggregate(low=Min("day"), high=Max("day"))
    lows = [d for d in (deals["low"], old["low"]) if d]
    highs = [d for d in (deals["high"], old["high"]) if d]
    return (min(lows), max(highs)) if lows else (None, None)


def apply_stage_kinds(source: str) -> int:
    """After an admin remapped stages: the source's deals take their stage's status again.

    Returns how many deals changed status.
    """
    kinds = dict(Stage.objects.filter(source=source).values_list("key", "kind"))
    touched = _Touched()
    changed = []
    with transaction.atomic():
        for deal in Deal.objects.filter(source=source).only(
            "pk", "stage", "status", "employee_id", "day", "client_id"
        ):
            kind = StageKind(kinds.get(stage_key(deal.stage), StageKind.IN_PROGRESS))
            status = status_of(kind).value
            if status != deal.status:
                deal.status = status
                changed.append(deal)
                touched.day(deal.employee_id, deal.day)
                if deal.client_id:
                    touched.clients.add(deal.client_id)
        for status in Deal.Status.values:
            pks = [d.pk for d in changed if d.status == status]
            for part in chunks(pks):
                Deal.objects.filter(pk__in=part).update(status=status)
        _follow(touched, ImportResult())
    return len(changed)


def confirm_stages(source: str, kinds: Mapping[str, StageKind]) -> int:
    """Stages whose kind the CRM itself states (Bitrix24's semantics, amoCRM's 142/143),
    by name: stored as checked, so no guess or admin's mapping overrides them; when a
    stored stage changes kind, the source's deals take it at once. Returns the deals that
    changed status."""
    existing = {s.key: s for s in Stage.objects.filter(source=source)}
    moved = False
    with transaction.atomic():
        for name, kind in kinds.items():
            key = stage_key(name)
            stage = existing.get(key)
            if stage is None:
                Stage.objects.get_or_create(
                    source=source, key=key,
                    defaults={"name": name[:200], "kind": kind.value, "confirmed": True},
                )  # fmt: skip
            elif stage.kind != kind.value or not stage.confirmed:
                moved = moved or stage.kind != kind.value
                Stage.objects.filter(pk=stage.pk).update(kind=kind.value, confirmed=True)
    return apply_stage_kinds(source) if moved else 0


# --- clients -----------------------------------------------------------------------------


def save_clients(
    records: Iterable[ClientRecord],
    source: str,
    result: ImportResult,
    batch_size: int | None = None,
) -> ImportResult:
    """Upsert clients with their account manager and handover day, a batch per transaction
    (see `_batches`)."""
    started = clock.monotonic()
    today = timezone.localdate()
    result.kind = "clients"
    people, _zones = _people()
    latest: dict[str, ClientRecord] = {}
    managers: dict[str, int] = {}
    for r in records:
        manager = _person(people, r.manager_id, r.manager, r.line, result, UNKNOWN_MANAGER)
        if manager is None:
            continue
        key = client_key(r.name)
        if key in latest:
            result.warnings.append(
                RowError(
                    r.line,
                    gettext_noop(
                        "Client '%(name)s' appears again (line %(earlier)d): the later row is used."
                    ),
                    {"name": r.name[:60], "earlier": latest[key].line},
                )
            )
        latest[key] = r
        managers[key] = manager
    for part in _batches(list(latest), batch_size or BATCH_SIZE):
        with transaction.atomic():
            _save_client_batch({k: latest[k] for k in part}, managers, today, result)
    result.created = result.clients_created
    result.seconds += clock.monotonic() - started
    return result


def _save_client_batch(
    latest: dict[str, ClientRecord], managers: dict[str, int], today: date, result: ImportResult
) -> None:
    touched = _Touched()
    known: dict[str, int] = {}
    for part in chunks(list(latest)):
        known.update(Client.objects.filter(key__in=part).values_list("key", "pk"))
    new_keys = [k for k in latest if k not in known]
    # New clients are written whole in one go; only existing ones are compared.
    insert_rows(
        Client,
        ["key", "name", "external_id", "manager", "handed_over_on", "assigned_by"],
        (
            (k, latest[k].name[:300], latest[k].external_id, managers[k],
             latest[k].handed_over_on or today, Client.Assigned.IMPORT)
            for k in new_keys
        ),
    )  # fmt: skip
    result.clients_created += len(new_keys)
    for part in chunks(new_keys):
        for pk, manager_id in Client.objects.filter(key__in=part).values_list("pk", "manager_id"):
            touched.clients.add(pk)
            touched.portfolios.add(manager_id)
    clients = Client.objects.in_bulk(list(known.values()))
    clients_before = {pk: (c.name, c.external_id) for pk, c in clients.items()}
    to_update = []
    for key, pk in known.items():
        r, client, manager = latest[key], clients[pk], managers[key]
        handed = r.handed_over_on or (
            client.handed_over_on if client.manager_id == manager else today
        )
        new = (r.name[:300], r.external_id or client.external_id, manager, handed)
        old = (client.name, client.external_id, client.manager_id, client.handed_over_on)
        if new == old and client.assigned_by == Client.Assigned.IMPORT:
            result.unchanged += 1
            continue
        if (client.manager_id, client.handed_over_on) != (manager, handed):
            touched.clients.add(client.pk)
            touched.portfolios.update(m for m in (client.manager_id, manager) if m)
        client.name, client.external_id, client.manager_id, client.handed_over_on = new
        client.assigned_by = Client.Assigned.IMPORT
        to_update.append(client)
    _update_clients(to_update, clients_before)
    result.updated += len(to_update)
    for part in chunks(sorted(touched.clients)):
        link_deals(Deal.objects.filter(client_id__in=part))
    _follow(touched, result)


def _update_clients(clients: list[Client], before: dict[int, tuple[str, str]]) -> None:
    """Save changed clients: grouped updates for the portfolio fields (a few managers and
    days across thousands of clients), one row at a time only for renamed ones."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for client in clients:
        groups[(client.manager_id, client.handed_over_on, client.assigned_by)].append(client.pk)
        if (client.name, client.external_id) != before[client.pk]:
            Client.objects.filter(pk=client.pk).update(
                name=client.name, external_id=client.external_id
            )
    for (manager_id, handed, assigned_by), pks in groups.items():
        for part in chunks(pks):
            Client.objects.filter(pk__in=part).update(
                manager_id=manager_id, handed_over_on=handed, assigned_by=assigned_by
            )


def record_import(result: ImportResult, user: Any = None, queued: Any = None) -> ImportResult:
    """An import's outcome recorded: its ImportRun and the sources Run, for a file, an API
    batch, a CRM's sync or webhook alike (`queued`: the worker's run, which gets it)."""
    run = ImportRun.objects.create(
        kind=result.kind,
        source=result.source,
        file_name=result.file_name[:300],
        user=user if getattr(user, "is_authenticated", False) else None,
        result={},
    )
    result.run_id = run.pk
    run.result = result.to_dict()
    run.save(update_fields=["result"])
    from salespulse.sources import record as runs

    runs.crm_imported(run, result, user, queued=queued)
    return result
