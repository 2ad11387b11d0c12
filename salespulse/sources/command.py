"""What every `salespulse import-…` command shares: the file argument, --json, the
progress bar on a terminal's stderr, and the words for a missing file.

A command says how to import (`run_import`), how to tell the result (`summary`, `as_json`)
and when the exit status is an error (`failure`).
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

BAR_WIDTH = 30


class ProgressBar:
    """A one-line bar on stderr, redrawn in place: call it with (rows read, share or None)."""

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
    file_help = "the file to import"
    stdin = False  # whether "-" reads standard input

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help=self.file_help + ("; - reads standard input" if self.stdin else "")
        )
        self.add_import_arguments(parser)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def add_import_arguments(self, parser: CommandParser) -> None:
        pass

    def handle(self, *args: Any, **options: Any) -> None:
        path: str = options["file"]
        self.check_options(options)
        stderr = getattr(self.stderr, "_out", sys.stderr)
        bar = ProgressBar(stderr) if hasattr(stderr, "isatty") and stderr.isatty() else None
        file: str | IO[bytes] = sys.stdin.buffer if (self.stdin and path == "-") else path
        try:
            result = self.run_import(file, path, options, bar)
        except FileNotFoundError as e:
            raise CommandError(_("No such file: %(path)s") % {"path": e.filename or path}) from None
        except IsADirectoryError as e:
            raise CommandError(
                _("This is a folder, not a file: %(path)s") % {"path": e.filename or path}
            ) from None
        finally:
            if bar is not None:
                bar.close()
        if options["json"]:
            self.stdout.write(
                json.dumps(self.as_json(result), ensure_ascii=False, indent=self.indent)
            )
        else:
            self.stdout.write(self.summary(result))
        if (failure := self.failure(result)) is not None:
            raise CommandError(failure)

    indent: int | None = None

    def check_options(self, options: dict[str, Any]) -> None:
        pass

    def run_import(self, file: str | IO[bytes], path: str, options: dict[str, Any],
                   progress: ProgressBar | None) -> Any:  # fmt: skip
        raise NotImplementedError

    def summary(self, result: Any) -> str:
        raise NotImplementedError

    def as_json(self, result: Any) -> dict[str, Any]:
        raise NotImplementedError

    def failure(self, result: Any) -> str | None:
        return None
