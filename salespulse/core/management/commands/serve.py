"""`salespulse serve`: the web application on a production-grade WSGI server (waitress)."""

import signal

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve salespulse over HTTP (migrating the database first if it is behind)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        if not 0 < port < 65536:
            raise CommandError(f"Port must be 1-65535, got {port}")
        call_command("migrate", interactive=False, verbosity=0)
        from waitress import serve

        from salespulse.wsgi import application

        self.stdout.write(f"salespulse: http://{host}:{port}/login/  (Ctrl+C to stop)")
        # systemd and docker stop with SIGTERM: stop as on Ctrl+C (waitress finishes the
        # requests in hand and exits), not after the kill timeout.
        signal.signal(signal.SIGTERM, _interrupt)
        serve(application, host=host, port=port, threads=threads, ident="salespulse")


def _interrupt(signum, frame):
    raise KeyboardInterrupt
