"""Bitrix24 sync speed (issue 15): 20,000 deals pulled from a local portal, printed beside
the file import of the same deals.

The deals are bench/crm_import.py's (its `write_files`, a Bitrix24 CSV export); the same
rows are served by the fake portal of the tests (tests/fake_bitrix24.py): 400 pages of 50,
30 ms latency per request, a limit of 2 requests a second that it enforces by answering
QUERY_LIMIT_EXCEEDED. The sync is the worker's (a queued run, claimed and executed), at
the cloud's pace (2 requests a second, waited for real). Then a quiet sync (nothing
changed), the daily reconcile after 100 deals were deleted in the portal (every deal ID
listed), and, after the deals are wiped, the file import of the CSV.

    .venv/bin/python bench/bitrix24_sync.py [--deals 20000] [--clients 2000]

Targets: the sync end to end under 30 s; the quiet sync in one request per entity.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crm_import import MANAGERS, SELLERS, write_files  # noqa: E402

STAGE_IDS = {"Сделка успешна": "WON", "Сделка провалена": "LOSE",
             "Подготовка документов": "PREPARATION", "Новая": "NEW"}  # fmt: skip


def iso(text: str) -> str:
    """`dd.mm.yyyy hh:mm:ss` of the export as the portal's ISO moment (Moscow)."""
    return datetime.strptime(text, "%d.%m.%Y %H:%M:%S").strftime("%Y-%m-%dT%H:%M:%S+03:00")


def fill(portal, deal_path: Path) -> int:
    """The export's deals into the portal: users by name, companies by title."""
    users: dict[str, int] = {}
    companies: dict[str, int] = {}
    count = 0
    with open(deal_path, encoding="cp1251", newline="") as f:
        rows = csv.reader(f, delimiter=";")
        header = next(rows)
        at = {name: i for i, name in enumerate(header)}
        for row in rows:
            seller = row[at["Ответственный"]]
            if seller not in users:
                users[seller] = len(users) + 1
                first, last = seller.split()
                portal.add_user(users[seller], first, last)
            title = row[at["Компания"]]
            if title not in companies:
                companies[title] = len(companies) + 1
                portal.add_company(companies[title], title)
            amount = row[at["Сумма"]].replace("\u00a0", "").replace(",", ".")
            portal.put_deal(
                int(row[at["ID"]]), user=users[seller], stage=STAGE_IDS[row[at["Стадия сделки"]]],
                amount=amount, moved=iso(row[at["Дата изменения"]]),
                created=iso(row[at["Дата создания"]]), company=companies[title],
                title=row[at["Название сделки"]],
            )  # fmt: skip
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=2_000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sp-bench-b24-"))
    os.environ["SALESPULSE_DATA_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from salespulse.crm.files import import_file
    from salespulse.crm.models import Client, Deal, Stage
    from salespulse.kpis.models import DailyFact, Role
    from salespulse.org.models import Department, Employee
    from salespulse.sources import runner
    from salespulse.sources.models import Run, Source
    from tests.fake_bitrix24 import Server

    call_command("migrate", verbosity=0)
    dept = Department.objects.create(code="b", name="Bench")
    roles = {r.code: r for r in Role.objects.all()}
    for prefix, last, n, role in (("Аккаунт", "Менеджеров", MANAGERS, "account_manager"),
                                  ("Продавец", "Продажин", SELLERS, "salesperson")):  # fmt: skip
        for i in range(n):
            user = User.objects.create(username=f"{role[:2]}{i}", first_name=f"{prefix}{i}",
                                       last_name=last)  # fmt: skip
            Employee.objects.create(user=user, department=dept, sales_role=roles[role])

    _clients, deal_path = write_files(folder, args.deals, args.clients)
    with Server() as server:
        portal = server.portal
        fill(portal, deal_path)
        portal.latency, portal.rate, portal.burst = 0.03, 2.0, 2.0
        pages = -(-args.deals // 50)
        print(f"portal: {args.deals} deals ({pages} pages of 50), {len(portal.companies)} "
              f"companies, {len(portal.users)} users; 30 ms a request, 2 requests/s")  # fmt: skip
        source = Source.objects.create(name="b24", kind="bitrix24", url=server.url)

        def sync(**params: object) -> tuple[Run, float, int]:
            before = portal.requests
            t = time.perf_counter()
            run = runner.run_now(runner.queue_sync(source, Run.Trigger.CLI, params=params))
            return run, time.perf_counter() - t, portal.requests - before

        run, seconds, requests = sync()
        assert run.status == "done", run.error
        c = run.counts
        print(f"sync:       {seconds:5.1f} s  (target < 30 s) — {requests} requests, "
              f"{c['waited_ms'] / 1000:.1f} s waited for the limit, {portal.throttled} "
              f"throttled; created {c['created']}, refused {c['refused']}, "
              f"facts {DailyFact.objects.count()}")  # fmt: skip
        calls = sorted(set(portal.calls))
        print(f"            methods asked: {', '.join(calls)}")
        portal.calls.clear()
        run, quiet, requests = sync()
        print(f"quiet sync: {quiet:5.2f} s  — {requests} request (batch of "
              f"{len(portal.calls)} commands: {', '.join(sorted(set(portal.calls)))}); "
              f"unchanged {run.counts['unchanged']}")  # fmt: skip
        won, facts = Deal.objects.filter(status="won").count(), DailyFact.objects.count()
        # The daily reconcile (as `salespulse sync b24 --reconcile`): every deal ID listed,
        # a hundred deals deleted in the portal without a webhook leave.
        for deal_id in list(portal.deals)[:: len(portal.deals) // 100][:100]:
            del portal.deals[deal_id]
        run, seconds, requests = sync(reconcile=True)
        assert run.status == "done", run.error
        c = run.counts
        print(f"reconcile:  {seconds:5.1f} s  — sync and reconcile, {requests} requests, "
              f"{c['waited_ms'] / 1000:.1f} s waited for the limit; {c['listed']} IDs listed, "
              f"deleted {c['deleted']}")  # fmt: skip
    Deal.objects.all().delete()
    DailyFact.objects.all().delete()
    Client.objects.all().delete()
    Stage.objects.all().delete()
    t = time.perf_counter()
    result = import_file(str(deal_path))
    print(f"file import of the same deals: {time.perf_counter() - t:5.1f} s "
          f"(created {result.created}, refused {result.error_count}); "
          f"won deals: sync {won}, file {Deal.objects.filter(status='won').count()}; "
          f"facts: sync {facts}, file {DailyFact.objects.count()}")  # fmt: skip


if __name__ == "__main__":
    main()
