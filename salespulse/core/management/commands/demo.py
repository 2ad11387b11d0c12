"""`salespulse demo`: a demo company in the database, its logins on screen, then the server."""

import json

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from salespulse.core.demo import DEPARTMENTS, DemoConflict, seed

ROLE_NAMES = {
    "admin": "Администратор",
    "director": "Коммерческий директор",
    "head": "Руководитель отдела",
    "cold_caller": "Менеджер холодных звонков",
    "account_manager": "Аккаунт-менеджер",
    "salesperson": "Менеджер по продажам",
}
DEPARTMENT_NAMES = {d.code: d.name for d in DEPARTMENTS}


class Command(BaseCommand):
    help = (
        "Create a demo company (3 departments, 13 sellers, 3 months of figures, plans) "
        "unless it is already there, print the logins and serve the application."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="seed and print, no server")
        parser.add_argument(
            "--json", action="store_true", help="print only the logins as JSON (for scripts)"
        )
        parser.add_argument("--host", help="default SALESPULSE_HOST (127.0.0.1)")
        parser.add_argument("--port", type=int, help="default SALESPULSE_PORT (8000)")

    def handle(self, *args: object, **options: object) -> None:
        as_json = bool(options["json"])
        call_command("migrate", interactive=False, verbosity=0)
        try:
            # The current moment, not a date: each seller's "yesterday" is on their own clock.
            result = seed(timezone.now())
        except DemoConflict as exc:
            raise CommandError(str(exc)) from None

        if as_json:
            users = [
                {k: u[k] for k in ("login", "password", "role", "department")} for u in result.users
            ]
            self.stdout.write(json.dumps({"users": users}, ensure_ascii=False, indent=2))
        else:
            if result.created:
                self.stdout.write("Демо-компания создана.")
            else:
                self.stdout.write("Демо-компания уже есть в базе: ничего не изменено.")
            self.stdout.write("")
            self.stdout.write(users_table(result.users))
            self.stdout.write("")
            host = options["host"] or settings.SALESPULSE_HOST
            port = options["port"] or settings.SALESPULSE_PORT
            url = f"http://{display_host(str(host))}:{port}/login/"
            self.stdout.write(f"Вход: {url}")

        if not options["no_serve"]:
            # With --json stdout carries only the JSON document, so the server's own lines
            # go to stderr.
            out = self.stderr if as_json else self.stdout
            call_command("serve", host=options["host"], port=options["port"], stdout=out)


def display_host(host: str) -> str:
    # A server listening on every interface is still reached on this machine by loopback.
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def users_table(users: list[dict[str, str | None]]) -> str:
    header = ["Логин", "Пароль", "Имя", "Роль", "Отдел"]
    rows = [
        [
            str(u["login"]),
            str(u["password"]),
            str(u.get("name") or ""),
            ROLE_NAMES.get(str(u["role"]), str(u["role"])),
            DEPARTMENT_NAMES.get(str(u["department"]), "—") if u["department"] else "—",
        ]
        for u in users
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: list[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    rule = "  ".join("-" * w for w in [*widths, len(header[-1])])
    return "\n".join([line(header), rule, *map(line, rows)])
