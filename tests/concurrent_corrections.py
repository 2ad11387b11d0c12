"""Imports and a seller's corrections at the same time, on real connections (threads, each
with its own connection): how many corrections are lost. Run by
tests/test_concurrent_facts.py in the test database (PostgreSQL), or as a script against a
real SQLite file in WAL mode (`python -m tests.concurrent_corrections`), which is what an
embedded install runs on."""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta
from decimal import Decimal

DAYS = [date(2026, 11, 2) + timedelta(days=i) for i in range(40)]
TYPED = Decimal(777)


def _retrying(write, errors):
    from django.db import OperationalError

    # SQLite answers "database is locked" once its busy timeout runs out: an import batch
    # or a report submission is then retried by its caller, never silently dropped.
    for _ in range(200):
        try:
            return write()
        except OperationalError as e:
            errors.append(e)
    raise AssertionError("could not write in 200 tries")


def _caller_role():
    # A transactional test flushes the tables after it, the built-in catalogue included.
    from tests.factories import ensure_catalogue

    ensure_catalogue()
    from salespulse.kpis.models import Role

    return Role.objects.get(code="cold_caller")


def run() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from salespulse.kpis.facts import set_auto_facts, set_reported_facts
    from salespulse.kpis.models import DailyFact
    from salespulse.org.models import Department, Employee

    dept = Department.objects.create(code="cold", name="Холодные звонки")
    seller = Employee.objects.create(
        user=get_user_model().objects.create(username="petrov"),
        department=dept,
        sales_role=_caller_role(),
    )
    set_auto_facts([(seller.pk, "calls", d, Decimal(10)) for d in DAYS])
    failures: list[BaseException] = []
    retries: list[BaseException] = []
    done = threading.Event()
    imports = [0]

    def importer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not done.is_set():
                batch = [(seller.pk, "calls", d, Decimal(rng.randint(0, 200))) for d in DAYS]
                _retrying(lambda b=batch: set_auto_facts(b), retries)
                imports[0] += 1
        except BaseException as e:  # noqa: BLE001 - reported to the caller
            failures.append(e)
        finally:
            connection.close()

    def typist() -> None:
        try:
            for d in random.Random(7).sample(DAYS, len(DAYS)):
                _retrying(lambda d=d: set_reported_facts(seller.pk, d, {"calls": TYPED}), retries)
        except BaseException as e:  # noqa: BLE001
            failures.append(e)
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=importer, args=(i,)) for i in range(2)]
    threads.append(threading.Thread(target=typist))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    facts = list(DailyFact.objects.filter(employee=seller, kpi__code="calls"))
    return {
        "failures": [repr(e) for e in failures],
        "cells": len(facts),
        "lost": sum(1 for f in facts if (f.value, f.source) != (TYPED, "report")),
        "without_auto": sum(1 for f in facts if f.auto_value is None),
        "imports": imports[0],
        "retries": len(retries),
    }


def double_submit(clicks: int = 4) -> dict:
    """The same day-report form sent several times at once (a double click): one version."""
    import uuid

    from django.contrib.auth import get_user_model
    from django.db import connection

    from salespulse.org.models import Department, Employee
    from salespulse.reports.closing import Submission, submit
    from salespulse.reports.models import ReportVersion

    dept = Department.objects.create(code="cold2", name="Холодные звонки 2")
    seller = Employee.objects.create(
        user=get_user_model().objects.create(username="ivanov"),
        department=dept,
        sales_role=_caller_role(),
    )
    data = Submission(values={"leads": "7"}, token=uuid.uuid4())
    day = date(2026, 11, 2)
    gate = threading.Barrier(clicks)
    outcomes: list[object] = []

    def click() -> None:
        try:
            gate.wait()
            outcomes.append(submit(seller, day, data, seller.user)[1])
        except BaseException as e:  # noqa: BLE001 - reported to the caller
            outcomes.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return {
        "saved": sum(1 for o in outcomes if o is True),
        "same": sum(1 for o in outcomes if o is False),
        "errors": [o for o in outcomes if not isinstance(o, bool)],
        "versions": ReportVersion.objects.filter(report__employee=seller).count(),
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
    scenario = double_submit if sys.argv[1:] == ["double-submit"] else run
    print(json.dumps(scenario()))
