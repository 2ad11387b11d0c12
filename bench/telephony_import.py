"""Telephony import speed and memory (issue 5), printed as figures.

Generates N Asterisk Master.csv rows (21 columns; outbound calls, ring groups, Local channel
queues and transfers) for 300 sellers, then measures on each database:

  (a) salespulse's import end to end (parse -> store legs -> day facts), in a child process
      so its peak RSS is its own;
  (b) DuckDB computing the same per-seller-per-day KPIs from the same CSV;
  (c) the database's own raw bulk load of the rows: PostgreSQL COPY into an unindexed
      table, SQLite executemany in one transaction.

and prints a/b, a/c and the import's peak RSS ((b) and (c): the best of three runs).
Targets: a/c <= 3, a/b <= 10, RSS < 300 MB at 1M rows.

    .venv/bin/python bench/telephony_import.py                 # 100k rows, SQLite + PostgreSQL
    .venv/bin/python bench/telephony_import.py --million       # also 1M rows (takes a while)
    .venv/bin/python bench/telephony_import.py --rows 20000 --db sqlite

PostgreSQL: --postgres URL (default postgres://postgres@127.0.0.1:5432/postgres); a
`salespulse_bench` database is created there and dropped afterwards. Each child run is
bounded by --timeout seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SELLERS = 300
FIRST_EXT = 1000
MSK = ZoneInfo("Europe/Moscow")
BENCH_DB = "salespulse_bench"
BASELINE_RUNS = 3


def peak_rss_mb() -> float:
    """This process's own peak RSS.

    Linux keeps ru_maxrss across execve, so a child started by this script would report
    the parent's peak (1M generated rows and DuckDB's buffers) when that is higher; the
    high-water mark in /proc/self/status belongs to the process's own memory.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- data ------------------------------------------------------------------------------


def generate(path: Path, rows: int, seed: int = 5) -> int:
    """Write about `rows` Master.csv lines; returns the exact count."""
    from salespulse.lib.cdrgen import Pbx, asterisk_line

    pbx = Pbx(MSK, seed=seed)
    rng = random.Random(seed)
    exts = [str(FIRST_EXT + i) for i in range(SELLERS)]
    per_day = SELLERS * 90  # rows a day: ~80 calls per seller
    written = 0
    day = date(2026, 1, 12)
    with open(path, "w", encoding="utf-8", newline="") as f:
        while written < rows:
            moment = datetime.combine(day, datetime.min.time(), tzinfo=MSK) + timedelta(hours=9)
            step = timedelta(seconds=9 * 3600 / (per_day * 0.75))
            day_rows = 0
            while day_rows < per_day and written < rows:
                kind = rng.random()
                number = "79" + str(rng.randrange(10**8, 10**9))
                ext = rng.choice(exts)
                if kind < 0.70:
                    talk = rng.randint(3, 400) if rng.random() < 0.45 else None
                    call = pbx.outbound(ext, number, moment, talk)
                elif kind < 0.85:
                    group = rng.sample(exts, 3)
                    call = pbx.ring_group(number, group, group[1], moment, rng.randint(5, 300))
                elif kind < 0.95:
                    call = pbx.queue_via_local(number, ext, moment, rng.randint(5, 300))
                else:
                    other = rng.choice([e for e in exts[:8] if e != ext])
                    call = pbx.transfer(
                        number, ext, other, moment, rng.randint(10, 60), rng.randint(10, 200)
                    )
                for record in call.records:
                    f.write(asterisk_line(record, 21) + "\n")
                written += len(call.records)
                day_rows += len(call.records)
                moment += step
            day += timedelta(days=1)
    return written


# --- (a) the import, in a child ---------------------------------------------------------


