"""`salespulse seller add LOGIN ...`: a seller with a user account, in one step."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from salespulse.kpis.models import Role
from salespulse.org import team
from salespulse.org.models import Department


def _one_line(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


class Command(BaseCommand):
    help = "Add sellers from the shell: `seller add LOGIN --name ... --role ... --department ...`"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", help="add a seller with a user account")
        add.add_argument("login")
        add.add_argument("--name", required=True, help='"Имя Фамилия"')
        add.add_argument("--role", required=True, help="a sales role code, e.g. cold_caller")
        add.add_argument("--department", required=True, help="the department's code")
        add.add_argument("--extension", default="", help="telephony extension")
        add.add_argument(
            "--timezone", default=settings.TIME_ZONE, help="IANA name (default: %(default)s)"
        )
        add.add_argument(
            "--hired",
            default=None,
            help="YYYY-MM-DD; figures before it do not count (default: none, all count)",
        )
        add.add_argument("--email", default="")
        add.add_argument(
            "--password", default=None, help="without it the account cannot log in yet"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "add":
            self.add(options)

    def add(self, options: dict[str, object]) -> None:
        login = str(options["login"]).strip()
        name = " ".join(str(options["name"]).split())
        password = options["password"]
        if not name:
            raise CommandError('A seller needs a name: --name "Имя Фамилия"')
        hired = None
        if options["hired"] is not None:
            try:
                hired = date.fromisoformat(str(options["hired"]).strip())
            except ValueError:
                raise CommandError(
                    f"Bad date for --hired: {options['hired']!r} (use YYYY-MM-DD)"
                ) from None
        try:
            role = Role.objects.get(code=options["role"])
        except Role.DoesNotExist:
            known = ", ".join(Role.objects.values_list("code", flat=True))
            raise CommandError(
                f"Unknown role: {options['role']} (known: {known or 'none'})"
            ) from None
        try:
            department = Department.objects.get(code=options["department"])
        except Department.DoesNotExist:
            raise CommandError(f"Unknown department: {options['department']}") from None
        # The same checks and the same creation as the head's team page (org.team).
        new = team.NewSeller(
            login=login,
            name=name,
            role=role,
            department=department,
            extension=str(options["extension"]).strip(),
            email=str(options["email"]).strip(),
            timezone=str(options["timezone"]).strip(),
            hired_on=hired,
        )
        errors = team.check(new)
        if errors:
            raise CommandError(next(errors[f] for f in team.FIELDS if f in errors))
        if password is not None:
            first_name, _sep, last_name = name.partition(" ")
            user = get_user_model()(
                username=login, first_name=first_name, last_name=last_name, email=new.email
            )
            try:
                password_validation.validate_password(str(password), user)
            except ValidationError as exc:
                raise CommandError(f"Password refused: {_one_line(exc)}") from None
        team.add_seller(new, None if password is None else str(password))

        self.stdout.write(f"Продавец {name} ({login}) добавлен: {department.name}, {role.name_ru}.")
        if password is None:
            self.stdout.write(
                f"Пароль не задан: войти нельзя, пока администратор его не установит "
                f"(salespulse changepassword {login})."
            )
        else:
            self.stdout.write(f"{login} входит с указанным паролем.")
