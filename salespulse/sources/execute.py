"""What each kind of run does: the domain apps read and count, this records the outcome."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.sources import health
from salespulse.sources.models import Run, Source
from salespulse.sources.record import call_counts

Progress = Callable[[int], None]


def _record(run: Run, result: Any) -> None:
    """The outcome counts every call row ends in (issue 13), and the refusals."""
    run.rows_read = result.rows
    run.counts = call_counts(result)
    run.rejected = result.rejected[:200]
    run.error = result.error


def sync(run: Run, progress: Progress) -> None:
    """A scheduled or asked-for sync, by what the source is."""
    assert run.source is not None
    if run.source.kind == Source.Kind.ASTERISK_DB:
        sync_calls(run, progress)
    else:
        connector(run.source.kind).sync(run, progress)


def connector(kind: str) -> Any:
    """A CRM's connector module, `salespulse.sources.connectors.<kind>`: it has
    `sync(run, progress)`, `push(run, progress)` (the ids a webhook named, in
    `run.params`), `hook(source, request) -> HookAnswer` and `test(source) -> (ok, text)`."""
    return importlib.import_module(f"salespulse.sources.connectors.{kind}")


def sync_calls(run: Run, progress: Progress) -> None:
    from salespulse.lib.cdr.tables import TableError
    from salespulse.telephony import pull
    from salespulse.telephony.importer import translate

    source = run.source
    assert source is not None
    if source.calls_id is None:
        source.calls = pull.calls_source(source.name, source.timezone)
        source.save(update_fields=["calls"])
    attempt = timezone.now()
    try:
        mark = pull.Mark(source.watermark, source.window_start, source.window_rows)
        result, mark = pull.sync(
            source.calls, source.url, mark, since=source.since, progress=progress
        )
    except TableError as e:
        run.error = translate(e.message, e.params)
        Source.objects.filter(pk=source.pk).update(
            status=Source.Status.FAILING, last_error=run.error, last_attempt_at=attempt
        )
        return
    _record(run, result)
    changes: dict[str, Any] = {"last_attempt_at": attempt}
    if result.error:
        changes |= {"status": Source.Status.FAILING, "last_error": result.error}
    else:
        changes |= {"status": Source.Status.OK, "last_error": "", "last_success_at": attempt,
                    "watermark": mark.watermark, "window_start": mark.start,
                    "window_rows": mark.rows}  # fmt: skip
        if result.imported:
            changes["last_new_at"] = attempt
        changes["calls_per_hour"] = health.usual_rate(source, attempt)
    Source.objects.filter(pk=source.pk).update(**changes)


def import_call_file(run: Run, progress: Progress) -> None:
    from salespulse.telephony.importer import import_file

    record = run.call_import
    calls = run.call_source
    path = Path(run.file_path)
    if not path.is_file():
        run.error = _("The uploaded file is gone; upload it again.")
        return
    try:
        result, _record_ = import_file(
            calls, str(path), file_name=run.file_name, user=run.user,
            progress=lambda rows, _share: progress(rows), record=record,
        )  # fmt: skip
    except Exception as e:
        if record is not None:  # the result page must end with the reason, not "running"
            record.status, record.result = record.Status.DONE, {
                "error": str(e)[:500], "rejected": [], "rejected_total": 0,
            }  # fmt: skip
            record.save(update_fields=["status", "result", "updated_at"])
        raise
    finally:
        if run.status == Run.Status.RUNNING:
            path.unlink(missing_ok=True)
    _record(run, result)
    run.error = result.error


def import_crm_file(run: Run, progress: Progress) -> None:
    from salespulse.crm.files import ImportFailed, import_file

    path = Path(run.file_path)
    if not path.is_file():
        run.error = _("The uploaded file is gone; upload it again.")
        return
    try:
        import_file(
            str(path), kind=run.params.get("kind", "deals"), fmt=run.params.get("format"),
            mapping=run.params.get("mapping"), file_name=run.file_name, user=run.user,
            progress=lambda rows, _share: progress(rows), queued=run,
        )  # fmt: skip
    except ImportFailed as e:
        run.error = e.text()
    finally:
        if run.status == Run.Status.RUNNING:
            path.unlink(missing_ok=True)


def crm_push(run: Run, progress: Progress) -> None:
    assert run.source is not None
    connector(run.source.kind).push(run, progress)


RUNNERS: dict[str, Callable[[Run, Progress], None]] = {
    Run.Kind.SYNC: sync,
    Run.Kind.CRM_PUSH: crm_push,
    Run.Kind.CALL_FILE: import_call_file,
    Run.Kind.DEAL_FILE: import_crm_file,
    Run.Kind.CLIENT_FILE: import_crm_file,
}
