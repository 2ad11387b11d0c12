"""`salespulse bonus-scheme set ROLE|department:CODE|seller:LOGIN FILE`: a scheme from TOML/JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from salespulse.bonus import schemes
from salespulse.lib import bonus_spec


class Command(BaseCommand):
    help = (
        "Set a bonus scheme for a role (ROLE), a department (department:CODE) or a seller "
        "(seller:LOGIN) from a TOML or JSON file, valid from --from YYYY-MM (default: this "
        "month) on; earlier months keep the scheme they had. `show` prints the version in "
        "force as JSON. The scheme language is in the README (Bonuses)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["set", "show"])
        parser.add_argument("target", help="ROLE, department:CODE or seller:LOGIN")
        parser.add_argument("file", nargs="?", help="the scheme, .toml or .json (for set)")
        parser.add_argument("--from", dest="valid_from", default=None, help="YYYY-MM")

    def handle(self, *args: object, **options: object) -> None:
        try:
            target = schemes.target_of(str(options["target"]))
        except ValueError as e:
            raise CommandError(str(e)) from None
        month = _month(options["valid_from"])
        if options["action"] == "show":
            versions = [v for v in schemes.versions_of(target) if v.valid_from <= month]
            if not versions:
                raise CommandError(f"No scheme for {options['target']} in {month:%Y-%m}")
            data = {"valid_from": versions[0].valid_from.isoformat(), **versions[0].spec}
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if not options["file"]:
            raise CommandError("set needs a FILE")
        path = Path(str(options["file"]))
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            raise CommandError(f"{path}: {e.strerror}") from None
        try:
            saved = schemes.save(target, bonus_spec.loads(text, path.name), month)
        except bonus_spec.SchemeError as e:
            raise CommandError(f"{path}: {e}") from None
        self.stdout.write(f"{saved.target_label}: scheme set from {saved.valid_from:%Y-%m}")


def _month(text: object) -> date:
    if text is None:
        return timezone.localdate().replace(day=1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(f"Bad --from {text!r}: expected YYYY-MM") from None
