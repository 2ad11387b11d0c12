"""The 19:00 spike (issue 18): the production server under the evening's closing of the day.

Seeds a company (10 departments × 55 sellers with 100 days of figures, 20 heads), starts
the production server as `salespulse serve` does (a subprocess, its settings from the
environment), then replays the evening over real HTTP:

- 500 sellers already logged in (their sessions are put in the session store, as weeks-long
  logins leave them) open My day and close it with a real form POST (CSRF token, figures),
  opening within the first 45 s and typing 5-15 s: every report is in within 60 s;
- 50 sellers log in through the login form first (Argon2, as in production), then do the
  same;
- 20 heads (two per department) open their department's board every 30 s until the last
  seller is done.

Counts errors (a status other than 2xx/3xx, a refused form, a timeout, a refused
connection), checks in the database that every report was saved exactly once, and prints
p50/p95/max per kind of request and the time to drain, beside a baseline timed on the idle
server in the same run (the login page, and one seller's My day).

    .venv/bin/python bench/spike.py
    .venv/bin/python bench/spike.py --db postgres://postgres@127.0.0.1:5432/spike --recreate
    SALESPULSE_WORKERS=3 SALESPULSE_THREADS=8 .venv/bin/python bench/spike.py

Targets: 0 errors, every report saved once, p95 of every kind under 1 s.
"""

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSWORD = "spike-evening-2026"
TARGET_P95 = 1.0  # seconds
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
INPUT = re.compile(r"<input\b[^>]*>")
ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Sample:
    kind: str
    start: float  # seconds since the spike began
    seconds: float
    error: str | None  # None when the request did what it should
    path: str = ""


@dataclass
class Log:
    samples: list[Sample] = field(default_factory=list)
    t0: float = 0.0
    wall0: float = 0.0  # time.time() at t0

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)  # list.append is atomic under the GIL


class Browser:
    """One user's browser: cookies kept, a fresh connection per request (think times are
    longer than the server's keep-alive)."""

    def __init__(self, port: int, log: Log, timeout: float, cookies: dict[str, str]):
        self.port, self.log, self.timeout = port, log, timeout
        self.cookies = dict(cookies)

    def request(
        self, kind: str, method: str, path: str, form: dict | None = None, expect: int = 200
    ) -> tuple[int, dict, str] | None:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "ru"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            self._record(kind, started, f"{type(e).__name__}: {e}", path)
            return None
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        status = response.status
        self._record(kind, started, None if status == expect else f"status {status}", path)
        return status, dict(response.headers), text

    def _record(self, kind: str, started: float, error: str | None, path: str) -> None:
        now = time.perf_counter()
        self.log.add(Sample(kind, started - self.log.t0, now - started, error, path))


def form_fields(html: str) -> dict[str, str]:
    """The day form as the browser would send it: hidden fields kept, every figure typed."""
    fields = {}
    for tag in INPUT.findall(html):
        attrs = dict(ATTR.findall(tag))
        name = attrs.get("name", "")
        if name.startswith("v_"):
            fields[name] = str(random.randint(0, 60))
        elif name in ("csrfmiddlewaretoken", "version", "token"):
            fields[name] = attrs.get("value", "")
    fields["comment"] = ""
    return fields


def seller_evening(
    browser: Browser, opens_at: float, typing: float, login: str | None, done: list
) -> None:
    wait_until(browser.log.t0 + opens_at)
    try:
        evening(browser, typing, login)
    finally:
        done.append(time.perf_counter())


