"""Bitrix24: pull deals through an incoming webhook, take pushes from an outgoing one.

The reading and judging is `salespulse.lib.crm.bitrix24`; the deals go through the one
pipeline (`crm.importer.save_deals` / `delete_deals`), stored under `source.stored_as`
with the deal ID as their identity, so a deal pulled, pushed or read from a Bitrix24
export is one deal. What the connector keeps between syncs is in `source.options`:
`categories` (pipelines seen), `seen` (deals read within the overlap, by DATE_MODIFY),
`pending` (deals waiting for their responsible user to be matched) and `unmatched` (those
users, with their deal counts, for the Sources page and `source test`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.crm import importer
from salespulse.lib.crm import bitrix24 as b24
from salespulse.lib.crm.formats import RowError
from salespulse.lib.crm.http import CrmError, JsonClient
from salespulse.lib.crm.people import match_users
from salespulse.lib.tabular import gettext_noop
from salespulse.sources import health, reconcile
from salespulse.sources.connectors import employees_as_people
from salespulse.sources.hooks import HookAnswer
from salespulse.sources.models import Run, Source

Progress = Callable[[int], None]
DEAL_EVENTS = {
    "ONCRMDEALADD": "changed",
    "ONCRMDEALUPDATE": "changed",
    "ONCRMDEALDELETE": "deleted",
}
MAX_PENDING = 5000  # deal ids kept per unmatched user


def portal(source: Source) -> b24.Portal:
    # A box edition may allow more than the cloud's two requests a second: options["rate"].
    rate = float(source.options.get("rate") or 2)
    return b24.Portal(JsonClient(source.url, per_second=rate))


def _context(source: Source, deals: dict[str, b24.Command]) -> dict[str, b24.Command]:
    """The first batch of a sync or push: pipelines, their stages, users and deals."""
    return {
        "categories": ("crm.category.list", {"entityTypeId": b24.DEAL_TYPE}),
        **b24.stage_commands(source.options.get("categories", [])),
        "users": ("user.get", {"start": 0}),
        **deals,
    }


class _Pulled:
    """What a sync or push read: stages and users from the first batch, then the deals."""

    def __init__(self, source: Source, api: b24.Portal, pages: dict[str, b24.Page]) -> None:
        self.source, self.api, self.pages = source, api, pages
        categories = b24.category_ids(pages["categories"].result)
        known = set(source.options.get("categories", [])) | {0}
        new = [c for c in categories if c not in known]
        if new:
            pages |= api.batch(b24.stage_commands(new))
        rows = [r for name, page in pages.items() if name.startswith("stages") for r in page.result]
        self.stages = b24.stage_names(b24.read_stages(rows))
        self.categories = sorted(set(categories))
        self._users: dict[str, b24.User] | None = None

    def users(self) -> dict[str, b24.User]:
        if self._users is None:
            first = self.pages["users"]
            rows = b24.rows_of(first.result)
            for page in self.api.rest(first, "user.get", {}):
                rows.extend(page)
            self._users = b24.read_users(rows)
        return self._users

    def by_ids(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        pages = self.api.batch(b24.by_ids("crm.deal.list", ids, b24.DEAL_SELECT))
        return [d for page in pages.values() for d in b24.rows_of(page.result)]

    def save(self, deals: list[dict[str, Any]], result: importer.ImportResult) -> None:
        """Match users, read clients, write stages and deals; unmatched users' deals wait."""
        source = self.source
        options = source.options
        pending: dict[str, list[str]] = {k: list(v) for k, v in options.get("pending", {}).items()}
        if deals or pending:
            sellers = match_users(
                self.users().values(), employees_as_people(), options.get("users", {})
            )
            ready = [i for uid, ids in pending.items() if uid in sellers for i in ids]
            listed = {str(d.get("ID")) for d in deals}
            if ready:
                deals = deals + [d for d in self.by_ids(ready) if str(d.get("ID")) not in listed]
                # Those not found were deleted meanwhile: they wait for nothing.
                pending = {uid: v for uid, v in pending.items() if uid not in sellers}
        else:
            sellers = {}
        # A deal waits under its current user only: reassigned or matched, it leaves the list.
        ids = {str(d.get("ID")) for d in deals}
        pending = {uid: [i for i in v if i not in ids] for uid, v in pending.items()}
        clients = self._clients(deals)
        records = []
        for position, raw in enumerate(deals, start=1):
            # A refused deal is named by its ID where a file's row is named by its line.
            deal_id = str(raw.get("ID") or "")
            line = int(deal_id) if deal_id.isdigit() and len(deal_id) < 10 else position
            uid = b24.ref(raw.get("ASSIGNED_BY_ID"))
            login = sellers.get(uid)
            if login is None:
                waiting = pending.setdefault(uid, [])
                if len(waiting) < MAX_PENDING:
                    waiting.append(str(raw.get("ID")))
                continue
            item = b24.deal_record(raw, line, self.stages, clients, login, importer.company_tz())
            if isinstance(item, RowError):
                result.error(item)
            else:
                records.append(item)
        pending = {uid: v for uid, v in pending.items() if v}
        result.rows += len(deals)
        # Before the deals: those stored on a stage whose kind moved take it first.
        importer.confirm_stages(source.stored_as, {s.name: s.kind for s in self.stages.values()})
        importer.save_deals(records, source.stored_as, result)
        users = self._users or {}
        unmatched = {}
        for uid, waiting in pending.items():
            user = users.get(uid) or b24.User(uid, "", "")
            unmatched[uid] = {"name": user.name, "email": user.email, "deals": len(waiting)}
            result.error(
                RowError(
                    0,
                    gettext_noop(
                        "Bitrix24 user %(name)s (id %(id)s, %(email)s) is not an employee here: "
                        "%(deals)d deals wait. Set their e-mail, name or CRM id on the employee "
                        "(or map the user), then sync."
                    ),
                    {
                        "name": user.name or "—",
                        "id": uid,
                        "email": user.email or "—",
                        "deals": len(waiting),
                    },
                )  # fmt: skip
            )
            result.error_count += len(waiting) - 1
        options |= {"categories": self.categories, "pending": pending, "unmatched": unmatched}

    def _clients(self, deals: list[dict[str, Any]]) -> b24.Clients:
        clients = b24.Clients()
        companies, contacts = b24.client_ids(deals)
        commands = {
            **b24.by_ids("crm.company.list", companies, ["ID", "TITLE"]),
            **b24.by_ids("crm.contact.list", contacts, ["ID", "NAME", "SECOND_NAME", "LAST_NAME"]),
        }
        if commands:
            for name, page in self.api.batch(commands).items():
                rows = b24.rows_of(page.result)
                (clients.add_companies if "company" in name else clients.add_contacts)(rows)
        return clients


