"""An amoCRM sync of N leads (default 5,000) against the local amoCRM of the tests.

A fresh SQLite database, 40 sellers matched to amoCRM users by e-mail, 500 companies,
leads in two pipelines (about 60 % won). The fake server runs in this process (a thread),
so its JSON work is counted in the times. Prints the first sync (wall time, of which
waiting for amoCRM's 7 requests a second), the requests made, a quiet sync, and a full
re-read of unchanged leads.

    .venv/bin/python bench/amocrm_sync.py [--leads 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SELLERS = 40
COMPANIES = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=5000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sp-bench-amo-"))
    os.environ["SALESPULSE_DATA_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from salespulse.kpis.models import DailyFact, Role
    from salespulse.org.models import Department, Employee
    from salespulse.sources import runner
    from salespulse.sources.connectors import amocrm
    from salespulse.sources.models import Run, Source
    from tests.fake_amocrm import BASE_TIME, FakeAmo, user

    call_command("migrate", verbosity=0)
    dept = Department.objects.create(code="b", name="Bench")
    role = Role.objects.get(code="salesperson")
    fake = FakeAmo()
    for i in range(SELLERS):
        login = f"s{i}"
        account = User.objects.create(username=login, email=f"{login}@firm.ru")
        Employee.objects.create(user=account, department=dept, sales_role=role)
        fake.users.append(user(7000 + i, f"Продавец {i}", f"{login}@firm.ru"))
    fake.companies = {50000 + i: f"ООО «Клиент {i}»" for i in range(COMPANIES)}
    rng = random.Random(15)
    statuses = [(142, 3001)] * 5 + [(142, 3002), (143, 3001), (40002, 3001), (40011, 3002)]
    for i in range(args.leads):
        status, pipeline = rng.choice(statuses)
        closed = BASE_TIME - rng.randint(0, 200) * 86400 if status in (142, 143) else None
        fake.lead(
            100000 + i, user=7000 + rng.randrange(SELLERS), status=status, pipeline=pipeline,
            price=rng.randint(1000, 2_000_000), closed=closed,
            company=50000 + rng.randrange(COMPANIES) if rng.random() < 0.8 else None,
        )  # fmt: skip
    token = folder / "amo.token"
    token.write_text(fake.token)
    fake.start()
    source = Source.objects.create(name="amo", kind="amocrm", url=fake.url, token_file=str(token))

    def sync() -> tuple[Run, float, float]:
        waited = [0.0]

        def sleep(seconds: float) -> None:
            waited[0] += seconds
            time.sleep(seconds)

        run = runner.claim(runner.queue_sync(source, Run.Trigger.CLI).pk)
        assert run is not None
        fake.requests.clear()
        started = time.perf_counter()
        amocrm.sync(run, lambda rows: None, sleep=sleep)
        source.refresh_from_db()
        return run, time.perf_counter() - started, waited[0]

    try:
        run, seconds, waited = sync()
        print(
            f"first sync: {args.leads} leads in {seconds:.1f} s, of which {waited:.1f} s waiting "
            f"for amoCRM's rate (7/s); {len(fake.requests)} requests; counts {run.counts}; "
            f"facts {DailyFact.objects.count()}; error {run.error or '—'}"
        )
        run, seconds, waited = sync()
        print(f"quiet sync: {seconds * 1000:.0f} ms, {len(fake.requests)} request(s)")
        Source.objects.filter(pk=source.pk).update(watermark="")
        source.refresh_from_db()
        run, seconds, waited = sync()
        print(
            f"full re-read, nothing changed: {seconds:.1f} s ({waited:.1f} s waiting), "
            f"unchanged {run.counts.get('unchanged')}, updated {run.counts.get('updated')}"
        )
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
