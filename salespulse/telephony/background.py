"""Big web uploads are imported on a thread of the web process while the page follows it.

A month of a call centre's records takes a minute or two to import: longer than a reverse
proxy waits for an answer (nginx: 60 s by default). An upload above BACKGROUND_BYTES is
saved under the data directory, recorded as running, and imported on its own thread; the
result page refreshes itself with the rows read so far until the result is there. If the
server stops in the middle, the record stays "running" and the page says it was cut off
after STALE without news: uploading the file again finishes the job (what was stored is
recognised and skipped).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.utils import timezone, translation

from salespulse.telephony.importer import import_file
from salespulse.telephony.models import CallImport, CallSource

logger = logging.getLogger("salespulse.telephony")

# About 15,000 Asterisk rows, a second or two of work: smaller files are imported in the
# request, as before.
BACKGROUND_BYTES = 4 * 2**20
STALE = timedelta(minutes=10)
# The imports running on this process's threads, by record (to wait for one).
running: dict[int, threading.Thread] = {}


def start(source: CallSource, upload: UploadedFile, user: Any) -> CallImport:
    """Save the upload, record the import as running and start it; returns the record."""
    folder = settings.DATA_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, suffix=".upload")
    with os.fdopen(handle, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    record = CallImport.objects.create(
        source=source,
        user=user,
        file_name=(upload.name or "")[:255],
        status=CallImport.Status.RUNNING,
    )
    thread = threading.Thread(
        target=_run,
        args=(record.pk, path, translation.get_language()),
        name=f"call-import-{record.pk}",
        daemon=True,
    )
    running[record.pk] = thread
    thread.start()
    return record


def is_stale(record: CallImport) -> bool:
    return record.status == CallImport.Status.RUNNING and (
        timezone.now() - record.updated_at > STALE
    )


def _run(pk: int, path: str, language: str | None) -> None:
    try:
        with translation.override(language):
            record = CallImport.objects.select_related("source", "user").get(pk=pk)

            def progress(_share: float | None, rows: int) -> None:
                if rows:
                    CallImport.objects.filter(pk=pk).update(
                        rows_read=rows, updated_at=timezone.now()
                    )

            import_file(
                record.source,
                path,
                file_name=record.file_name,
                user=record.user,
                progress=progress,
                record=record,
            )
    except Exception as e:  # the page must end "done", with the reason, not "running"
        logger.exception("Background call import %s failed", pk)
        CallImport.objects.filter(pk=pk).update(
            status=CallImport.Status.DONE,
            result={"error": str(e)[:500], "rejected": [], "rejected_total": 0},
        )
    finally:
        Path(path).unlink(missing_ok=True)
        running.pop(pk, None)
        connection.close()