def _result(source: Source) -> importer.ImportResult:
    return importer.ImportResult(
        kind="deals",
        source=source.stored_as,
        format="bitrix24",
        file_name=f"Bitrix24 {source.name}",
    )


def sync(run: Run, progress: Progress) -> None:
    """Deals changed since the last sync; once a day (or when `run.params["reconcile"]`
    asks) also the deals the portal no longer has leave (`sources.reconcile`)."""
    source = run.source
    assert source is not None
    asked = bool(run.params.get("reconcile"))

    def work(api: b24.Portal, result: importer.ImportResult) -> dict[str, Any]:
        first = not source.watermark
        changes = _sync(source, api, result, progress)
        if reconcile.claim(source, timezone.now(), asked, first):
            counts, error = reconcile.bitrix24(
                source, api, result, many=run.params.get("reconcile") == "many"
            )
            changes |= {"counts": counts, "error": error}
        return changes

    _guarded(run, source, work)


def _sync(
    source: Source, api: b24.Portal, result: importer.ImportResult, progress: Progress
) -> dict[str, Any]:
    since = source.since.isoformat() if source.since else ""
    params = b24.deal_params(b24.deal_filter(source.watermark, since))
    pages = api.batch(_context(source, {"deals": ("crm.deal.list", {**params, "start": 0})}))
    pulled = _Pulled(source, api, pages)
    deals = b24.rows_of(pages["deals"].result)
    for page in api.rest(pages["deals"], "crm.deal.list", params):
        deals.extend(page)
        progress(len(deals))
    # Deals re-read within the overlap and not modified since are skipped: a quiet sync
    # is then one request and writes nothing.
    seen: dict[str, str] = source.options.get("seen", {})
    fresh = [d for d in deals if seen.get(str(d.get("ID"))) != str(d.get("DATE_MODIFY") or "")]
    pulled.save(fresh, result)
    watermark = source.watermark
    for d in deals:
        watermark = b24.later(watermark, str(d.get("DATE_MODIFY") or ""))
    if watermark:
        edge = datetime.fromisoformat(watermark) - b24.OVERLAP
        seen = {k: v for k, v in seen.items() if datetime.fromisoformat(v) > edge}
        seen |= {
            str(d["ID"]): str(d["DATE_MODIFY"])
            for d in fresh
            if d.get("DATE_MODIFY") and datetime.fromisoformat(str(d["DATE_MODIFY"])) > edge
            and b24.ref(d.get("ASSIGNED_BY_ID")) not in source.options.get("pending", {})
        }  # fmt: skip
    source.options["seen"] = seen
    return {"watermark": watermark}