def evening(browser: Browser, typing: float, login: str | None) -> None:
    if login is not None:
        page = browser.request("login page", "GET", "/login/")
        token = CSRF.search(page[2]) if page else None
        if token is None:
            return
        form = {"username": login, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        if browser.request("log in", "POST", "/login/", form, expect=302) is None:
            return
    page = browser.request("My day", "GET", "/reports/day/")
    if page is None or page[0] != 200:
        return
    form = form_fields(page[2])
    time.sleep(typing)
    closed = browser.request("close the day", "POST", "/reports/day/", form, expect=302)
    if closed is not None and closed[0] == 302:
        # The browser follows the redirect to the day, now closed.
        browser.request("My day", "GET", closed[1].get("Location", "/reports/day/"))


def head_evening(browser: Browser, first_at: float, every: float, url: str, stop) -> None:
    at = first_at
    while not stop.is_set():
        wait_until(browser.log.t0 + at)
        if stop.is_set():
            return
        browser.request("board", "GET", url)
        at += every


def wait_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def machine_busy() -> tuple[int, int]:
    """(busy, total) clock ticks of every CPU since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and waiting for I/O
    return sum(fields) - idle, sum(fields)


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (the server's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_cpu(int(child))
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return total + (int(stat[11]) + int(stat[12])) / tick


def board_cache_hits(log: Log) -> tuple[int, int]:
    """How many board requests a per-department cache, dropped on every change of its
    sellers' day figures or reports, could have answered: those with no change since the
    department's previous board request (the issue's "cache, or cheaper queries: measure
    which"). Read from the database after the spike: DailyFact.updated_at,
    DayReport.submitted_at."""
    from datetime import UTC, datetime

    from salespulse.kpis.models import DailyFact
    from salespulse.reports.models import DayReport

    def moment(sample: Sample) -> datetime:
        return datetime.fromtimestamp(log.wall0 + sample.start, UTC)

    boards = sorted((s for s in log.samples if s.kind == "board"), key=lambda s: s.start)
    hits, previous = 0, {}
    for sample in boards:
        code = sample.path.rstrip("/").rsplit("/", 1)[-1]
        before = previous.get(code)
        previous[code] = sample
        if before is None:
            continue  # a department's first board fills the cache
        span = (moment(before), moment(sample))
        changed = (
            DailyFact.objects.filter(
                employee__department__code=code, updated_at__range=span
            ).exists()
            or DayReport.objects.filter(
                employee__department__code=code, submitted_at__range=span
            ).exists()
        )
        hits += not changed
    return hits, len(boards)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def seed(args, today) -> dict:
    """The company, the sessions of those already logged in, the fresh logins' passwords."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    sys.path.insert(0, str(HERE))
    from dashboard import generate

    from salespulse.org.models import Department, Employee

    per_department = -(-(args.sellers + args.logins) // args.departments)
    generate(args.departments, per_department, today, history_days=args.history_days)
    users = get_user_model().objects
    sellers = list(users.filter(employee__position=Employee.Position.SELLER).order_by("username"))[
        : args.sellers + args.logins
    ]
    # The fresh logins are spread over the departments.
    step = len(sellers) / args.logins if args.logins else 0
    fresh = {sellers[int(i * step)].pk for i in range(args.logins)}
    with transaction.atomic():
        # One Argon2 hash for all: each login still verifies it at the production cost.
        users.filter(pk__in=fresh).update(password=make_password(PASSWORD))
        # generate() gives each department one head: a second one each, as many as asked.
        departments = list(Department.objects.order_by("code"))
        for n in range(args.heads - len(departments)):
            dept = departments[n % len(departments)]
            extra = users.create(username=f"head{n}b", password="!")
            Employee.objects.create(user=extra, position=Employee.Position.HEAD)
            dept.heads.add(extra)
        boards = {}
        for dept in Department.objects.prefetch_related("heads"):
            for head in dept.heads.all():
                boards[head.pk] = f"/departments/{dept.code}/"
        heads = [h for h in users.filter(pk__in=boards).order_by("username")][: args.heads]
        expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        store = SessionStore()
        sessions, cookies = [], {}
        for user in [*(u for u in sellers if u.pk not in fresh), *heads]:
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            data = {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
            }
            sessions.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expire)
            )
            cookies[user.pk] = {"sessionid": key}
        Session.objects.bulk_create(sessions)
    return {
        "sellers": [(u, cookies.get(u.pk)) for u in sellers],
        "heads": [(h, cookies[h.pk], boards[h.pk]) for h in heads],
    }


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "salespulse.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                conn.close()
                break
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"the server did not start:\n{server.stdout.read()}")
        if time.monotonic() > deadline:
            server.kill()
            sys.exit("the server did not answer in 120 s")
        time.sleep(0.3)
    print(server.stdout.readline().strip())
    return server


