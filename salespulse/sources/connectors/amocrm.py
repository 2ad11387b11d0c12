"""amoCRM / Kommo: leads pulled through API v4 and pushed by its webhooks.

What leads mean is `salespulse.lib.crm.amocrm`'s; deals and facts are written by the one
CRM pipeline (`crm.importer.save_deals`, `delete_deals`). A sync asks for the leads
updated since the last one (`filter[updated_at][from]`, 204 when none: one request);
only when some came does it read the pipelines and users, and the names of the leads'
companies or contacts (one request per page of ids).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.crm.importer import (
    ImportResult,
    confirm_stages,
    delete_deals,
    record_import,
    save_deals,
)
from salespulse.lib.crm import amocrm
from salespulse.lib.crm.formats import DealRecord, RowError
from salespulse.lib.crm.http import AccessDenied, CrmError, JsonClient
from salespulse.lib.crm.people import match_users
from salespulse.lib.tabular import gettext_noop
from salespulse.sources import health
from salespulse.sources.connectors import amocrm_events as events
from salespulse.sources.connectors import employees_as_people
from salespulse.sources.hooks import HookAnswer
from salespulse.sources.models import Run, Source

Sleep = Callable[[float], None]
Progress = Callable[[int], None]
IDS_PER_REQUEST = amocrm.PAGE
# Leads saved at once: about a second of work, a few MB of records.
SAVE_EVERY = 5000
# Leads kept per unmatched user, to fetch again once the user is matched.
KEPT_PER_USER = 1000


def client(source: Source, sleep: Sleep = time.sleep) -> JsonClient:
    token = source.token()
    if not token:
        raise AccessDenied(
            gettext_noop("No amoCRM token: its file or variable is empty or cannot be read.")
        )
    parts = urllib.parse.urlsplit(source.url)
    return JsonClient(
        f"{parts.scheme}://{parts.netloc}/api/v4/",
        headers={"Authorization": f"Bearer {token}"},
        per_second=amocrm.PER_SECOND,
        sleep=sleep,
    )


class Pull:
    """One sync's or push's reading: leads in, deals saved in batches."""

    def __init__(self, source: Source, api: JsonClient) -> None:
        self.source = source
        self.api = api
        self.result = ImportResult(
            kind="deals", source=source.stored_as, format="amocrm", file_name=f"amoCRM: {source}"
        )
        self.statuses: amocrm.Statuses | None = None
        self.users: dict[int, amocrm.AmoUser] = {}
        self.sellers: dict[int, str] = {}
        self.clients: dict[tuple[str, int], str] = {}
        self.unmatched: dict[int, list[str]] = {}
        self.saved: set[str] = set()
        self.batch: list[DealRecord] = []
        self.retried: set[str] = set()  # leads of users matched since: asked for again
        self.seen: set[str] = set()
        self.latest = 0
        self.at_latest: dict[str, str] = {}  # the leads of the latest second: fingerprints
        self.found: set[str] = set()  # what `leads` gave, when asked for by id

    # -- reading --

    def leads(
        self,
        params: dict[str, Any],
        progress: Progress | None = None,
        known: tuple[int, dict[str, str]] = (0, {}),
    ) -> None:
        """Every page of `/leads` with these filters, saved as it comes in. `known`: a
        second and the leads of it read before (their fingerprints), left out unless
        changed since (saved again within that second)."""
        # Newest first: a lead changed while the pages are read moves to the first page,
        # so later pages shift back (a lead read twice, harmless) and none is skipped; the
        # lead itself is newer than the watermark and comes with the next sync.
        query = {**params, "with": "contacts,companies", "limit": amocrm.PAGE, "page": 1,
                 "order[updated_at]": "desc"}  # fmt: skip
        data = self.api.get("leads?" + _query(query))
        while data:
            leads = [
                lead
                for lead in amocrm.embedded(data, "leads")
                if not (known[0] and lead.get("updated_at") == known[0]
                        and known[1].get(str(lead.get("id"))) == amocrm.fingerprint(lead))
            ]  # fmt: skip
            if leads:
                self.page(leads)
            if progress is not None:
                progress(self.result.rows)
            href = amocrm.next_link(data)
            if not href:
                break
            data = self.api.get(follow(self.api, href))
        self.save()

    def by_id(self, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), IDS_PER_REQUEST):
            self.leads({"filter[id][]": ids[start : start + IDS_PER_REQUEST]})

    def prepare(self) -> None:
        """Pipelines and users, once a sync has leads to read."""
        if self.statuses is not None:
            return
        self.statuses = amocrm.Statuses.read(self.api.get("leads/pipelines"))
        confirm_stages(self.source.stored_as, self.statuses.closing())
        self.users = {u.id: u for u in all_users(self.api)}
        found = match_users(
            self.users.values(), employees_as_people(), self.source.options.get("users") or {}
        )
        self.sellers = {int(uid): login for uid, login in found.items()}

    def names(self, leads: list[dict[str, Any]]) -> None:
        """The names of the leads' companies (else main contacts) not read yet."""
        wanted: dict[str, set[int]] = {"companies": set(), "contacts": set()}
        for lead in leads:
            company, contact = amocrm.linked(lead)
            if company is not None:
                wanted["companies"].add(company)
            elif contact is not None:
                wanted["contacts"].add(contact)
        for entity, ids in wanted.items():
            missing = sorted(i for i in ids if (entity, i) not in self.clients)
            for start in range(0, len(missing), IDS_PER_REQUEST):
                part = missing[start : start + IDS_PER_REQUEST]
                data = self.api.get(
                    f"{entity}?" + _query({"filter[id][]": part, "limit": amocrm.PAGE})
                )
                found = amocrm.names_of(data, entity)
                # An id with no name (deleted, or nameless) is not asked for again.
                self.clients.update({(entity, i): found.get(i, "") for i in part})

    def page(self, leads: list[dict[str, Any]]) -> None:
        self.prepare()
        assert self.statuses is not None
        self.names(leads)
        self.result.rows += len(leads)
        self.seen.update(ids := amocrm.lead_ids(leads))
        self.found.update(ids)
        latest = amocrm.updated(leads)
        if latest > self.latest:
            self.latest, self.at_latest = latest, {}
        if latest == self.latest:
            self.at_latest.update(
                (str(lead.get("id")), amocrm.fingerprint(lead))
                for lead in leads
                if lead.get("updated_at") == latest
            )
        records: list[DealRecord] = []
        owners = {str(lead.get("id")): lead.get("responsible_user_id") for lead in leads}
        for item in amocrm.read_leads(
            leads, statuses=self.statuses, sellers=self.sellers, users=self.users,
            clients=self.clients, currency=self.source.currency,
        ):  # fmt: skip
            if isinstance(item, RowError):
                self.result.error(item)
                continue
            owner = owners.get(item.external_id)
            if isinstance(owner, int) and owner not in self.sellers:
                self.unmatched.setdefault(owner, []).append(item.external_id)
            records.append(item)
        self.batch += records
        if len(self.batch) >= SAVE_EVERY:
            self.save()

    def save(self) -> None:
        """Save the leads read so far: in batches, because each save brings the touched
        sellers' day figures along, once for all its deals."""
        if self.batch:
            save_deals(self.batch, self.source.stored_as, self.result)
            self.saved.update(r.external_id for r in self.batch)
            self.batch = []

    # -- outcome --

    def remember_unmatched(self, **keep: Any) -> None:
        """Users matching no employee, with their leads (fetched again once matched), in
        `options["unmatched"]`, and one line each on the run; `keep`: other options the
        sync keeps (its marks)."""
        kept = dict(self.source.options.get("unmatched") or {})
        for user_id, info in list(kept.items()):
            # Asked again and not given back: deleted meanwhile, not to ask for again.
            left = [i for i in info.get("leads", []) if i not in self.saved | self.retried]
            if left:
                kept[user_id] = {**info, "leads": left}
            else:
                kept.pop(user_id)
        for user_id, ids in self.unmatched.items():
            user = self.users.get(user_id) or amocrm.AmoUser(user_id, "")
            earlier = kept.get(str(user_id), {}).get("leads", [])
            leads = list(dict.fromkeys([*earlier, *ids]))[:KEPT_PER_USER]
            kept[str(user_id)] = {"name": user.name, "email": user.email, "leads": leads}
        for user_id, ids in self.unmatched.items():
            info = kept[str(user_id)]
            self.result.errors.insert(
                0,
                RowError(
                    0,
                    gettext_noop(
                        "amoCRM user %(name)s (%(email)s, id %(id)s) is no employee: "
                        "%(n)d deals left out. Write their e-mail or full name on the "
                        "employee, or map them: "
                        "salespulse source set SOURCE --map-user %(id)s=LOGIN."
                    ),
                    {
                        "name": info["name"] or "—",
                        "email": info["email"] or "—",
                        "id": user_id,
                        "n": len(ids),
                    },
                ),  # fmt: skip
            )
        # Only this key: the admin may have mapped a user while the sync ran.
        with transaction.atomic():
            options = (
                Source.objects.select_for_update()
                .values_list("options", flat=True)
                .get(pk=self.source.pk)
            )
            options["unmatched"] = kept
            options.update(keep)
            Source.objects.filter(pk=self.source.pk).update(options=options)
        self.source.options = options

    def matched_again(self) -> list[str]:
        """Leads of users listed as unmatched who now match someone: to fetch again."""
        kept = self.source.options.get("unmatched") or {}
        if not kept:
            return []
        users = [
            amocrm.AmoUser(int(k), v.get("name", ""), v.get("email", ""))
            for k, v in kept.items()
            if k.isdigit()
        ]
        found = match_users(users, employees_as_people(), self.source.options.get("users") or {})
        return [i for k, v in kept.items() if k in found for i in v["leads"]]


