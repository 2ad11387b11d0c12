"""The demo company's PBX: a cdr_sqlite3_custom-style SQLite file and a source syncing it.

The file holds the cold callers' calls of their last day but one with figures, generated
to give exactly the figures the demo wrote for that day (`cdrgen.calls_for_figures`), so the
first sync shows a working source on the Sources page and changes no figure.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from salespulse.kpis.models import DailyFact
from salespulse.lib.cdrgen import Pbx, calls_for_figures
from salespulse.org.models import Employee
from salespulse.sources import runner
from salespulse.sources.models import Run, Source

NAME = "АТС офиса (демо)"
# The columns of cdr_sqlite3_custom.conf as offices extend it (src and dst added).
COLUMNS = [
    "calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
    "lastdata", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
    "userfield", "linkedid", "sequence",
]  # fmt: skip


def install(department: str = "cold") -> Source:
    path = Path(settings.DATA_DIR) / "demo-pbx" / "master.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    names = ", ".join(COLUMNS)
    db.execute(f"CREATE TABLE cdr (AcctId INTEGER PRIMARY KEY, {names})")
    first = None
    sellers = Employee.objects.filter(department__code=department).exclude(extension="")
    for employee in sellers:
        # The day before their last day with figures: the last one is the board's
        # "yesterday", which the demo's own story tells (who reported, who did not).
        days = list(
            DailyFact.objects.filter(employee=employee, kpi__code="calls")
            .order_by("-day")
            .values_list("day", flat=True)[:2]
        )
        day = days[-1] if len(days) == 2 else None
        figures = dict(
            DailyFact.objects.filter(
                employee=employee, day=day, kpi__code__in=["calls", "conversations", "talk_time"]
            ).values_list("kpi__code", "value")
        )
        if day is None or len(figures) < 3:
            continue
        first = min(first or day, day)
        pbx = Pbx(ZoneInfo(employee.timezone), seed=employee.pk)
        calls = calls_for_figures(
            pbx, employee.extension, day, int(figures["calls"]),
            int(figures["conversations"]), int(figures["talk_time"]),
        )  # fmt: skip
        rows = [[_text(r, c) for c in COLUMNS] for call in calls for r in call.records]
        db.executemany(f"INSERT INTO cdr ({names}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    db.commit()
    db.close()
    source, _created = Source.objects.update_or_create(
        name=NAME,
        defaults={
            "kind": Source.Kind.ASTERISK_DB,
            "url": f"sqlite://{path}",
            "timezone": settings.TIME_ZONE,
            "since": first,
        },  # fmt: skip
    )
    runner.run_now(runner.queue_sync(source, Run.Trigger.CLI))
    return source


def _text(record: dict, column: str) -> str:
    value = record.get("start" if column == "calldate" else column, "")
    if isinstance(value, datetime):  # the PBX's clock, as cdr_sqlite3_custom writes it
        return value.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
