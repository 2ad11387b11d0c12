"""CDR tables on real database servers, in the layouts PBXs write, for the sync tests.

`Server` makes a scratch database (a unique name, dropped afterwards) on the MariaDB or
PostgreSQL of the machine; tests needing one skip when it is down, unless REQUIRE_MARIADB
or REQUIRE_POSTGRES says CI must have it.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime

import pytest

MARIADB = dict(host="127.0.0.1", port=3306, user="root", password="")
POSTGRES = dict(host="127.0.0.1", port=5432, user="postgres")

_TEXT = ["clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata"]
LAYOUTS: dict[str, list[str]] = {
    # FreePBX/Issabel asteriskcdrdb.cdr
    "freepbx": [
        "calldate", *_TEXT, "duration", "billsec", "disposition", "amaflags", "accountcode",
        "uniqueid", "userfield", "did", "recordingfile", "cnum", "cnam", "outbound_cnum",
        "outbound_cnam", "dst_cnam", "linkedid", "peeraccount", "sequence",
    ],
    # the stock cdr_mysql / cdr_pgsql table: a row id, no linkedid
    "stock": [
        "acctid", "calldate", *_TEXT, "duration", "billsec", "disposition", "amaflags",
        "accountcode", "uniqueid", "userfield",
    ],
    # cdr_adaptive_odbc with start/answer/end and linkedid/sequence
    "odbc": [
        "start", "answer", "end", *_TEXT, "duration", "billsec", "disposition", "amaflags",
        "accountcode", "uniqueid", "userfield", "peeraccount", "linkedid", "sequence",
    ],
}  # fmt: skip
_TIMES = {"calldate", "start", "answer", "end"}
_INTS = {"duration", "billsec", "sequence"}


def _type(name: str, dialect: str, tz: bool) -> str:
    if name == "acctid":
        return {"mysql": "BIGINT AUTO_INCREMENT PRIMARY KEY", "postgres": "BIGSERIAL PRIMARY KEY",
                "sqlite": "INTEGER PRIMARY KEY"}[dialect]  # fmt: skip
    if name in _TIMES:
        if dialect == "postgres":
            return "timestamptz" if tz else "timestamp"
        return "DATETIME" if dialect == "mysql" else "TEXT"
    if name in _INTS:
        return "INTEGER"
    return "VARCHAR(255)"


def create_sql(layout: str, dialect: str, table: str = "cdr", tz: bool = False) -> str:
    q = (lambda n: f"`{n}`") if dialect == "mysql" else (lambda n: f'"{n}"')
    cols = ", ".join(f"{q(n)} {_type(n, dialect, tz)}" for n in LAYOUTS[layout])
    index = (
        ""
        if dialect != "mysql"
        else f", INDEX ({q(LAYOUTS[layout][0 if layout != 'stock' else 1])})"
    )
    return f"CREATE TABLE {q(table)} ({cols}{index})"


def row(layout: str, record: Mapping[str, object]) -> list[object]:
    """A cdrgen record (cdr_csv names) as this layout's values (None for NULL)."""
    out: list[object] = []
    for name in LAYOUTS[layout]:
        if name == "acctid":
            continue
        key = "start" if name == "calldate" else name
        value = record.get(key, "")
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M:%S")
        if value == "" and (name in _TIMES or name in _INTS):
            value = None
        out.append(value)
    return out


class Server:
    """A scratch database with one CDR table; `url` is what a source is given."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.name = f"cdr_wt14_{secrets.token_hex(4)}"
        self.table = "cdr"
        self.layout = ""
        if dialect == "mysql":
            import pymysql

            try:
                admin = pymysql.connect(**MARIADB, connect_timeout=3, autocommit=True)
            except pymysql.err.OperationalError as e:
                _unavailable("REQUIRE_MARIADB", f"MariaDB at 127.0.0.1:3306 is down: {e}")
            admin.cursor().execute(f"CREATE DATABASE {self.name}")
            admin.close()
            self.conn = pymysql.connect(**MARIADB, database=self.name, autocommit=True)
            self.conn.cursor().execute("SET SESSION sql_mode = ''")  # zero dates, as old PBXs
            self.url = f"mysql://root:@127.0.0.1:3306/{self.name}"
        elif dialect == "postgres":
            import psycopg

            try:
                admin = psycopg.connect(**POSTGRES, dbname="postgres", connect_timeout=3,
                                        autocommit=True)  # fmt: skip
            except psycopg.OperationalError as e:
                _unavailable("REQUIRE_POSTGRES", f"PostgreSQL at 127.0.0.1:5432 is down: {e}")
            admin.execute(f"CREATE DATABASE {self.name}")
            admin.close()
            self.conn = psycopg.connect(**POSTGRES, dbname=self.name, autocommit=True)
            self.url = f"postgres://postgres@127.0.0.1:5432/{self.name}"
        else:
            import tempfile

            self.path = os.path.join(tempfile.mkdtemp(), "master.db")
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.url = f"sqlite://{self.path}"

    def execute(self, sql: str, params: Iterable[object] = ()) -> None:
        if self.dialect == "sqlite":
            self.conn.execute(sql.replace("%s", "?"), list(params))
        elif self.dialect == "postgres":
            self.conn.execute(sql, list(params))
        else:
            self.conn.cursor().execute(sql, list(params))

    def create(self, layout: str, tz: bool = False) -> None:
        self.layout = layout
        self.execute(create_sql(layout, self.dialect, self.table, tz))

    def insert(self, records: Iterable[Mapping[str, object]]) -> None:
        columns = [n for n in LAYOUTS[self.layout] if n != "acctid"]
        q = (lambda n: f"`{n}`") if self.dialect == "mysql" else (lambda n: f'"{n}"')
        sql = (
            f"INSERT INTO {q(self.table)} ({', '.join(q(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        values = [row(self.layout, r) for r in records]
        if self.dialect == "sqlite":
            self.conn.executemany(sql.replace("%s", "?"), values)
        elif self.dialect == "postgres":
            with self.conn.cursor() as cur:
                cur.executemany(sql, values)
        else:
            self.conn.cursor().executemany(sql, values)

    def drop(self) -> None:
        self.conn.close()
        if self.dialect == "mysql":
            import pymysql

            admin = pymysql.connect(**MARIADB, autocommit=True)
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {self.name}")
            admin.close()
        elif self.dialect == "postgres":
            import psycopg

            admin = psycopg.connect(**POSTGRES, dbname="postgres", autocommit=True)
            admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            admin.close()


def _unavailable(flag: str, message: str) -> None:
    if os.environ.get(flag):
        pytest.fail(message)
    pytest.skip(message)
