"""`salespulse serve`: the web application on gunicorn, several processes with threads.

One Python process uses one core however many threads it has; the evening spike (hundreds
of sellers closing the day within a minute, each login an Argon2 check) needs every core,
so the server forks SALESPULSE_WORKERS processes sharing one listening socket.
"""

import gc

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication


class Command(BaseCommand):
    help = "Serve salespulse over HTTP (migrating the database first if it is behind)."

    def add_arguments(self, parser):
        parser.add_argument("--host", help="default SALESPULSE_HOST (127.0.0.1)")
        parser.add_argument("--port", type=int, help="default SALESPULSE_PORT (8000)")
        parser.add_argument("--workers", type=int, help="default SALESPULSE_WORKERS")
        parser.add_argument("--threads", type=int, help="default SALESPULSE_THREADS")

    def handle(self, *args, host=None, port=None, workers=None, threads=None, **options):
        host = host or settings.SALESPULSE_HOST
        port = settings.SALESPULSE_PORT if port is None else port
        workers = workers or settings.SALESPULSE_WORKERS
        threads = threads or settings.SALESPULSE_THREADS
        if not 0 < port < 65536:
            raise CommandError(f"Port must be 1-65535, got {port}")
        if workers < 1 or threads < 1:
            raise CommandError("Workers and threads must be 1 or more")
        call_command("migrate", interactive=False, verbosity=0)
        # The workers are forked from this process: a connection opened here (by migrate)
        # must not be shared by all of them.
        connections.close_all()
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.stdout.write(
            f"salespulse: http://{bind}/login/  ({workers} processes × {threads} threads; "
            "Ctrl+C to stop)"
        )
        # SIGTERM (systemd's and docker's stop) lets the requests in hand finish within
        # SALESPULSE_GRACEFUL_TIMEOUT, then exits 0; Ctrl+C stops at once.
        Server(
            {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                # gthread even with one thread: it is the worker that keeps connections
                # alive and bounds them (worker_connections).
                "worker_class": "gthread",
                "worker_connections": settings.SALESPULSE_MAX_CONNECTIONS,
                "backlog": settings.SALESPULSE_BACKLOG,
                "timeout": settings.SALESPULSE_TIMEOUT,
                "graceful_timeout": settings.SALESPULSE_GRACEFUL_TIMEOUT,
                # Also how long a stop waits for an idle or half-open connection: short.
                "keepalive": 2,
                # Django is imported once and shared by the forked workers (less memory,
                # a quick start).
                "preload_app": True,
                # Several servers may run on one machine (tests, benches): no shared
                # control socket under $HOME.
                "control_socket_disable": True,
                "proc_name": "salespulse",
                # The proxy in front logs requests; errors go to stderr (the journal).
                "errorlog": "-",
                "loglevel": "warning",
            }
        ).run()


class Server(BaseApplication):
    """gunicorn with its settings given here, not read from its own command line."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from salespulse.wsgi import application

        # Everything imported so far lives as long as the workers: frozen, the collector
        # stops rescanning it on every full collection (a board builds tens of thousands
        # of objects, which triggers them; the director's view took 200 ms instead of 240
        # in-process), and the forked workers keep sharing its memory pages.
        gc.collect()
        gc.freeze()
        return application
