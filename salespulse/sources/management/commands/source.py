"""`salespulse source add|list|test`: the sources data comes in from.

    salespulse source add pbx --kind asterisk-db \\
        --url mysql://salespulse:secret@10.0.0.5:3306/asteriskcdrdb [--tz Europe/Moscow] \\
        [--since 2026-10-01] [--every 5]
    salespulse source add b24 --kind bitrix24 --url https://PORTAL.bitrix24.ru/rest/1/CODE/
    salespulse source add amo --kind amocrm --url https://SUB.amocrm.ru --token-file /etc/amo
    salespulse source set b24 --app-token TOKEN [--map-user 40=volkov]
    salespulse source list [--json]
    salespulse source test pbx
"""

from __future__ import annotations

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from salespulse.org.models import Employee
from salespulse.sources import health
from salespulse.sources.models import CRM_KINDS, Source


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "Add, list and test the sources data comes in from (a PBX's CDR table)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a source")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=[k.value for k in Source.Kind])
        add.add_argument("--url", default="", help="mysql://…, postgres://…, sqlite:///path")
        add.add_argument("--tz", default=None, help="the PBX's time zone (default: TIME_ZONE)")
        add.add_argument("--since", type=_day, default=None, help="first sync from YYYY-MM-DD")
        add.add_argument("--every", type=int, default=5, help="sync every N minutes (5)")
        add.add_argument(
            "--token-file", default="", help="a CRM's token, read from this file when syncing"
        )
        add.add_argument(
            "--token-env", default="", help="a CRM's token, read from this environment variable"
        )
        add.add_argument("--currency", default="RUB", help="a CRM account's currency (RUB)")
        add.add_argument(
            "--app-token", default="", help="Bitrix24: the outgoing webhook's application token"
        )
        add.add_argument(
            "--deal-source", default="",
            help="what deals are stored as (default: the kind, so exports of the CRM match)",
        )  # fmt: skip
        listing = sub.add_parser("list", help="list the sources and their health")
        listing.add_argument("--json", action="store_true")
        test = sub.add_parser("test", help="connect and recognise the table")
        test.add_argument("name")
        # A CRM's webhook token is known only after its address (printed by add) is set up.
        change = sub.add_parser("set", help="change a CRM source's application token or users")
        change.add_argument("name")
        change.add_argument("--app-token", default=None, help="the outgoing webhook's token")
        change.add_argument(
            "--map-user", action="append", default=[], metavar="CRM_ID=LOGIN",
            help="the employee a CRM user is (repeatable; CRM_ID= forgets the mapping)",
        )  # fmt: skip

    def handle(self, *args, action: str, **options) -> None:
        with translation.override("ru"):
            getattr(self, f"do_{action}")(**options)

    def do_add(self, name: str, kind: str, url: str, tz: str | None, since, every: int, **o):
        source = Source(
            name=name, kind=kind, url=url, since=since, every_minutes=every,
            token_file=o["token_file"], token_env=o["token_env"], currency=o["currency"].upper(),
            app_token=o["app_token"], deal_source=o["deal_source"],
        )  # fmt: skip
        if tz:
            source.timezone = tz
        try:
            source.full_clean()
            health.validate(source)
        except ValidationError as e:
            raise CommandError("; ".join(m for ms in e.message_dict.values() for m in ms)) from None
        source.save()
        self.stdout.write(f"source {source.name} added ({source.kind}, every {every} min)")
        if source.kind in CRM_KINDS:
            self.stdout.write(f"webhook address: /sources/hooks/{source.pk}/{source.hook_key}/")
            if (source.token_file or source.token_env) and not source.token():
                self.stderr.write("the token is empty or cannot be read yet: syncs will say so")

    def do_list(self, json: bool = False, **_) -> None:  # noqa: A002
        rows = [health.describe(s) for s in Source.objects.all()]
        if json:
            self.stdout.write(_dumps({"sources": rows}))
            return
        for row in rows:
            self.stdout.write(
                f"{row['name']}\t{row['kind']}\t{row['status']}\t"
                f"last success: {row['last_success'] or '—'}\tlag: {row['lag_minutes'] or '—'} min"
            )

    def do_set(self, name: str, app_token: str | None, map_user: list[str], **_) -> None:
        source = Source.objects.filter(name=name, kind__in=CRM_KINDS).first()
        if source is None:
            raise CommandError(f"no CRM source {name}")
        if app_token is not None:
            source.app_token = app_token.strip()
        users = dict(source.options.get("users", {}))
        for pair in map_user:
            crm_id, sep, login = pair.partition("=")
            if not sep or not crm_id.strip():
                raise CommandError(f"--map-user {pair}: CRM_ID=LOGIN")
            if login.strip() and not Employee.objects.filter(user__username=login.strip()).exists():
                raise CommandError(f"--map-user {pair}: no employee {login.strip()}")
            users[crm_id.strip()] = login.strip()
        source.options["users"] = {k: v for k, v in users.items() if v}
        source.save(update_fields=["app_token", "options"])
        self.stdout.write(f"source {source.name} changed")

    def do_test(self, name: str, **_) -> None:
        try:
            source = Source.objects.get(name=name)
        except Source.DoesNotExist:
            raise CommandError(f"no source {name}") from None
        ok, message = health.test_connection(source)
        if not ok:
            raise CommandError(message)
        self.stdout.write(message)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
