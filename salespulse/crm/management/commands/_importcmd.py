"""What `salespulse import-deals` and `salespulse import-clients` share."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from salespulse.crm.importer import FORMATS, ImportFailed, ImportResult, import_file

BAR_WIDTH = 30


class ProgressBar:
    """A one-line bar on stderr, redrawn in place; silent when stderr is not a terminal."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, rows: int, share: float | None) -> None:
        if share is None:
            line = _("%(rows)d rows read") % {"rows": rows}
        else:
            filled = int(share * BAR_WIDTH)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            line = f"[{bar}] {share:4.0%} " + _("%(rows)d rows read") % {"rows": rows}
        self.stream.write("\r" + line)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class ImportCommand(BaseCommand):
    kind = "deals"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV, XLSX or Bitrix24's HTML .xls export")
        parser.add_argument("--format", default=None, help=", ".join(FORMATS))
        parser.add_argument("--mapping", default=None, help="a saved column mapping's name")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        fmt = options["format"]
        if fmt is not None and fmt not in FORMATS:
            raise CommandError(_("Unknown format '%(format)s': use %(known)s.")
                               % {"format": fmt, "known": ", ".join(FORMATS)})  # fmt: skip
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        stderr = getattr(self.stderr, "_out", sys.stderr)
        bar = ProgressBar(stderr) if stderr.isatty() else None
        try:
            result = import_file(
                str(path),
                kind=self.kind,
                fmt=fmt,
                mapping=options["mapping"],
                file_name=path.name,
                progress=bar,
            )
        except ImportFailed as e:
            raise CommandError(e.text()) from None
        finally:
            if bar is not None:
                bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(summary(result))

    # Bad rows are reported, not fatal: the exit status stays 0 and the good rows are in.


def summary(result: ImportResult) -> str:
    data = result.to_dict()
    lines = [
        _("Rows read: %(rows)d. Created: %(created)d, updated: %(updated)d, unchanged: "
          "%(unchanged)d. New clients: %(clients)d.")
        % {"rows": data["rows"], "created": data["created"], "updated": data["updated"],
           "unchanged": data["unchanged"], "clients": data["clients_created"]},
    ]  # fmt: skip
    if data["new_stages"]:
        lines.append(
            _("New stages counted as in progress until you check them: %(stages)s")
            % {"stages": ", ".join(data["new_stages"])}
        )
    if data["other_currency"]:
        lines.append(
            _("%(n)d won deals in another currency are kept but not added to the sums.")
            % {"n": data["other_currency"]}
        )
    if data["error_count"]:
        lines.append(_("Rows not taken: %(n)d.") % {"n": data["error_count"]})
        lines += [_("line %(line)d: %(message)s") % e for e in data["errors"][:50]]
    lines += [_("line %(line)d: %(message)s") % w for w in data["warnings"][:20]]
    return "\n".join(lines)