def stop_server(server: subprocess.Popen) -> float:
    """Stops it as systemd would; the CPU seconds it and its workers used."""
    server.send_signal(signal.SIGTERM)
    _pid, status, usage = os.wait4(server.pid, 0)
    server.returncode = os.waitstatus_to_exitcode(status)
    if server.returncode:
        print(f"server exited with {server.returncode}:\n{server.stdout.read()}")
    return usage.ru_utime + usage.ru_stime


def recreate(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="", help="DATABASE_URL (default: SQLite in a temp dir)")
    parser.add_argument("--recreate", action="store_true", help="drop and create --db first")
    parser.add_argument("--sellers", type=int, default=500, help="already logged in")
    parser.add_argument("--logins", type=int, default=50, help="sellers logging in first")
    parser.add_argument("--heads", type=int, default=20)
    parser.add_argument("--departments", type=int, default=10)
    parser.add_argument("--window", type=float, default=60, help="seconds to close the day in")
    parser.add_argument("--board-every", type=float, default=30)
    parser.add_argument("--history-days", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=30, help="a slower answer is an error")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="sp-spike-")
    os.environ["SALESPULSE_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    if args.db and args.recreate:
        recreate(args.db)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from salespulse.kpis.models import DailyFact
    from salespulse.reports.models import DayReport, ReportVersion
    from salespulse.reports.status import local_today

    call_command("migrate", verbosity=0)
    if DailyFact.objects.exists():
        sys.exit("The database is not empty: give --recreate or a fresh database")
    started = time.perf_counter()
    today = timezone.localdate()
    company = seed(args, today)
    engine = connection.vendor
    print(
        f"seeded in {time.perf_counter() - started:.0f} s ({engine}): "
        f"{len(company['sellers'])} sellers, {len(company['heads'])} heads, "
        f"{DailyFact.objects.count()} daily facts"
    )
    connection.close()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ}
    server = start_server(env, port)
    log = Log()
    try:
        # Baseline: the idle server, one request at a time, once each worker has served
        # its first pages (a running server's workers have).
        log.t0 = time.perf_counter()
        anyone = Browser(port, log, args.timeout, {})
        user, cookies = next((u, c) for u, c in company["sellers"] if c)
        head, head_cookies, board = company["heads"][0]
        for _ in range(3 * settings.SALESPULSE_WORKERS):
            anyone.request("warm-up", "GET", "/login/")
            Browser(port, log, args.timeout, cookies).request("warm-up", "GET", "/reports/day/")
            Browser(port, log, args.timeout, head_cookies).request("warm-up", "GET", board)
        log.samples.clear()
        for _ in range(15):
            anyone.request("baseline: login page", "GET", "/login/")
        for _ in range(15):
            Browser(port, log, args.timeout, cookies).request(
                "baseline: My day", "GET", "/reports/day/"
            )
        for _ in range(5):
            Browser(port, log, args.timeout, head_cookies).request("baseline: board", "GET", board)
        baseline = list(log.samples)
        log.samples.clear()

        load_before = os.getloadavg()
        busy_before, own_before = machine_busy(), os.times()
        server_before = tree_cpu(server.pid)
        rng = random.Random(19)
        done: list[float] = []
        stop = threading.Event()
        threads = []
        log.t0 = time.perf_counter() + 1.0
        log.wall0 = time.time() + 1.0
        for user, cookies in company["sellers"]:
            fresh = cookies is None
            opens = rng.uniform(0, args.window - 20 if fresh else args.window - 15)
            typing = rng.uniform(5, 15)
            browser = Browser(port, log, args.timeout, cookies or {})
            threads.append(
                threading.Thread(
                    target=seller_evening,
                    args=(browser, opens, typing, user.username if fresh else None, done),
                )
            )
        heads = []
        for _head, cookies, board in company["heads"]:
            browser = Browser(port, log, args.timeout, cookies)
            first = rng.uniform(0, args.board_every)
            heads.append(
                threading.Thread(
                    target=head_evening, args=(browser, first, args.board_every, board, stop)
                )
            )
        for t in [*threads, *heads]:
            t.start()
        for t in threads:
            t.join()
        drained = max(done, default=time.perf_counter()) - log.t0
        stop.set()
        for t in heads:
            t.join()
        load_after = os.getloadavg()
        busy_after, own_after = machine_busy(), os.times()
        server_spike = tree_cpu(server.pid) - server_before
    finally:
        cpu = stop_server(server)

    seller_ids = [u.employee.pk for u, _c in company["sellers"]]
    day_of = {u.employee.pk: local_today(u.employee) for u, _c in company["sellers"]}
    reports = {
        r.employee_id: r
        for r in DayReport.objects.filter(employee_id__in=seller_ids)
        if r.day == day_of[r.employee_id]
    }
    versions = ReportVersion.objects.filter(report__in=reports.values()).count()
    once = sum(1 for r in reports.values() if r.version == 1)
    cache_hits, boards = board_cache_hits(log)

    print(
        f"\nspike on {engine}: {args.sellers} sellers logged in + {args.logins} fresh logins "
        f"close the day within {args.window:.0f} s; {len(company['heads'])} heads refresh the "
        f"board every {args.board_every:.0f} s"
    )
    print(
        f"server: {settings.SALESPULSE_WORKERS} processes × {settings.SALESPULSE_THREADS} "
        f"threads (SALESPULSE_WORKERS, SALESPULSE_THREADS), DB_CONN_MAX_AGE="
        f"{settings.DATABASES['default']['CONN_MAX_AGE']}; machine: {os.cpu_count()} cores, load "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after"
    )
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    own = own_after.user + own_after.system - own_before.user - own_before.system
    print(
        f"during the spike the machine's CPUs were {busy:.0%} busy (every process: this "
        f"server, its database, others'); the load generator used {own:.0f} CPU s"
    )
    print(f"\n{'request':22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}")

    def row(name: str, samples: list[Sample]) -> None:
        times = [s.seconds * 1000 for s in samples]
        errors = sum(1 for s in samples if s.error)
        print(
            f"{name:22} {len(samples):5d} {statistics.median(times):8.0f} "
            f"{percentile(times, 0.95):8.0f} {max(times):8.0f} {errors:7d}"
        )

    for kind in dict.fromkeys(s.kind for s in baseline):
        row(kind, [s for s in baseline if s.kind == kind])
    failed = False
    kinds = dict.fromkeys(s.kind for s in log.samples)
    for kind in kinds:
        samples = [s for s in log.samples if s.kind == kind]
        row(kind, samples)
        failed |= percentile([s.seconds for s in samples], 0.95) >= TARGET_P95
    row("all of the spike", log.samples)
    errors = [s for s in log.samples if s.error]
    for s in errors[:10]:
        print(f"  error: {s.kind} at {s.start:.1f} s after {s.seconds:.1f} s: {s.error}")
    expected = len(company["sellers"])
    print(
        f"\ndrained in {drained:.1f} s; errors: {len(errors)}; reports saved: "
        f"{len(reports)}/{expected}, each once: {once == expected and versions == expected} "
        f"({versions} versions)"
    )
    print(
        f"server CPU during the spike: {server_spike:.0f} s, {server_spike / drained:.2f} of "
        f"{os.cpu_count()} cores over the drain, "
        f"{server_spike / len(log.samples) * 1000:.0f} ms a request; for the whole run "
        f"(start, warm-up, baseline, spike): {cpu:.0f} s"
    )
    print(
        f"a board cache dropped whenever a figure or a report of its department changes would "
        f"have answered {cache_hits} of {boards} board requests (the others came after a "
        f"change since the department's previous board)"
    )
    all_p95 = percentile([s.seconds for s in log.samples], 0.95)
    failed |= bool(errors) or once != expected or versions != expected
    print(
        f"target (0 errors, every report once, p95 < {TARGET_P95:.0f} s for every kind): "
        f"{'NOT met' if failed else 'met'} (p95 of all {all_p95 * 1000:.0f} ms)"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
