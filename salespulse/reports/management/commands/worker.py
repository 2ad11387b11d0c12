"""`salespulse worker [--loop] [--interval SECONDS]`: due e-mails, recounts, imports, syncs.

Without --loop: one pass, then exit (for cron or a test). With --loop: a pass every
interval until SIGTERM or SIGINT, which let the current e-mail finish and then exit 0.
Several workers may run at once: each e-mail, and each recount of figures a changed
setting asked for (kpis.recount), is claimed in the database before it is done. E-mails
go first: they have deadlines, a recount only makes figures right a little later. Then
the queued imports (big uploads) and the syncs of sources that are due (sources.runner),
each claimed the same way.
"""

import argparse
import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from salespulse.kpis.recount import run_due
from salespulse.org.team import close_leavers_logins
from salespulse.reports.notify.worker import run_pass
from salespulse.sources.runner import run_due as run_sources

logger = logging.getLogger("salespulse.notify")


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


class Command(BaseCommand):
    help = (
        "Send due reminders and morning digests, recount figures changed settings asked "
        "for, then run queued imports and due source syncs (once, or with --loop until "
        "stopped)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="keep running, a pass every --interval seconds"
        )
        parser.add_argument(
            "--interval",
            type=positive_seconds,
            default=60.0,
            metavar="SECONDS",
            help="pause between passes with --loop (default 60)",
        )

    def handle(self, *args, loop: bool, interval: float, **options) -> None:
        # An Event rather than a flag: the signal also cuts the pause between passes short.
        stop = threading.Event()

        def on_signal(signum, frame):
            self.stdout.write(f"{signal.strsignal(signum)}: finishing the current send")
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            if loop:
                self.stdout.write(f"worker running, a pass every {interval:g} s")
            while not stop.is_set():
                if loop:
                    # A connection that died or aged out between passes is replaced, as
                    # Django does between requests.
                    close_old_connections()
                try:
                    self.one_pass(stop)
                except Exception:
                    if not loop:
                        raise
                    # A database restart must not end a long-running worker; it tries again
                    # next interval (and systemd restarts it should it die anyway).
                    logger.exception("Worker pass failed")
                if not loop:
                    break
                stop.wait(interval)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if loop:
            self.stdout.write("worker stopped")

    def one_pass(self, stop: threading.Event) -> None:
        outcome = run_pass(should_stop=stop.is_set)
        for job in outcome.sent:
            self.stdout.write(f"sent {job.kind} to {job.to} ({job.day:%Y-%m-%d})")
        for job, error in outcome.failed:
            self.stderr.write(f"failed {job.kind} to {job.to} ({job.day:%Y-%m-%d}): {error}")
        for login in close_leavers_logins():
            self.stdout.write(f"login of {login} turned off: their last working day is over")
        for recount in run_due(should_stop=stop.is_set):
            if recount.error:
                self.stderr.write(f"recount failed ({recount.reason}): {recount.error}")
            else:
                self.stdout.write(f"recounted {recount.kind} ({recount.reason})")
        # Imports and syncs last: they may take minutes; the pass after them sends what
        # fell due meanwhile.
        for run in run_sources(should_stop=stop.is_set):
            what = run.source.name if run.source else run.file_name
            if run.error:
                self.stderr.write(f"{run.kind} {what} failed: {run.error}")
            else:
                self.stdout.write(f"{run.kind} {what}: {run.counts.get('imported', 0)} imported")
