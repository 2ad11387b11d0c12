"""The daily reconcile of a Bitrix24 source: the deals the portal no longer has leave.

A sync reconciles at most once a day (the worker's schedule), or when asked
(`salespulse sync NAME --reconcile`): the deals held under the source are compared with
every deal ID the portal lists (`lib.crm.reconcile`), and those it no longer has go
through `importer.delete_deals`, their day figures with them (a figure the seller typed
stays). What was found is kept in `source.options["reconcile"]`: the Sources page says
when a mass deletion was refused, until a reconcile passes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from salespulse.crm import importer
from salespulse.crm.models import Deal
from salespulse.lib.crm import bitrix24 as b24
from salespulse.lib.crm import reconcile
from salespulse.lib.crm.http import CrmError
from salespulse.sources.models import CRM_KINDS, Source

EVERY = timedelta(days=1)
# A listing that failed or came out incomplete is tried again sooner than the next day.
RETRY = timedelta(hours=1)

REFUSED = gettext_noop(
    "Daily check against Bitrix24: %(held)d deals here, %(n)d of them are gone from the "
    "portal (more than half). Nothing was deleted: a webhook that lost its access or "
    "points at another portal looks the same. Check the webhook; if the deals were really "
    "deleted: salespulse sync %(name)s --reconcile --delete-many"
)

SHARED = gettext_noop(
    "Daily check against Bitrix24: deals of %(others)s are stored as «%(stored)s» too, so "
    "a deal this portal lacks may be theirs. Nothing was deleted; give each portal its own "
    "name for its deals (the source's «deals stored as» in the admin)."
)


UNREADABLE = gettext_noop(
    "Daily check against Bitrix24: %(n)d deals here are hidden from the webhook's user "
    "(Bitrix24 answers «Access denied»), so they were kept. Give that user the right to "
    "read every deal, or create the webhook as an administrator."
)


def claim(source: Source, now: datetime, asked: bool, first: bool = False) -> bool:
    """Whether this sync reconciles: asked for, or a day after the last. Claimed with a
    conditional UPDATE, so two syncs of one source running at once never both do.
    `first`: the source's first sync, which read every deal: the day starts from it."""
    last = source.reconciled_at
    if not asked and last is not None and now - last < EVERY:
        return False
    taken = Source.objects.filter(pk=source.pk, reconciled_at=last).update(reconciled_at=now)
    if taken:
        source.reconciled_at = now
    return bool(taken) and (asked or not first)


def bitrix24(
    source: Source, api: b24.Portal, result: importer.ImportResult, *, many: bool = False
) -> tuple[dict[str, int], str]:
    """Delete the deals the portal no longer has: (counts for the run, the refusal or "").

    `many`: delete even more than the bound (the admin checked the portal)."""
    others = [
        s.name
        for s in Source.objects.filter(kind__in=CRM_KINDS).exclude(pk=source.pk)
        if s.stored_as == source.stored_as
    ]
    if others:
        source.options["reconcile"] = {"at": timezone.now().isoformat(), "shared": others}
        return {}, refused_text(source)
    # Read before the listing: a deal pulled or pushed meanwhile is not judged by a
    # listing that may have started before the portal had it.
    held = set(Deal.objects.filter(source=source.stored_as).values_list("external_id", flat=True))
    try:
        listing = reconcile.deal_ids(api) if held else reconcile.Listing()
    except CrmError:
        Source.objects.filter(pk=source.pk).update(reconciled_at=timezone.now() - EVERY + RETRY)
        raise
    verdict = reconcile.judge(held, listing.ids)
    missing = verdict.missing
    record: dict[str, Any] = {
        "at": timezone.now().isoformat(), "held": verdict.held, "listed": listing.total,
        "deleted": 0, "refused": 0,
    }  # fmt: skip
    if verdict.refused and not many:
        record["refused"] = len(missing)
        source.options["reconcile"] = record
        return {"listed": listing.total}, refusal(source.name, record)
    if missing:
        # Each asked about by ID: a deal the listing skipped is still there, and one the
        # webhook's user may not read is not ours to delete.
        confirmed = reconcile.confirm_gone(api, missing)
        missing = confirmed.gone
        record["unreadable"] = len(confirmed.unreadable)
    before = result.deleted
    importer.delete_deals(missing, source.stored_as, result)
    record["deleted"] = result.deleted - before
    source.options["reconcile"] = record
    return {"listed": listing.total, "reconciled": record["deleted"]}, ""


def refusal(name: str, record: dict[str, Any]) -> str:
    return _(REFUSED) % {"held": record["held"], "n": record["refused"], "name": name}


def refused_text(source: Source) -> str:
    """The last reconcile's refusal, for the Sources page ("" when it passed)."""
    record = (source.options or {}).get("reconcile") or {}
    if record.get("shared"):
        return _(SHARED) % {"others": ", ".join(record["shared"]), "stored": source.stored_as}
    if record.get("refused"):
        return refusal(source.name, record)
    if record.get("unreadable"):
        return _(UNREADABLE) % {"n": record["unreadable"]}
    return ""
