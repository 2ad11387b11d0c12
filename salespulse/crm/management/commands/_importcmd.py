"""What `salespulse import-deals` and `salespulse import-clients` share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from salespulse.crm.files import FORMATS, ImportFailed, import_file
from salespulse.crm.importer import ImportResult
from salespulse.sources.command import ImportCommand as BaseImportCommand
from salespulse.sources.command import ProgressBar  # noqa: F401 (the one bar, also here)


class ImportCommand(BaseImportCommand):
    kind = "deals"
    file_help = "CSV, XLSX or Bitrix24's HTML .xls export"
    indent = 2

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", default=None, help=", ".join(FORMATS))
        parser.add_argument("--mapping", default=None, help="a saved column mapping's name")

    def check_options(self, options: dict[str, Any]) -> None:
        fmt = options["format"]
        if fmt is not None and fmt not in FORMATS:
            raise CommandError(_("Unknown format '%(format)s': use %(known)s.")
                               % {"format": fmt, "known": ", ".join(FORMATS)})  # fmt: skip
        if not Path(options["file"]).is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": Path(options["file"])})

    def run_import(self, file: Any, path: str, options: dict[str, Any], progress: Any) -> Any:
        try:
            return import_file(
                str(file), kind=self.kind, fmt=options["format"], mapping=options["mapping"],
                file_name=Path(path).name, progress=progress,
            )  # fmt: skip
        except ImportFailed as e:
            raise CommandError(e.text()) from None

    def as_json(self, result: ImportResult) -> dict[str, Any]:
        return result.to_dict()

    def summary(self, result: ImportResult) -> str:
        return summary(result)

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
