"""A long CRM deal import and, meanwhile, logins and day-report submissions on their own
connections: how long each waited and whether any failed. Run by
tests/test_concurrent_import.py as a script against a real SQLite file in WAL mode with
the production busy timeout (`python -m tests.concurrent_import [DEALS]`), which is what
an embedded install runs on: the web process and the worker share the file."""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

PROBES = 8  # of each kind
START = date(2025, 1, 1)


def _records(count: int, sellers: int) -> list:
    from salespulse.lib.crm.formats import DealRecord

    rng = random.Random(18)
    stages = ["Сделка успешна"] * 6 + ["Сделка провалена", "Новая"]
    return [
        DealRecord(
            line=i + 1,
            external_id=str(i + 1),
            title=f"Сделка {i + 1}",
            client=f"ООО «Клиент {rng.randrange(count // 10)}»",
            client_id="",
            seller="",
            seller_id=f"crm{rng.randrange(sellers)}",
            stage=rng.choice(stages),
            amount=Decimal(rng.randint(1000, 2_000_000)),
            currency="RUB",
            created_at=None,
            closed_at=datetime(2025, 1, 1, 12) + timedelta(days=rng.randrange(540)),
            repeat=False,
        )  # fmt: skip
        for i in range(count)
    ]


def run(deals: int = 60_000, sellers: int = 40) -> dict:
    from django.db import connection
    from django.test import Client

    from salespulse.crm.importer import ImportResult, save_deals
    from salespulse.reports.closing import Submission, submit
    from tests.factories import PASSWORD, make_department, make_seller

    dept = make_department("sales", "Продажи")
    for i in range(sellers):
        make_seller(f"s{i}", dept, crm_id=f"crm{i}", password=None)  # no slow hashing
    typist = make_seller("ivanov", dept, "cold_caller")
    records = _records(deals, sellers)
    days = [date(2026, 11, 2) + timedelta(days=i) for i in range(PROBES)]
    importing = threading.Event()
    finished = threading.Event()
    outcome: dict = {}

    def importer() -> None:
        try:
            importing.set()
            started = time.monotonic()
            result = save_deals(records, "bench", ImportResult())
            outcome["seconds"] = round(time.monotonic() - started, 1)
            outcome["created"] = result.created
        except BaseException as e:  # noqa: BLE001 - reported to the caller
            outcome["error"] = repr(e)
        finally:
            finished.set()
            connection.close()

    probes: list[dict] = []

    def probe(kind: str, action) -> None:
        during = not finished.is_set()
        started = time.monotonic()
        try:
            ok = action()
        except BaseException as e:  # noqa: BLE001 - a 500 or "database is locked"
            ok = repr(e)[:200]
        probes.append(
            {
                "kind": kind,
                "ok": ok,
                "seconds": round(time.monotonic() - started, 3),
                "during_import": during,
            }
        )

    def login() -> bool | str:
        response = Client(HTTP_HOST="localhost").post(
            "/login/", {"username": "ivanov", "password": PASSWORD}
        )
        return response.status_code == 302 or f"HTTP {response.status_code}"

    thread = threading.Thread(target=importer)
    thread.start()
    importing.wait()
    time.sleep(0.5)  # the import is writing by now
    for day in days:
        if finished.is_set():
            break  # the import is over: nothing left to wait for
        probe("login", login)
        probe(
            "submit",
            lambda d=day: submit(
                typist, d, Submission(values={"leads": "7"}, token=uuid.uuid4()), typist.user
            )[1],
        )
        time.sleep(0.2)
    with connection.cursor() as cursor:
        # What settings.py asks of every connection, as SQLite reports it.
        pragmas = {
            name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "busy_timeout")
        }
    connection.close()
    thread.join(timeout=600)
    waits = sorted(p["seconds"] for p in probes) or [0.0]
    return {
        **outcome,
        **pragmas,
        "deals": deals,
        "failures": [p for p in probes if p["ok"] is not True],
        "waits": [p["seconds"] for p in probes],
        "during_import": sum(p["during_import"] for p in probes),
        "probes": len(probes),
        "median": waits[len(waits) // 2],
        "max": waits[-1],
    }


if __name__ == "__main__":
    import json
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run(*map(int, sys.argv[1:]))))
