"""Running what comes in: queued runs claimed and executed by `salespulse worker`.

A big upload is saved under the data directory and queued; a source due for a sync gets
a queued run; the worker claims each with a conditional UPDATE (of two workers only one
takes it), executes it and records the outcome. A run whose worker stopped (a restart,
a kill) stops sending heartbeats; after STALE it is marked cut off, and a file's run is
queued again: what it stored is recognised as already stored, so nothing counts twice.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from salespulse.sources.models import SYNCED_KINDS, Run, Source

logger = logging.getLogger("salespulse.sources")

STALE = timedelta(minutes=10)
# About 15,000 Asterisk rows, a second or two of work: smaller uploads are imported in
# the request, bigger ones by the worker.
BACKGROUND_BYTES = 4 * 2**20
HEARTBEAT_EVERY = timedelta(seconds=5)


def queue_call_file(calls: Any, upload: Any, user: Any) -> Run:
    """Save an uploaded call records file and queue its import; the run (and its record)."""
    from salespulse.telephony.models import CallImport

    path = _save_upload(upload)
    name = (upload.name or "")[:255]
    with transaction.atomic():
        record = CallImport.objects.create(
            source=calls, user=user, file_name=name, status=CallImport.Status.RUNNING
        )
        return Run.objects.create(
            kind=Run.Kind.CALL_FILE, trigger=Run.Trigger.WEB, user=user, file_name=name,
            file_path=path, call_import=record, call_source=calls,
        )  # fmt: skip


def _save_upload(upload: Any) -> str:
    folder = settings.DATA_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, suffix=".upload")
    with os.fdopen(handle, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def queue_crm_file(
    upload: Any, user: Any, *, kind: str, fmt: str | None, mapping: str | None
) -> Run:
    """Save an uploaded CRM export and queue its import; the run the result page follows."""
    return Run.objects.create(
        kind=Run.Kind.CLIENT_FILE if kind == "clients" else Run.Kind.DEAL_FILE,
        trigger=Run.Trigger.WEB, user=user, file_name=(upload.name or "")[:255],
        file_path=_save_upload(upload),
        params={"kind": kind, "format": fmt or None, "mapping": mapping or None},
    )  # fmt: skip


FILE_KINDS = (Run.Kind.CALL_FILE, Run.Kind.DEAL_FILE, Run.Kind.CLIENT_FILE)


def queue_sync(
    source: Source, trigger: str, user: Any = None, params: dict[str, Any] | None = None
) -> Run:
    """A sync to run; `params`: {"reconcile": True or "many"} (a Bitrix24's daily check now)."""
    return Run.objects.create(
        kind=Run.Kind.SYNC, trigger=trigger, source=source, user=user, params=params or {}
    )


def claim(run_id: int | None = None) -> Run | None:
    """The oldest queued run (or this one), claimed for this worker."""
    queued = Run.objects.filter(status=Run.Status.QUEUED)
    if run_id is not None:
        queued = queued.filter(pk=run_id)
    for run in queued.order_by("created_at", "pk")[:10]:
        now = timezone.now()
        taken = Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
            status=Run.Status.RUNNING, started_at=now, heartbeat_at=now
        )
        if taken:
            run.status, run.started_at, run.heartbeat_at = Run.Status.RUNNING, now, now
            return run
    return None


def cut_off(now: datetime) -> list[Run]:
    """Mark the runs whose worker stopped; queue a file's run again. The ones marked."""
    marked = []
    for run in Run.objects.filter(status=Run.Status.RUNNING, heartbeat_at__lt=now - STALE):
        if not Run.objects.filter(pk=run.pk, heartbeat_at=run.heartbeat_at).update(
            status=Run.Status.CUT_OFF, finished_at=now
        ):
            continue
        marked.append(run)
        if run.kind in FILE_KINDS and Path(run.file_path).is_file():
            Run.objects.create(
                kind=run.kind, trigger=run.trigger, user=run.user, file_name=run.file_name,
                file_path=run.file_path, call_import=run.call_import, call_source=run.call_source,
                params=run.params,
            )  # fmt: skip
    return marked


def schedule(now: datetime) -> list[Run]:
    """Queue a sync for every source due one; the runs queued."""
    queued = []
    for source in Source.objects.filter(enabled=True, kind__in=SYNCED_KINDS):
        if not source.due(now):
            continue
        # Conditional on the attempt we saw: two workers never queue one slot twice.
        if Source.objects.filter(pk=source.pk, last_attempt_at=source.last_attempt_at).update(
            last_attempt_at=now
        ):
            queued.append(queue_sync(source, Run.Trigger.SCHEDULE))
    return queued


def execute(run: Run) -> Run:
    """Do a claimed run and record how it went (an error is recorded, never raised)."""
    from salespulse.sources import execute as kinds

    last = [timezone.now()]

    def progress(rows: int) -> None:
        now = timezone.now()
        if now - last[0] >= HEARTBEAT_EVERY or not rows:
            last[0] = now
            Run.objects.filter(pk=run.pk).update(rows_read=rows, heartbeat_at=now)
            if run.call_import_id:
                from salespulse.telephony.models import CallImport

                CallImport.objects.filter(pk=run.call_import_id).update(
                    rows_read=rows, updated_at=now
                )

    try:
        kinds.RUNNERS[run.kind](run, progress)
    except Exception as e:  # recorded on the run; the worker goes on with the next one
        logger.exception("Run %s failed", run.pk)
        run.status, run.error = Run.Status.FAILED, run.error or f"{type(e).__name__}: {e}"[:1000]
    else:
        run.status = Run.Status.FAILED if run.error else Run.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "rows_read", "counts", "rejected"])
    return run


def run_due(should_stop: Callable[[], bool] = lambda: False) -> list[Run]:
    """One pass of the worker: mark cut-off runs, queue due syncs, run what is queued."""
    now = timezone.now()
    cut_off(now)
    schedule(now)
    done = []
    while not should_stop() and (run := claim()) is not None:
        done.append(execute(run))
    return done


def run_now(run: Run) -> Run:
    """Execute a run just queued, in this process (the CLI), if nobody took it first."""
    claimed = claim(run.pk)
    if claimed is None:
        run.refresh_from_db()
        return run
    return execute(claimed)


def is_queued(record: Any) -> bool:
    """A call import waiting for the worker."""
    return Run.objects.filter(call_import=record, status=Run.Status.QUEUED).exists()


def is_stale(record: Any) -> bool:
    """A call import that stopped without news for STALE and is not queued to go on."""
    return (
        record.status == record.Status.RUNNING
        and timezone.now() - record.updated_at > STALE
        and not is_queued(record)
    )
