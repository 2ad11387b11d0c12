"""`salespulse backup [--output FILE]`: a consistent copy of the whole database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from salespulse.core.backup import BackupError, backup, default_path


class Command(BaseCommand):
    help = (
        "Back up the whole database while the app runs: SQLite through its online backup "
        "API, PostgreSQL through pg_dump (custom format). Default file: "
        "SALESPULSE_DATA_DIR/backups/salespulse-YYYYMMDD-HHMMSS.sqlite3 or .pgdump."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=None, help="the backup file to write")

    def handle(self, *args: object, **options: object) -> None:
        target = Path(str(options["output"])) if options["output"] else None
        try:
            written = backup(target or default_path(timezone.localtime()))
        except BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(str(written))