def push(run: Run, progress: Progress) -> None:
    """The deals a webhook named: re-read the changed ones, forget the deleted ones."""
    source = run.source
    assert source is not None
    params = _merge_pushes(run)
    changed, deleted = params["changed"], params["deleted"]

    def work(api: b24.Portal, result: importer.ImportResult) -> dict[str, Any]:
        deals_wanted = b24.by_ids("crm.deal.list", changed, b24.DEAL_SELECT)
        pages = api.batch(_context(source, deals_wanted))
        deals = [d for name in deals_wanted for d in b24.rows_of(pages[name].result)]
        _Pulled(source, api, pages).save(deals, result)
        if deleted:
            importer.delete_deals(deleted, source.stored_as, result)
            result.rows += len(deleted)
        return {}

    _guarded(run, source, work)


def _merge_pushes(run: Run) -> dict[str, list[str]]:
    """This run's ids and those of the source's other pushes still queued, which it takes
    over: Bitrix24 posts one event per change, and a burst of them read deal by deal would
    queue minutes of requests at two a second, where one batch reads 2,500 deals."""
    changed = [str(i) for i in run.params.get("changed", [])]
    deleted = [str(i) for i in run.params.get("deleted", [])]
    others = Run.objects.filter(source=run.source, kind=Run.Kind.CRM_PUSH, status=Run.Status.QUEUED)
    for other in others.exclude(pk=run.pk).order_by("pk")[: b24.MAX_COMMANDS]:
        # Conditional, as a worker claims a run: a run another worker took stays its own.
        if Run.objects.filter(pk=other.pk, status=Run.Status.QUEUED).update(
            status=Run.Status.DONE, started_at=timezone.now(), finished_at=timezone.now(),
            counts={"merged_into": run.pk},
        ):  # fmt: skip
            changed += [str(i) for i in other.params.get("changed", [])]
            deleted += [str(i) for i in other.params.get("deleted", [])]
    gone = set(deleted)  # a deal Bitrix24 deleted does not come back
    params = {
        "changed": sorted({i for i in changed if i not in gone}, key=lambda i: (len(i), i)),
        "deleted": sorted(gone, key=lambda i: (len(i), i)),
    }
    if params != run.params:
        run.params = params
        Run.objects.filter(pk=run.pk).update(params=params)
    return params


def _guarded(
    run: Run,
    source: Source,
    work: Callable[[b24.Portal, importer.ImportResult], dict[str, Any]],
) -> None:
    """Run `work`, record its outcome on the run and the source's health on the source."""
    attempt = timezone.now()
    result = _result(source)
    api = portal(source)
    try:
        changes = work(api, result)
    except CrmError as e:
        health.crm_failed(source, run, e)
        return
    importer.record_import(result, None, queued=run)
    # What the portal's limit cost: the bench and the run page show it.
    run.counts |= {"requests": api.client.requests, "waited_ms": round(api.client.waited * 1000)}
    run.counts |= changes.pop("counts", {})
    run.error = changes.pop("error", "")
    # A mapping set (`source set --map-user`) while this ran is kept, not overwritten.
    stored = Source.objects.filter(pk=source.pk).values_list("options", flat=True).first()
    source.options["users"] = (stored or {}).get("users", {})
    health.crm_worked(source, attempt, result, error=run.error, options=source.options, **changes)


def hook(source: Source, request: HttpRequest) -> HookAnswer:
    """An outgoing webhook's form: event, data[FIELDS][ID], auth[application_token]."""
    token = request.POST.get("auth[application_token]", "")
    if source.app_token and not secrets.compare_digest(token.encode(), source.app_token.encode()):
        return HookAnswer(refused="wrong application token")
    which = DEAL_EVENTS.get(request.POST.get("event", "").strip().upper())
    deal_id = request.POST.get("data[FIELDS][ID]", "").strip()
    answer = HookAnswer()
    if which and deal_id.isdigit():
        getattr(answer, which).append(deal_id)
    return answer


def test(source: Source) -> tuple[bool, str]:
    """Read the webhook's scopes, the deals and pipelines: (works, what to tell the person)."""
    api = portal(source)
    try:
        pages = api.batch(
            {
                "scope": ("scope", {}),
                "deals": ("crm.deal.list", {"select": ["ID"], "start": 0}),
                "categories": ("crm.category.list", {"entityTypeId": b24.DEAL_TYPE}),
            }
        )
    except CrmError as e:
        return False, health.explain(e)
    scopes = set(pages["scope"].result or [])
    missing = [s for s in ("crm", "user") if s not in scopes]
    if missing:
        return False, _("The webhook lacks the scopes: %(scopes)s. Tick crm and user.") % {
            "scopes": ", ".join(missing)
        }
    deals = pages["deals"].total or len(b24.rows_of(pages["deals"].result))
    pipelines = len(set(b24.category_ids(pages["categories"].result)) | {0})
    text = _("Connected: deals %(deals)d, pipelines %(pipelines)d.") % {
        "deals": deals, "pipelines": pipelines,
    }  # fmt: skip
    unmatched = health.unmatched_text(source.options)
    return True, f"{text} {unmatched}".strip()
