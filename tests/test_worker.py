"""`salespulse worker`: one pass, the loop and its clean stop, workers racing on PostgreSQL."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from salespulse.reports.models import Notification
from salespulse.reports.notify.worker import collect, deliver
from tests.factories import make_department
from tests.test_notify import WED, free_port, seller, smtp, utc  # noqa: F401 (smtp: fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_one_pass_sends_what_is_due_and_exits(smtp, time_machine):  # noqa: F811
    north = make_department("north", "Север")
    seller("ann", north)
    seller("bob", north, timezone="Asia/Novosibirsk")  # his deadline passed hours ago
    time_machine.move_to(utc(WED, 15, 30), tick=False)
    out = StringIO()
    call_command("worker", stdout=out)
    assert out.getvalue().splitlines() == ["sent reminder to ann@example.ru (2026-04-08)"]
    assert [m["To"] for m in smtp.messages] == ["ann@example.ru"]
    # Signal handlers are given back once the command is done.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.django_db
def test_a_failed_send_is_reported_on_stderr(smtp, settings, time_machine):  # noqa: F811
    seller("ann", make_department("north"))
    settings.EMAIL_PORT = free_port()
    time_machine.move_to(utc(WED, 15, 30), tick=False)
    out, err = StringIO(), StringIO()
    call_command("worker", stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert err.getvalue().startswith("failed reminder to ann@example.ru (2026-04-08): ")
    assert Notification.objects.get().status == "failed"


@pytest.mark.parametrize("interval", ["0", "-5", "soon"])
def test_the_interval_must_be_a_positive_number_of_seconds(interval):
    with pytest.raises(CommandError, match="--interval"):
        call_command("worker", "--loop", "--interval", interval)


# --- the loop, in a real process --------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A migrated SQLite database of its own, whatever database the suite runs on."""
    path = tmp_path_factory.mktemp("worker-data")
    subprocess.run(
        [sys.executable, "-m", "salespulse", "migrate", "--no-input", "-v", "0"],
        env=_env(path),
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return path


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        SALESPULSE_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="salespulse.settings",
        # Nothing is due in an empty database, but never let a stray e-mail out.
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(free_port()),
    )
    return env


def _lines(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)  # end of output

    threading.Thread(target=read, daemon=True).start()
    return lines


@pytest.mark.parametrize(
    "signum, interval",
    [
        (signal.SIGTERM, "1"),
        # A long pause is cut short: the worker does not sleep out its interval first.
        (signal.SIGINT, "30"),
    ],
)
def test_a_signal_stops_the_loop_cleanly(data_dir, signum, interval):
    process = subprocess.Popen(
        [sys.executable, "-m", "salespulse", "worker", "--loop", "--interval", interval],
        env=_env(data_dir),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(process.stdout)
        assert lines.get(timeout=30).startswith("worker running")
        time.sleep(1.5)  # at least one pass and one pause
        assert process.poll() is None
        started = time.monotonic()
        process.send_signal(signum)
        # Well under the 30 s interval (a busy CI machine may be slow to exit, though).
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - started < 15
        rest = []
        while (line := lines.get(timeout=30)) is not None:
            rest.append(line)
        assert rest[-1] == "worker stopped"
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- two workers racing on PostgreSQL ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_postgresql_send_each_email_once(smtp, time_machine):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs two connections to a server database")
    north = make_department("north", "Север")
    logins = [f"s{i:02d}" for i in range(20)]
    for login in logins:
        seller(login, north)
    now = utc(WED, 15, 40)
    time_machine.move_to(now, tick=False)

    # Both workers find the same work before either claims any, then claim at once: only
    # the database's unique constraint stands between them and a double send.
    barrier = threading.Barrier(2, timeout=30)
    outcomes, errors = [], []

    def worker() -> None:
        try:
            jobs = collect(now)
            barrier.wait()
            outcomes.append(deliver(jobs, now))
        except Exception as e:  # surfaced by the assertions below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(len(o.sent) + o.skipped for o in outcomes) == [20, 20]
    assert sum(len(o.sent) for o in outcomes) == 20
    assert sorted(m["To"] for m in smtp.messages) == [f"{x}@example.ru" for x in logins]
    assert Notification.objects.filter(status="sent").count() == 20