def _query(params: dict[str, Any]) -> str:
    """A query string with its brackets as amoCRM writes them: `filter[id][]=1` (250 ids
    stay a short address)."""
    return urllib.parse.urlencode(params, doseq=True, safe="[],")


def follow(api: JsonClient, href: str) -> str:
    """A `next` link, only on the account's own host: the token goes with it."""
    base = urllib.parse.urlsplit(api.base)
    link = urllib.parse.urlsplit(api.url(href))
    if (link.scheme, link.netloc) != (base.scheme, base.netloc):
        raise CrmError(
            gettext_noop("amoCRM sent a next page on another host: %(host)s"),
            host=link.netloc[:100],
        )
    return href


def all_users(api: JsonClient) -> list[amocrm.AmoUser]:
    users = []
    data = api.get("users?" + _query({"limit": amocrm.PAGE}))
    while data:
        users += amocrm.read_users(data)
        href = amocrm.next_link(data)
        data = api.get(follow(api, href)) if href else None
    return users


# --- what sources.execute calls ----------------------------------------------------------


def sync(run: Run, progress: Progress, *, sleep: Sleep = time.sleep) -> None:
    """Leads updated since the last sync (all of them the first time, or since the
    source's first day), those of users matched since, and those deleted since
    (`amocrm_events`)."""
    source = run.source
    assert source is not None
    attempt = timezone.now()
    since = int(source.watermark) if source.watermark.isdigit() else 0
    params: dict[str, Any] = {}
    # From the watermark's second itself: a lead saved later within that second comes;
    # those of it read before are left out unless changed since.
    kept = source.options.get("at_watermark")
    known = (since, kept if isinstance(kept, dict) else {})
    if since:
        params["filter[updated_at][from]"] = since
    elif source.since:
        start = datetime.combine(source.since, datetime.min.time(), tzinfo=UTC)
        params["filter[updated_at][from]"] = int(start.timestamp())
    mark = events.Mark.of(source.options, source.watermark)
    try:
        pull = Pull(source, client(source, sleep))
        pull.leads(params, progress, known)
        # The watermark is what the listing read: a lead fetched by id afterwards may be
        # newer than others changed meanwhile, which the next listing must still bring.
        latest, at_latest = pull.latest, dict(pull.at_latest)
        again = [i for i in pull.matched_again() if i not in pull.seen]
        if again:
            pull.retried.update(again)
            pull.by_id(again)
        if mark.since is None:
            mark = events.first_mark(latest, attempt.timestamp())
        else:
            mark = events.forget_deleted(pull, mark)
    except CrmError as e:
        health.crm_failed(source, run, e)
        return
    changes: dict[str, Any] = {}
    if latest > since:
        changes["watermark"] = str(latest)
    elif latest == since:
        at_latest = known[1] | at_latest
    else:
        at_latest = known[1]
    finish(run, pull, at_watermark=at_latest, events=mark.stored())
    health.crm_worked(source, attempt, pull.result, **changes)


