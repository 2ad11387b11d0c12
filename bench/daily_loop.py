"""Server time of "My day" and of closing the day on the demo company (issue: < 50 ms median).

Runs in-process through Django's test client on a fresh SQLite (or DATABASE_URL) database
seeded with the demo, so it measures our code and the database, not a network. The login
page, which does no KPI work, is timed in the same run as the baseline.

    .venv/bin/python bench/daily_loop.py [--runs 50]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid

os.environ.setdefault("SALESPULSE_DATA_DIR", tempfile.mkdtemp(prefix="sp-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from salespulse.core.demo import seed
    from salespulse.reports.models import DayReport
    from salespulse.reports.status import local_today

    seed(timezone.now())
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="smirnova")
    client = Client()
    client.force_login(user)
    today = local_today(user.employee)

    def baseline():
        assert Client().get("/login/").status_code == 200

    def my_day():
        assert client.get("/reports/day/").status_code == 200

    def submit():
        client.get("/reports/day/")  # a seller opens the form before submitting
        report = DayReport.objects.filter(employee=user.employee, day=today).first()
        data = {
            "version": str(report.version if report else 0),
            "token": str(uuid.uuid4()),
            "v_leads": "7",
            "comment": "bench",
        }
        start = time.perf_counter()
        response = client.post(f"/reports/day/{today.isoformat()}/", data)
        submit.times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.status_code

    submit.times = []
    timed(my_day, 3)  # warm caches (templates, holidays)
    base = timed(baseline, runs)
    day = timed(my_day, runs)
    for _ in range(runs):
        submit()
    with CaptureQueriesContext(connection) as q:
        my_day()
    day_queries = len(q)

    vendor = connection.vendor
    print(f"database: {vendor}, runs: {runs}, seller: smirnova (cold caller, 5 KPIs)")
    for name, values in (
        ("login page (baseline)", base),
        ("My day GET", day),
        ("close the day POST", submit.times),
    ):
        med = statistics.median(values)
        p90 = sorted(values)[int(len(values) * 0.9) - 1]
        ratio = med / statistics.median(base)
        print(f"{name:24} median {med:6.1f} ms  p90 {p90:6.1f} ms  ratio to baseline {ratio:5.1f}")
    print(f"My day: {day_queries} SQL queries")
    ok = statistics.median(day) < 50 and statistics.median(submit.times) < 50
    print("target (< 50 ms median for both):", "met" if ok else "NOT met")
    sys.exit(0)


if __name__ == "__main__":
    main()
