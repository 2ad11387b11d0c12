"""`salespulse import-calls FILE [--format F] [--source S] [--tz TZ] [--queue-log Q] [--json]`."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from salespulse.lib import cdr
from salespulse.sources.command import ImportCommand
from salespulse.telephony.importer import import_file
from salespulse.telephony.models import CallSource
from salespulse.telephony.queueimport import import_queue_log
from salespulse.telephony.results import ImportResult, QueueLogResult


class Command(ImportCommand):
    help = (
        "Import call records (Asterisk Master.csv, the FreePBX/Issabel cdr table, cdr_custom, "
        "FreeSWITCH mod_cdr_csv, or any CSV/XLSX with a header row; the layout is recognised) "
        "and update the sellers' call KPIs. Importing the same file again changes nothing."
    )

    stdin = True

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=cdr.FORMATS,
            default=None,
            help="how to read the file (default: the source's format; a new source "
            "recognises the layout of each file: detect)",
        )
        parser.add_argument(
            "--source",
            default=None,
            help="the call source's name; created with --format and --tz when new "
            "(default: the format's name, else calls)",
        )
        parser.add_argument(
            "--tz",
            default=None,
            help="the PBX's time zone for times without an offset "
            "(default: the source's, else TIME_ZONE)",
        )
        parser.add_argument(
            "--queue-log",
            default=None,
            metavar="QLOG",
            help="the PBX's queue_log for the same period, imported after FILE as its "
            "companion: who of the agents answered the queue calls, and for how long",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            super().handle(*args, **options)

    def _source(self, name: str | None, fmt: str | None, tz: str | None) -> CallSource:
        name = name or fmt or "calls"
        source = CallSource.objects.filter(name=name).first()
        if source is None:
            return CallSource.objects.create(
                name=name, format=fmt or CallSource.Format.DETECT, timezone=tz or settings.TIME_ZONE
            )
        if fmt and fmt not in (source.format, CallSource.Format.DETECT):
            raise CommandError(
                _("The source %(name)s reads %(format)s files, not %(asked)s.")
                % {"name": name, "format": source.format, "asked": fmt}
            )
        return source

    def check_options(self, options: dict[str, Any]) -> None:
        tz = options["tz"]
        if tz is not None and tz not in zoneinfo.available_timezones():
            raise CommandError(_("Unknown time zone: %(tz)s") % {"tz": tz})

    def run_import(
        self, file: Any, path: str, options: dict[str, Any], progress: Any
    ) -> tuple[ImportResult, QueueLogResult | None]:
        tz = options["tz"]
        source = self._source(options["source"], options["format"], tz)
        queue_path = options["queue_log"]
        result, _record = import_file(source, file, file_name=path, tz=tz, progress=progress)
        queue = (
            import_queue_log(source, queue_path, file_name=queue_path)[0] if queue_path else None
        )
        return result, queue

    def as_json(self, both: tuple[ImportResult, QueueLogResult | None]) -> dict[str, Any]:
        result, queue = both
        out = result.as_json()
        if queue is not None:
            out["queue_log"] = queue.as_json()
        return out

    def summary(self, both: tuple[ImportResult, QueueLogResult | None]) -> str:
        result, queue = both
        text = self._summary(result)
        return text + "\n" + self._queue_summary(queue) if queue is not None else text

    def failure(self, both: tuple[ImportResult, QueueLogResult | None]) -> str | None:
        result, queue = both
        if result.failed:
            return result.error or _("Nothing was imported.")
        if queue is not None and queue.error:
            return queue.error
        return None

    def _summary(self, r: ImportResult) -> str:
        lines = [
            _("Read as: %(layout)s") % {"layout": r.layout or "—"},
            _("Rows read: %(n)d") % {"n": r.rows},
            "  " + _("imported: %(n)d") % {"n": r.imported},
            "  " + _("already stored (skipped): %(n)d") % {"n": r.already_stored},
            "  " + _("exact repeats in the file (skipped): %(n)d") % {"n": r.repeats},
            "  "
            + _("not sales calls (stored, not counted): %(n)d") % {"n": r.not_sales}
            + (
                " ("
                + ", ".join(f"{_(k or '?')}: {v}" for k, v in sorted(r.not_sales_by.items()))
                + ")"
                if r.not_sales_by
                else ""
            ),
            "  " + _("refused: %(n)d") % {"n": r.refused},
            _("Calls: %(n)d") % {"n": r.calls},
        ]
        if r.error:
            lines.append(_("The file: %(error)s") % {"error": r.error})
        for item in r.rejected[:20]:
            if item["line"] == 0:
                continue
            lines.append("  " + _("line %(line)d: %(reason)s") % item)
        if r.refused > 20:
            lines.append("  " + _("… and %(n)d more") % {"n": r.refused - 20})
        if r.replaced_bytes:
            lines.append(
                _("Bytes not valid in the file's encoding were replaced: %(n)d (lines %(lines)s)")
                % {"n": r.replaced_bytes, "lines": ", ".join(map(str, r.replaced_lines[:10]))}
            )
        if r.unmapped:
            lines.append(_("Agents not mapped to a seller (calls):"))
            for agent, calls in r.unmapped.items():
                lines.append(f"  {agent}: {calls}")
        return "\n".join(lines)

    def _queue_summary(self, q: QueueLogResult) -> str:
        lines = [
            "",
            _("queue_log lines read: %(n)d") % {"n": q.lines},
            "  " + _("about calls' outcomes: %(n)d") % {"n": q.used},
            "  " + _("other events: %(n)d") % {"n": q.other},
            "  " + _("refused: %(n)d") % {"n": q.refused},
            _("Queue calls answered by an agent: %(n)d") % {"n": q.answered},
            _("Queue calls nobody answered: %(n)d") % {"n": q.abandoned},
            _("Legs imported: %(n)d") % {"n": q.imported},
            _("Already stored (skipped): %(n)d") % {"n": q.already_stored},
        ]
        for item in q.rejected[:20]:
            lines.append("  " + _("line %(line)d: %(reason)s") % item)
        if q.unmapped:
            lines.append(_("Agents not mapped to a seller (calls):"))
            for agent, calls in q.unmapped.items():
                lines.append(f"  {agent}: {calls}")
        return "\n".join(lines)
