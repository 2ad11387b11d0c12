"""CRM import speed and memory: 20,000 clients and 100,000 deals into a fresh SQLite database.

Targets (issue 6): the import end to end under 20 s, streaming (peak RSS under 300 MB);
the client report of a manager with 500 clients under 200 ms.

    .venv/bin/python bench/crm_import.py [--deals 100000] [--clients 20000] [--batch 5000]

Prints figures; times nothing inside the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

SELLERS = 40
MANAGERS = 10
BIG_PORTFOLIO = 500


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_files(folder: Path, deals: int, clients: int) -> tuple[Path, Path]:
    rng = random.Random(6)
    managers = [f"Аккаунт{i} Менеджеров" for i in range(MANAGERS)]
    sellers = [f"Продавец{i} Продажин" for i in range(SELLERS)]
    names = [f"ООО «Клиент {i}»" for i in range(clients)]
    start = datetime(2025, 1, 1)
    client_path = folder / "clients.csv"
    with open(client_path, "w", encoding="cp1251", newline="") as f:
        f.write("Клиент;Аккаунт-менеджер;Дата передачи в работу\n")
        for i, name in enumerate(names):
            # The first manager has exactly BIG_PORTFOLIO clients; the rest share the others.
            manager = managers[0] if i < BIG_PORTFOLIO else managers[1 + i % (MANAGERS - 1)]
            handed = start + timedelta(days=rng.randint(0, 200))
            f.write(f"{name};{manager};{handed:%d.%m.%Y}\n")
    deal_path = folder / "deals.csv"
    stages = ["Сделка успешна"] * 6 + ["Сделка провалена", "Подготовка документов", "Новая"]
    with open(deal_path, "w", encoding="cp1251", newline="") as f:
        header = ["ID", "Название сделки", "Стадия сделки", "Сумма", "Валюта", "Ответственный",
                  "Дата создания", "Дата изменения", "Компания", "Контакт"]  # fmt: skip
        f.write(";".join(f'"{h}"' for h in header) + ";\n")
        for i in range(deals):
            client = rng.randrange(clients)
            who = rng.random() < 0.6
            seller = managers[0] if client < BIG_PORTFOLIO and who else (
                rng.choice(managers) if who else rng.choice(sellers)
            )  # fmt: skip
            closed = start + timedelta(days=rng.randint(0, 540), minutes=rng.randint(540, 1100))
            rubles = f"{rng.randint(1000, 2_000_000):,}".replace(",", "\u00a0")
            amount = f"{rubles},{rng.randint(0, 99):02d}"
            cells = [str(i + 1), f"Сделка {i + 1}", rng.choice(stages), amount,
                     "Российский рубль", seller, "01.01.2025 10:00:00",
                     f"{closed:%d.%m.%Y} {closed.hour:02d}:{closed.minute:02d}:00",
                     names[client], ""]  # fmt: skip
            f.write(";".join(f'"{c}"' for c in cells) + ";\n")
    return client_path, deal_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=0, help="deals per transaction")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sp-bench-crm-"))
    os.environ["SALESPULSE_DATA_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import RequestFactory

    from salespulse.crm import importer, views
    from salespulse.crm.files import import_file
    from salespulse.crm.models import Deal
    from salespulse.kpis.models import DailyFact, Role
    from salespulse.org.models import Department, Employee

    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User

    if args.batch:
        importer.BATCH_SIZE = args.batch

    dept = Department.objects.create(code="b", name="Bench")
    roles = {r.code: r for r in Role.objects.all()}
    for i in range(MANAGERS):
        user = User.objects.create(username=f"am{i}", first_name=f"Аккаунт{i}",
                                   last_name="Менеджеров")  # fmt: skip
        Employee.objects.create(user=user, department=dept, sales_role=roles["account_manager"])
    for i in range(SELLERS):
        user = User.objects.create(username=f"s{i}", first_name=f"Продавец{i}",
                                   last_name="Продажин")  # fmt: skip
        Employee.objects.create(user=user, department=dept, sales_role=roles["salesperson"])
    admin = User.objects.create(username="root", is_superuser=True, is_staff=True)

    t = time.perf_counter()
    client_path, deal_path = write_files(folder, args.deals, args.clients)
    print(f"files written: {time.perf_counter() - t:.1f} s "
          f"({deal_path.stat().st_size / 1e6:.1f} MB deals, cp1251)")  # fmt: skip

    t0 = time.perf_counter()
    clients = import_file(str(client_path), kind="clients")
    t1, cpu1 = time.perf_counter(), time.process_time()
    if os.environ.get("PROFILE"):  # where the time goes, when a figure regresses
        import cProfile

        cProfile.runctx("import_file(str(deal_path))", globals(), locals(), sort="cumtime")
    deals = import_file(str(deal_path))
    t2, cpu2 = time.perf_counter(), time.process_time()
    print(f"clients: {args.clients} rows in {t1 - t0:.1f} s "
          f"(created {clients.created}, errors {clients.error_count})")  # fmt: skip
    print(f"deals:   {args.deals} rows in {t2 - t1:.1f} s (CPU {cpu2 - cpu1:.1f} s), "
          f"{importer.BATCH_SIZE} a transaction "
          f"(created {deals.created}, errors {deals.error_count}, "
          f"facts {DailyFact.objects.count()})")  # fmt: skip
    if deals.errors:
        print("first error:", deals.errors[0].line, deals.errors[0].text())
    print(f"import end to end: {t2 - t0:.1f} s (target < 20 s)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (target < 300 MB)")

    t = time.perf_counter()
    again = import_file(str(deal_path))
    print(f"re-import of the same deals: {time.perf_counter() - t:.1f} s "
          f"(unchanged {again.unchanged}, facts changed {again.facts_changed})")  # fmt: skip

    request = RequestFactory().get("/crm/clients/am0/", {"from": "2026-03-01", "to": "2026-03-31"})
    request.user = admin
    request.LANGUAGE_CODE = "ru"
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    times = []
    for _ in range(7):
        t = time.perf_counter()
        response = views.clients(request, "am0")
        times.append(time.perf_counter() - t)
    assert response.status_code == 200
    portfolio = response.content.decode().count('<tr class="client-')
    print(f"client report, {portfolio} clients: median {sorted(times)[3] * 1000:.0f} ms "
          f"(target < 200 ms), first {times[0] * 1000:.0f} ms")  # fmt: skip
    print(f"deals stored: {Deal.objects.count()}")


if __name__ == "__main__":
    main()
