"""Every import is a run: what the domain apps call once a file or a batch is stored.

The telephony and CRM imports keep their detailed records (`CallImport`, `ImportRun`) and
pages; each also becomes a `Run`, so the Sources page lists every way data came in, with
one result page for all of them.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from salespulse.sources.models import Run


def _trigger(user: Any, api: bool) -> str:
    if api:
        return Run.Trigger.API
    return Run.Trigger.WEB if getattr(user, "is_authenticated", False) else Run.Trigger.CLI


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def calls_imported(record: Any, result: Any, *, api: bool = False) -> Run:
    """A call records file or API batch, imported (`record`: its CallImport)."""
    now = timezone.now()
    return Run.objects.create(
        kind=Run.Kind.CALL_API if api else Run.Kind.CALL_FILE,
        trigger=_trigger(record.user, api),
        user=_user(record.user),
        file_name=record.file_name,
        call_import=record,
        call_source=record.source,
        status=Run.Status.FAILED if result.failed else Run.Status.DONE,
        rows_read=result.rows,
        counts=call_counts(result),
        rejected=result.rejected[:200],
        error=result.error,
        started_at=now,
        finished_at=now,
    )


def call_counts(result: Any) -> dict[str, int]:
    """The outcome counts every call row ends in (issue 13)."""
    return {
        "rows": result.rows,
        "imported": result.imported,
        "already_stored": result.already_stored,
        "repeats": result.repeats,
        "not_sales": result.not_sales,
        "refused": result.refused,
        "calls": result.calls,
    }


def crm_imported(
    run: Any, result: Any, user: Any, *, api: bool = False, queued: Run | None = None
) -> Run:
    """A CRM export or API batch, saved (`run`: its crm ImportRun). `queued`: the worker's
    run of an upload, which gets the outcome (its status is the worker's to set)."""
    outcome = {
        "crm_import": run,
        "rows_read": result.rows,
        "counts": {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "deleted": getattr(result, "deleted", 0),
            "refused": result.error_count,
        },
        "rejected": [{"line": e.line, "reason": e.text(gettext)} for e in result.errors[:200]],
    }
    if queued is not None:
        for name, value in outcome.items():
            setattr(queued, name, value)
        queued.save(update_fields=["crm_import", "rows_read", "counts", "rejected"])
        return queued
    now = timezone.now()
    kind = {"deals": Run.Kind.DEAL_FILE, "clients": Run.Kind.CLIENT_FILE}.get(
        result.kind, Run.Kind.DEAL_FILE
    )
    return Run.objects.create(
        kind=Run.Kind.DEAL_API if api else kind,
        trigger=_trigger(user, api),
        user=_user(user),
        file_name=result.file_name[:255],
        status=Run.Status.DONE,
        started_at=now,
        finished_at=now,
        **outcome,
    )
