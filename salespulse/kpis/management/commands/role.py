"""`salespulse role set CODE --kpis a,b,c`: a sales role and the KPIs it is judged by."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from salespulse.kpis import services


class Command(BaseCommand):
    help = "Create or change a sales role and its KPIs (2-5 recommended, at most 8)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        set_ = sub.add_parser("set", help="create or update a role")
        set_.add_argument("code")
        set_.add_argument(
            "--kpis", required=True, help="KPI codes in display order, comma separated"
        )
        set_.add_argument("--name", default="", help="the name in Russian")
        set_.add_argument("--name-en", default="")

    def handle(self, *args, code: str, kpis: str, name: str, name_en: str, **opts):
        codes = [c.strip() for c in kpis.split(",") if c.strip()]
        try:
            role, warning = services.set_role(code, codes, name_ru=name, name_en=name_en)
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        if warning:
            self.stderr.write(f"Warning: {warning}")
        self.stdout.write(f"{role.code}: {', '.join(codes)}")