def child_import(path: str) -> None:
    """Runs in a child process with DATABASE_URL / SALESPULSE_DATA_DIR set by the parent."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Sum

    from salespulse.kpis.models import DailyFact, Role
    from salespulse.org.models import Department, Employee
    from salespulse.telephony.importer import import_file
    from salespulse.telephony.models import CallSource

    call_command("migrate", verbosity=0)
    User = get_user_model()
    department = Department.objects.create(code="calls", name="Колл-центр")
    role = Role.objects.get(code="cold_caller")
    users = User.objects.bulk_create(
        [User(username=f"seller{i}", password="!") for i in range(SELLERS)]
    )
    Employee.objects.bulk_create(
        [
            Employee(
                user=u,
                department=department,
                sales_role=role,
                extension=str(FIRST_EXT + i),
                timezone="Europe/Moscow",
            )
            for i, u in enumerate(users)
        ]  # fmt: skip
    )
    source = CallSource.objects.create(name="bench", format="asterisk", timezone="Europe/Moscow")
    started, cpu = time.perf_counter(), time.process_time()
    result, _record = import_file(source, path, file_name="Master.csv")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = peak_rss_mb()
    totals = {
        code: int(DailyFact.objects.filter(kpi__code=code).aggregate(s=Sum("value"))["s"] or 0)
        for code in ("calls", "answered_calls", "conversations", "talk_time")
    }
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "rss_mb": rss,
                "floor_seconds": store_floor(),
                "rows": result.rows,
                "imported": result.imported,
                "rejected": result.rejected_total,
                "totals": totals,
            }
        )
    )


def store_floor() -> float:
    """(d) Seconds to write the legs the import stored, already prepared, into an empty
    table shaped like the legs table (same columns, indexes and constraints): what storing
    them costs with no reading, checking or counting at all, through the same driver path
    as the import (SQLite executemany, PostgreSQL COPY). The rows stream from a second
    connection, so a little reading is counted too."""
    from django.db import connection

    from salespulse.telephony.legstore import COLUMNS as LEG_COLUMNS
    from salespulse.telephony.models import CallLeg

    table, copy = CallLeg._meta.db_table, "bench_legs_floor"
    columns = ", ".join(f'"{c}"' for c in LEG_COLUMNS)
    if connection.vendor == "postgresql":
        import psycopg

        url = os.environ["DATABASE_URL"]
        with psycopg.connect(url) as reader, psycopg.connect(url) as writer:
            writer.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
            writer.commit()
            started = time.perf_counter()
            with (
                reader.cursor().copy(f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as out,
                writer.cursor().copy(f"COPY {copy} ({columns}) FROM STDIN") as into,
            ):
                for chunk in out:
                    into.write(chunk)
            writer.commit()
            seconds = time.perf_counter() - started
            writer.execute(f"DROP TABLE {copy}")
            writer.commit()
        return seconds
    path = connection.settings_dict["NAME"]
    reader, writer = sqlite3.connect(path), sqlite3.connect(path)
    writer.execute(f"PRAGMA cache_size = {-64 * 1024}")  # as the import has it
    for (sql,) in writer.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", [table]
    ).fetchall():
        sql = sql.replace(f'"{table}"', f'"{copy}"', 1)
        writer.execute(sql.replace('INDEX "', 'INDEX "floor_', 1))
    writer.commit()
    marks = ", ".join("?" * len(LEG_COLUMNS))
    started = time.perf_counter()
    writer.executemany(
        f"INSERT INTO {copy} ({columns}) VALUES ({marks})",
        reader.execute(f"SELECT {columns} FROM {table}"),
    )
    writer.commit()
    seconds = time.perf_counter() - started
    reader.close()
    writer.close()
    return seconds


def run_import(path: Path, db: str, postgres: str, timeout: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as data_dir:
        env["SALESPULSE_DATA_DIR"] = data_dir
        if db == "postgresql":
            env["DATABASE_URL"] = _bench_url(postgres)
        else:
            env.pop("DATABASE_URL", None)
        out = subprocess.run(
            [sys.executable, __file__, "--child-import", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if out.returncode != 0:
        raise SystemExit(f"import failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _bench_url(postgres: str) -> str:
    return postgres.rsplit("/", 1)[0] + "/" + BENCH_DB


def _recreate_pg(postgres: str) -> None:
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def _drop_pg(postgres: str) -> None:
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


# --- (b) DuckDB ------------------------------------------------------------------------

COLUMNS = [
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
]  # fmt: skip

QUOTED_TEXT_COLUMNS = ", ".join('"' + c + '" text' for c in COLUMNS)

DUCKDB_SQL = """
WITH legs AS (
  SELECT
    linkedid,
    CAST(CAST("start" AS TIMESTAMP) AS DATE) AS day,
    disposition = 'ANSWERED' AS answered,
    billsec,
    coalesce(nullif(regexp_extract(channel, '^(?:SIP|PJSIP)/([0-9]+)-', 1), ''),
             nullif(regexp_extract(channel, '^Local/([0-9]+)@', 1), '')) AS caller,
    coalesce(nullif(regexp_extract(dstchannel, '^(?:SIP|PJSIP)/([0-9]+)-', 1), ''),
             nullif(regexp_extract(dstchannel, '^Local/([0-9]+)@', 1), '')) AS callee
  FROM read_csv('{path}', header = false, quote = '"', escape = '"',
                columns = {columns})
), attributed AS (
  SELECT linkedid, day, answered, billsec,
         CASE WHEN caller IS NOT NULL AND (callee IS NULL OR callee = caller)
                   AND NOT (callee = caller) THEN caller
              WHEN callee IS NOT NULL THEN callee
              ELSE caller END AS seller,
         CASE WHEN caller IS NOT NULL AND callee IS NULL THEN 'outbound'
              WHEN caller IS NOT NULL AND callee IS NOT NULL AND caller <> callee THEN 'internal'
              ELSE 'inbound' END AS direction
  FROM legs
), calls AS (
  SELECT seller, day, linkedid,
         bool_or(answered) AS answered,
         bool_or(direction = 'outbound') AS made,
         max(CASE WHEN answered THEN billsec ELSE 0 END) AS talk
  FROM attributed
  WHERE seller IS NOT NULL AND direction <> 'internal'
  GROUP BY seller, day, linkedid
)
SELECT seller, day,
       count(*) AS calls,
       count(*) FILTER (WHERE answered) AS answered_calls,
       count(*) FILTER (WHERE answered AND talk > 15) AS conversations,
       sum(CASE WHEN answered THEN talk ELSE 0 END) AS talk_time
