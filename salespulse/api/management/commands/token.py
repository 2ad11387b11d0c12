"""`salespulse token create LOGIN [--name N]`: an API token for telephony or CRM pushes."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from salespulse.api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user (printed once; only its hash is stored)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("login")
        create.add_argument("--name", default="")

    def handle(self, *args, action: str, login: str, name: str, **opts):
        try:
            user = get_user_model().objects.get(username=login)
        except get_user_model().DoesNotExist:
            raise CommandError(f"Unknown user: {login}") from None
        _obj, token = ApiToken.issue(user, name)
        self.stdout.write(token)