def push(run: Run, progress: Progress, *, sleep: Sleep = time.sleep) -> None:
    """The leads a webhook named: fetched again (what the body said is not trusted, it
    may be cut off); a lead named deleted that amoCRM no longer gives is deleted."""
    source = run.source
    assert source is not None
    attempt = timezone.now()
    changed = [str(i) for i in run.params.get("changed", [])]
    deleted = [str(i) for i in run.params.get("deleted", [])]
    try:
        pull = Pull(source, client(source, sleep))
        pull.by_id([*changed, *deleted])
    except CrmError as e:
        health.crm_failed(source, run, e)
        return
    gone = [i for i in deleted if i not in pull.seen]
    if gone:
        delete_deals(gone, source.stored_as, pull.result)
    finish(run, pull)
    health.crm_worked(source, attempt, pull.result)


def finish(run: Run, pull: Pull, **keep: Any) -> None:
    pull.remember_unmatched(**keep)
    result = pull.result
    if result.rows or result.deleted or result.errors:
        record_import(result, None, queued=run)
    else:
        run.rows_read = 0
        run.counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "deleted": 0,
                      "refused": 0}  # fmt: skip


def hook(source: Source, request: Any) -> HookAnswer:
    found = amocrm.read_hook(request.body)
    ours = amocrm.subdomain_of(source.url)
    if found.subdomain and ours and found.subdomain.casefold() != ours.casefold():
        return HookAnswer(refused="another amoCRM account")
    return HookAnswer(changed=found.changed, deleted=found.deleted)


def test(source: Source, *, sleep: Sleep = time.sleep) -> tuple[bool, str]:
    try:
        api = client(source, sleep)
        account = api.get("account") or {}
        statuses = amocrm.Statuses.read(api.get("leads/pipelines"))
        users = all_users(api)
    except CrmError as e:
        return False, health.explain(e)
    text = _("Connected: account %(name)s, pipelines: %(pipelines)d, users: %(users)d.") % {
        "name": account.get("name") or account.get("subdomain") or "—",
        "pipelines": statuses.pipelines,
        "users": len(users),
    }
    currency = account.get("currency")
    if isinstance(currency, str) and currency and currency.upper() != source.currency:
        text += " " + _(
            "The account's currency is %(theirs)s, the source says %(ours)s: deals are "
            "stored in %(ours)s."
        ) % {"theirs": currency.upper(), "ours": source.currency}
    return True, text