FROM calls
WHERE made OR answered
GROUP BY seller, day
"""


def run_duckdb(path: Path) -> tuple[float, dict[str, int]]:
    import duckdb

    types = {c: "VARCHAR" for c in COLUMNS} | {
        "duration": "INTEGER",
        "billsec": "INTEGER",
        "sequence": "INTEGER",
    }
    sql = DUCKDB_SQL.format(path=str(path), columns=repr(types))
    con = duckdb.connect()
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    totals = {
        "calls": sum(r[2] for r in rows),
        "answered_calls": sum(r[3] for r in rows),
        "conversations": sum(r[4] for r in rows),
        "talk_time": sum(int(r[5]) for r in rows),
    }
    return seconds, totals


# --- (c) raw bulk load -----------------------------------------------------------------


def raw_sqlite(path: Path) -> float:
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "raw.sqlite3")
        conn.execute(f"CREATE TABLE raw ({QUOTED_TEXT_COLUMNS})")
        marks = ", ".join("?" * len(COLUMNS))
        started = time.perf_counter()
        with open(path, newline="", encoding="utf-8") as f:
            conn.executemany(f"INSERT INTO raw VALUES ({marks})", csv.reader(f))
        conn.commit()
        seconds = time.perf_counter() - started
        conn.close()
    return seconds


def raw_postgres(path: Path, postgres: str) -> float:
    import psycopg

    with psycopg.connect(_bench_url(postgres)) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_cdr")
        conn.execute(f"CREATE TABLE raw_cdr ({QUOTED_TEXT_COLUMNS})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, open(path, "rb") as f:
            with cur.copy("COPY raw_cdr FROM STDIN (FORMAT csv)") as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE raw_cdr")
        conn.commit()
    return seconds


# --- main ------------------------------------------------------------------------------


def bench(rows: int, dbs: list[str], postgres: str, timeout: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Master.csv"
        started = time.perf_counter()
        count = generate(path, rows)
        size = path.stat().st_size / 2**20
        print(
            f"\n== {count:,} rows ({size:.0f} MB), {SELLERS} sellers; "
            f"generated in {time.perf_counter() - started:.1f} s"
        )
        # The baselines take seconds: the best of three, so that a slow moment of a shared
        # machine does not flatter the import's ratios.
        b, expected = min(run_duckdb(path) for _ in range(BASELINE_RUNS))
        print(f"(b) DuckDB KPIs from the CSV: {b:8.2f} s   totals {expected}")
        for db in dbs:
            if db == "postgresql":
                _recreate_pg(postgres)
            try:
                a = run_import(path, db, postgres, timeout)
                c = min(
                    raw_postgres(path, postgres) if db == "postgresql" else raw_sqlite(path)
                    for _ in range(BASELINE_RUNS)
                )
            finally:
                if db == "postgresql":
                    _drop_pg(postgres)
            match = "same KPIs as DuckDB" if a["totals"] == expected else f"DIFFER: {a['totals']}"
            print(
                f"[{db}] (a) import {a['seconds']:8.2f} s ({count / a['seconds']:,.0f} rows/s, "
                f"{a['cpu_seconds']:.1f} s CPU in the importer, "
                f"peak RSS {a['rss_mb']:.0f} MB, {match})\n"
                f"[{db}] (c) raw bulk load {c:8.2f} s\n"
                f"[{db}] (d) the legs alone, prepared, into a table like the legs table "
                f"{a['floor_seconds']:8.2f} s: d/c = {a['floor_seconds'] / c:4.1f}, the "
                f"least a/c can be while every leg is stored with its unique id; "
                f"d/b = {a['floor_seconds'] / b:4.1f}\n"
                f"[{db}] a/b = {a['seconds'] / b:5.1f} (target <= 10)   "
                f"a/c = {a['seconds'] / c:5.1f} (target <= 3)   "
                f"RSS {'ok' if a['rss_mb'] < 300 else 'OVER'} (< 300 MB)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 rows")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--timeout", type=int, default=1800, help="per import, seconds")
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import)
        return
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    sizes = [args.rows] + ([1_000_000] if args.million else [])
    for rows in sizes:
        bench(rows, dbs, args.postgres, args.timeout)


if __name__ == "__main__":
    main()
