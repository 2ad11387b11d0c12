"""`salespulse restore FILE`: put a backup back (stop the web server and worker first)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salespulse.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `salespulse backup`. Stop "
        "the web server and the worker first; run `salespulse migrate` after restoring an "
        "older backup into a newer salespulse."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")

    def handle(self, *args: object, **options: object) -> None:
        try:
            restore(Path(str(options["file"])))
        except BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"restored {options['file']}")
