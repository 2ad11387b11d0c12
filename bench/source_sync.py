"""Syncing a PBX's CDR table (issue 14), printed against the file import of the same rows.

Generates N Asterisk rows (the generator of bench/telephony_import.py, 300 sellers), writes
them as a Master.csv and loads them into a cdr_adaptive_odbc-style table (start, answer,
end, linkedid, sequence) in a scratch MariaDB database; then, on each salespulse
database, in fresh child processes:

  (a) the file import of the Master.csv (`import_file`, what `import-calls` does);
  (s) a first sync of the table by an asterisk-db source, the way the worker runs it
      (a queued run, claimed and executed), then a quiet sync (nothing new), and the
      process's peak RSS.

Each is run --repeat times (default 2), alternating; the best counts. Prints s/a (target
<= 1.2), the quiet sync (target < 0.5 s) and the RSS (< 200 MB).

    .venv/bin/python bench/source_sync.py                # 100k rows, SQLite + PostgreSQL
    .venv/bin/python bench/source_sync.py --rows 20000 --db sqlite
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from telephony_import import (  # noqa: E402
    SELLERS,
    _bench_url,
    _drop_pg,
    _recreate_pg,
    generate,
    peak_rss_mb,
)

MARIADB = dict(host="127.0.0.1", port=3306, user="root", password="")
# Master.csv's 21 columns, as a cdr_adaptive_odbc table names them.
FIELDS = [
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
    "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
]  # fmt: skip
TIMES, INTS = {"start", "answer", "end"}, {"duration", "billsec", "sequence"}


def load_mariadb(path: Path) -> str:
    """A scratch database with the rows in a `cdr` table; its URL."""
    import pymysql

    name = f"cdr_bench_{secrets.token_hex(4)}"
    conn = pymysql.connect(**MARIADB, autocommit=True)
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {name}")
    cur.execute(f"USE {name}")
    columns = ", ".join(
        f"`{c}` " + ("DATETIME" if c in TIMES else "INT" if c in INTS else "VARCHAR(255)")
        for c in FIELDS
    )
    cur.execute(f"CREATE TABLE cdr ({columns}, INDEX (`start`))")
    sql = f"INSERT INTO cdr VALUES ({', '.join(['%s'] * len(FIELDS))})"
    batch: list[list] = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            batch.append([None if (v == "" and c in TIMES | INTS) else v
                          for c, v in zip(FIELDS, row, strict=True)])  # fmt: skip
            if len(batch) >= 5000:
                cur.executemany(sql, batch)
                batch = []
    if batch:
        cur.executemany(sql, batch)
    conn.close()
    return f"mysql://root:@127.0.0.1:3306/{name}"


def drop_mariadb(url: str) -> None:
    import pymysql

    conn = pymysql.connect(**MARIADB, autocommit=True)
    conn.cursor().execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]}")
    conn.close()


def child(mode: str, target: str) -> None:
    """Runs in a child with DATABASE_URL / SALESPULSE_DATA_DIR set by the parent."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from salespulse.kpis.models import Role
    from salespulse.org.models import Department, Employee

    if mode == "migrate":  # its own process: the worker's memory is not migrate's
        call_command("migrate", verbosity=0)
        return
    User = get_user_model()
    department = Department.objects.create(code="calls", name="Колл-центр")
    role = Role.objects.get(code="cold_caller")
    users = User.objects.bulk_create(
        [User(username=f"seller{i}", password="!") for i in range(SELLERS)]
    )
    Employee.objects.bulk_create(
        [Employee(user=u, department=department, sales_role=role, extension=str(1000 + i),
                  timezone="Europe/Moscow") for i, u in enumerate(users)]
    )  # fmt: skip
    if mode == "file":
        from salespulse.telephony.importer import import_file
        from salespulse.telephony.models import CallSource

        source = CallSource.objects.create(name="file", format="asterisk", timezone="Europe/Moscow")
        started = time.perf_counter()
        result, _record = import_file(source, target, file_name="Master.csv")
        seconds = time.perf_counter() - started
        print(
            json.dumps({"seconds": seconds, "imported": result.imported, "rss_mb": peak_rss_mb()})
        )
        return
    from datetime import date

    from salespulse.sources import runner
    from salespulse.sources.models import Run, Source

    source = Source.objects.create(name="pbx", kind="asterisk-db", url=target,
                                   timezone="Europe/Moscow", since=date(2026, 1, 1))  # fmt: skip
    started = time.perf_counter()
    first = runner.run_now(runner.queue_sync(source, Run.Trigger.SCHEDULE))
    seconds = time.perf_counter() - started
    source.refresh_from_db()
    started = time.perf_counter()
    quiet = runner.run_now(runner.queue_sync(source, Run.Trigger.SCHEDULE))
    quiet_seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds, "imported": first.counts.get("imported"), "error": first.error,
        "quiet_seconds": quiet_seconds, "quiet_imported": quiet.counts.get("imported"),
        "quiet_rows": quiet.counts.get("rows"), "rss_mb": peak_rss_mb(),
    }))  # fmt: skip


def run_child(mode: str, target: str, db: str, postgres: str, timeout: int) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as data_dir:
        env["SALESPULSE_DATA_DIR"] = data_dir
        if db == "postgresql":
            _recreate_pg(postgres)
            env["DATABASE_URL"] = _bench_url(postgres)
        else:
            env.pop("DATABASE_URL", None)
        try:
            subprocess.run(
                [sys.executable, __file__, "--child", "migrate", "-"],
                env=env, check=True, timeout=timeout,
            )  # fmt: skip
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, target],
                env=env, capture_output=True, text=True, timeout=timeout, check=False,
            )  # fmt: skip
        finally:
            if db == "postgresql":
                _drop_pg(postgres)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, the best counts")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Master.csv"
        count = generate(path, args.rows)
        started = time.perf_counter()
        url = load_mariadb(path)
        print(f"\n== {count:,} rows, {SELLERS} sellers; loaded into MariaDB in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        try:
            for db in dbs:
                # Alternating, the best of --repeat each: a shared machine's slow moment
                # must not decide the ratio.
                a_runs, s_runs = [], []
                for _ in range(args.repeat):
                    a_runs.append(run_child("file", str(path), db, args.postgres, args.timeout))
                    s_runs.append(run_child("sync", url, db, args.postgres, args.timeout))
                a = min(a_runs, key=lambda r: r["seconds"])
                s = min(s_runs, key=lambda r: r["seconds"])
                s["rss_mb"] = max(r["rss_mb"] for r in s_runs)
                same = "same rows" if a["imported"] == s["imported"] else "DIFFER"
                print(
                    f"[{db}] (a) file import {a['seconds']:7.2f} s ({a['imported']:,} legs, "
                    f"peak RSS {a['rss_mb']:.0f} MB)\n"
                    f"[{db}] (s) MariaDB sync {s['seconds']:7.2f} s ({s['imported']:,} legs, "
                    f"{same}{', ' + s['error'] if s['error'] else ''})\n"
                    f"[{db}] s/a = {s['seconds'] / a['seconds']:4.2f} (target <= 1.2)   "
                    f"quiet sync {s['quiet_seconds']:.2f} s, {s['quiet_rows']} rows re-read, "
                    f"{s['quiet_imported']} new (target < 0.5 s)   "
                    f"worker peak RSS {s['rss_mb']:.0f} MB (target < 200 MB)"
                )
        finally:
            drop_mariadb(url)


if __name__ == "__main__":
    main()
