"""`salespulse plan set|department`: plans from scripts and cron."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from salespulse.kpis import services
from salespulse.kpis.models import Kpi, Plan
from salespulse.org.models import Department, Employee


def parse_value(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise CommandError(f"Not a number: {text!r}") from None
    if not value.is_finite():
        raise CommandError(f"Not a number: {text!r}")
    return value


def parse_period(month: str | None, week: str | None, day: str | None) -> tuple[str, date]:
    given = [(k, v) for k, v in (("month", month), ("week", week), ("day", day)) if v]
    if len(given) != 1:
        raise CommandError(
            "Give exactly one of --month YYYY-MM, --week YYYY-MM-DD, --day YYYY-MM-DD"
        )
    kind, text = given[0]
    try:
        return kind, date.fromisoformat(text + "-01" if kind == "month" else text)
    except ValueError:
        fmt = "YYYY-MM" if kind == "month" else "YYYY-MM-DD"
        raise CommandError(f"Bad --{kind} {text!r}: expected {fmt}") from None


def get_kpi(code: str) -> Kpi:
    try:
        return Kpi.objects.get(code=code)
    except Kpi.DoesNotExist:
        raise CommandError(f"Unknown KPI: {code}") from None


class Command(BaseCommand):
    help = "Set a seller's or a department's plan for one KPI."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        seller = sub.add_parser("set", help="a seller's plan for a month, an ISO week or a day")
        seller.add_argument("login")
        seller.add_argument("kpi")
        seller.add_argument("value")
        for flag in ("--month", "--week", "--day"):
            seller.add_argument(flag)
        dept = sub.add_parser("department", help="a department's monthly plan, instead of the sum")
        dept.add_argument("code")
        dept.add_argument("kpi")
        dept.add_argument("value")
        dept.add_argument("--month", required=True)

    def handle(self, *args, action: str, **opts):
        value = parse_value(opts["value"])
        kpi = get_kpi(opts["kpi"])
        try:
            if action == "set":
                kind, day = parse_period(opts["month"], opts["week"], opts["day"])
                try:
                    employee = Employee.objects.select_related("user").get(
                        user__username=opts["login"]
                    )
                except Employee.DoesNotExist:
                    raise CommandError(f"Unknown seller: {opts['login']}") from None
                plan = services.set_plan(employee, kpi, Plan.Kind(kind), day, value)
                self.stdout.write(
                    f"{employee.login} · {kpi.code} · {kind} {plan.start.isoformat()}: {plan.value}"
                )
            else:
                _kind, month = parse_period(opts["month"], None, None)
                try:
                    department = Department.objects.get(code=opts["code"])
                except Department.DoesNotExist:
                    raise CommandError(f"Unknown department: {opts['code']}") from None
                plan = services.set_department_plan(department, kpi, month, value)
                self.stdout.write(
                    f"{department.code} · {kpi.code} · {plan.month:%Y-%m}: {plan.value}"
                )
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
