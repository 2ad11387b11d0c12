"""`salespulse import-calls FILE [--format F] [--source NAME] [--tz TZ] [--json]`."""

from __future__ import annotations

import json
import sys
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from salespulse.lib import cdr
from salespulse.telephony.importer import ImportResult, import_file
from salespulse.telephony.models import CallSource


class ProgressBar:
    """A plain progress bar on stderr, redrawn in place; silent when not a terminal."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.rows = 0

    def __call__(self, share: float | None, rows: int) -> None:
        if not self.enabled:
            return
        self.rows = max(self.rows, rows)
        if share is None:
            self.stream.write(f"\r{self.rows:>12,} rows".replace(",", " "))
        else:
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            count = f"{self.rows:,}".replace(",", " ")
            self.stream.write(f"\r[{bar}] {share:4.0%} {count} rows")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import call records (Asterisk Master.csv, cdr_custom, FreeSWITCH mod_cdr_csv, or "
        "any CSV/XLSX with a column mapping) and update the sellers' call KPIs. "
        "Importing the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import; - reads standard input")
        parser.add_argument(
            "--format",
            choices=cdr.FORMATS,
            default=None,
            help="how to read the file (default: the source's format, else asterisk)",
        )
        parser.add_argument(
            "--source",
            default=None,
            help="the call source's name; created with --format and --tz when new "
            "(default: the format's name)",
        )
        parser.add_argument(
            "--tz",
            default=None,
            help="the PBX's time zone for times without an offset "
            "(default: the source's, else TIME_ZONE)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(options)

    def _source(self, name: str | None, fmt: str | None, tz: str | None) -> CallSource:
        name = name or fmt or "asterisk"
        source = CallSource.objects.filter(name=name).first()
        if source is None:
            return CallSource.objects.create(
                name=name, format=fmt or "asterisk", timezone=tz or settings.TIME_ZONE
            )
        if fmt and fmt != source.format:
            raise CommandError(
                _("The source %(name)s reads %(format)s files, not %(asked)s.")
                % {"name": name, "format": source.format, "asked": fmt}
            )
        return source

    def _handle(self, options: dict[str, Any]) -> None:
        tz = options["tz"]
        if tz is not None and tz not in zoneinfo.available_timezones():
            raise CommandError(_("Unknown time zone: %(tz)s") % {"tz": tz})
        source = self._source(options["source"], options["format"], tz)
        path = options["file"]
        bar = ProgressBar(self.stderr._out)
        try:
            file = sys.stdin.buffer if path == "-" else path
            result, _record = import_file(source, file, file_name=path, tz=tz, progress=bar)
        except FileNotFoundError:
            raise CommandError(_("No such file: %(path)s") % {"path": path}) from None
        except IsADirectoryError:
            raise CommandError(
                _("This is a folder, not a file: %(path)s") % {"path": path}
            ) from None
        finally:
            bar.done()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(self._summary(result))
        if result.failed:
            raise CommandError(result.error or _("Nothing was imported."))

    def _summary(self, r: ImportResult) -> str:
        lines = [
            _("Rows read: %(n)d") % {"n": r.rows},
            _("Calls: %(n)d") % {"n": r.calls},
            _("Legs imported: %(n)d") % {"n": r.imported},
            _("Already imported (skipped): %(n)d") % {"n": r.duplicates},
            _("Rows refused: %(n)d") % {"n": r.rejected_total},
        ]
        for item in r.rejected[:20]:
            lines.append("  " + _("line %(line)d: %(reason)s") % item)
        if r.rejected_total > 20:
            lines.append("  " + _("… and %(n)d more") % {"n": r.rejected_total - 20})
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
