"""Reading a PBX's own CDR table (MySQL/MariaDB, PostgreSQL, SQLite) as rows of text.

Plain Python, no Django. A table is read the way a file with a header row is: its column
names are the header (FreePBX's ``calldate``/``did``/``recordingfile``…, the stock
``cdr_mysql``/``cdr_pgsql`` layout, ``cdr_adaptive_odbc``'s ``start``/``answer``/``end``,
with or without ``linkedid``/``sequence``), and every value comes as the text an export
would hold (times as ``YYYY-MM-DD HH:MM:SS`` on the PBX's clock, NULL as empty), so
`reading.LegReader` reads it with the rules of files and a row has the same identity
(the table's own row id, else the hash of every field) whichever way it came.

Incremental reads go by the call date: ``rows(since)`` reads from a moment on the PBX
clock; the caller keeps the watermark (`newest` before reading) and an overlap window,
since a call is written when it ends and late rows land behind newer ones.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from salespulse.lib.tabular import gettext_noop

CONNECT_TIMEOUT = 10  # seconds: an unreachable PBX must not hold the worker
READ_TIMEOUT = 300  # seconds without a byte from the server mid-read
FETCH = 5000
# Before this the PBX clock was not set: such rows (MySQL's zero date) are junk.
EARLIEST = "2000-01-01 00:00:00"
SEP = "\x1f"  # between a row's values in one text (no CDR field holds it)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class TableError(Exception):
    """Why a table cannot be read: `code` for programs, a msgid with params for people."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class TableUrl:
    scheme: str  # mysql, postgres, sqlite
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    database: str = ""  # the database name, or the SQLite file's path
    table: str = "cdr"

    def safe(self) -> str:
        """The URL without its password, to show."""
        if self.scheme == "sqlite":
            return f"sqlite://{self.database}?table={self.table}"
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}/{self.database}?table={self.table}"


_SCHEMES = {"mysql": "mysql", "mariadb": "mysql", "postgres": "postgres",
            "postgresql": "postgres", "sqlite": "sqlite"}  # fmt: skip


def parse_url(url: str) -> TableUrl:
    """``mysql://user:pass@host:3306/asteriskcdrdb?table=cdr``, ``postgres://…``,
    ``sqlite:///var/log/asterisk/master.db``."""
    parts = urlsplit(url.strip())
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise TableError(
            "url",
            gettext_noop(
                "Unknown database type '%(scheme)s': use mysql://, postgres:// or sqlite://."
            ),
            scheme=parts.scheme,
        )
    table = (parse_qs(parts.query).get("table") or ["cdr"])[0]
    if not _NAME.match(table):
        raise TableError("url", gettext_noop("Not a table name: %(table)s."), table=table)
    if scheme == "sqlite":
        if not parts.path:
            raise TableError("url", gettext_noop("The URL names no database."))
        return TableUrl("sqlite", database=unquote(parts.path), table=table)
    database = unquote(parts.path.lstrip("/"))
    if not database or not parts.hostname:
        raise TableError("url", gettext_noop("The URL names no database."))
    return TableUrl(
        scheme,
        host=parts.hostname,
        port=parts.port or (3306 if scheme == "mysql" else 5432),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=database,
        table=table,
    )


@dataclass(frozen=True)
class TableLayout:
    """A table's columns and which of them the reading needs."""

    name: str  # what the table was recognised as
    columns: tuple[str, ...]
    start: str  # the call date column
    row_id: str  # the PBX's own row id column, "" when the table has none


def recognise(columns: Sequence[str]) -> TableLayout:
    """The layout of a CDR table from its column names; `TableError` if calls are missing."""
    lower = [c.lower() for c in columns]
    names = set(lower)
    start = next((c for c in ("calldate", "start") if c in names), "")
    if not start or not names & {"duration", "billsec", "end"}:
        needed = [n for n in ("calldate", "duration", "billsec") if n not in names]
        raise TableError(
            "columns",
            gettext_noop(
                "The table has no call date or duration columns (missing: %(missing)s); "
                "it has: %(found)s."
            ),
            missing=", ".join(needed),
            found=", ".join(lower[:30]),
        )
    if start == "start":
        name = "Asterisk cdr_adaptive_odbc table"
    elif names & {"did", "recordingfile", "cnum"}:
        name = "FreePBX/Issabel cdr table"
    else:
        name = "Asterisk cdr_mysql/cdr_pgsql table"
    if "linkedid" in names:
        name += " (with linkedid)"
    row_id = next((c for c in ("id", "acctid") if c in names), "")
    return TableLayout(name, tuple(columns), start, row_id)


class CdrTable:
    """An open connection to one CDR table. Use as a context manager."""

    def __init__(self, url: str | TableUrl, tz: str = "UTC", timeout: int = CONNECT_TIMEOUT):
        self.url = url if isinstance(url, TableUrl) else parse_url(url)
        self.tz = tz
        self.conn = _connect(self.url, tz, timeout)
        self._types: dict[str, str] = {}
        self.layout = recognise(self._columns())

    def __enter__(self) -> CdrTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # a connection the server dropped has nothing left to close
            pass

    def _q(self, name: str) -> str:
        return f"`{name}`" if self.url.scheme == "mysql" else f'"{name}"'

    def _param(self) -> str:
        return "?" if self.url.scheme == "sqlite" else "%s"

    def _columns(self) -> list[str]:
        table, scheme = self.url.table, self.url.scheme
        with _errors(scheme, table):
            cur = self.conn.cursor()
            if scheme == "sqlite":
                cur.execute(f"PRAGMA table_info({self._q(table)})")
                found = [row[1] for row in cur.fetchall()]
            elif scheme == "postgres":
                cur.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = %s AND table_schema = ANY(current_schemas(false)) "
                    "ORDER BY ordinal_position",
                    (table,),
                )
                rows = cur.fetchall()
                self._types = {name: kind for name, kind in rows}
                found = [name for name, _kind in rows]
            else:
                cur.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = DATABASE() AND table_name = %s "
                    "ORDER BY ordinal_position",
                    (table,),
                )
                found = [row[0] for row in cur.fetchall()]
            cur.close()
        if not found:
            raise TableError(
                "no_table", gettext_noop("There is no table '%(table)s'."), table=table
            )
        return found

    def _select(self, column: str) -> str:
        """A column as the text an export holds."""
        q = self._q(column)
        if self.url.scheme == "postgres":
            if self._types.get(column, "").startswith("timestamp"):
                return f"to_char({q}, 'YYYY-MM-DD HH24:MI:SS')"
            return f"{q}::text"
        return q

    def newest(self) -> str:
        """The latest call date in the table (PBX clock), "" when it has none."""
        start, p = self._q(self.layout.start), self._param()
        cast = f"CAST({p} AS timestamp)" if self.url.scheme == "postgres" else p
        top = f"MAX({start})"
        if self.url.scheme == "postgres":
            top = f"to_char({top}, 'YYYY-MM-DD HH24:MI:SS')"
        # Junk dates (zero, NULL) are never the newest; an index on the date serves MAX.
        sql = f"SELECT {top} FROM {self._q(self.url.table)} WHERE {start} >= {cast}"
        with _errors(self.url.scheme, self.url.table):
            cur = self.conn.cursor()
            cur.execute(sql, [EARLIEST])
            row = cur.fetchone()
            cur.close()
        return _text(row[0]) if row and row[0] is not None else ""

    def _where(self, since: str, junk: bool) -> tuple[str, list[str]]:
        start, p = self._q(self.layout.start), self._param()
        cast = f"CAST({p} AS timestamp)" if self.url.scheme == "postgres" else p
        where = f"{start} >= {cast}"
        if junk:
            return f"({where} OR {start} < {cast} OR {start} IS NULL)", [since, EARLIEST]
        return where, [since]

    def count(self, since: str) -> int:
        """How many rows there are from `since` (an index on the date serves it)."""
        where, params = self._where(since, False)
        with _errors(self.url.scheme, self.url.table):
            cur = self.conn.cursor()
            cur.execute(f"SELECT COUNT(*) FROM {self._q(self.url.table)} WHERE {where}", params)
            (found,) = cur.fetchone()
            cur.close()
        return int(found)

    def rows(self, since: str, *, junk: bool = False) -> Iterator[list[str]]:
        """The header, then every row from `since` (PBX clock) as text cells.

        `junk`: also the rows with no valid call date (zero, NULL, before 2000), to be
        refused with their reason (a first sync reads them once).
        """
        where, params = self._where(since, junk)
        scheme = self.url.scheme
        if scheme == "sqlite":
            columns = ", ".join(self._select(c) for c in self.layout.columns)
        else:
            # One text per row, split here: the driver decodes one value instead of
            # twenty-odd, which is most of a pure-Python driver's work.
            texts = ", ".join(f"COALESCE({self._select(c)}, '')" for c in self.layout.columns)
            columns = f"CONCAT_WS('{SEP}', {texts})"
        sql = f"SELECT {columns} FROM {self._q(self.url.table)} WHERE {where}"
        yield [c.lower() for c in self.layout.columns]
        with _errors(scheme, self.url.table):
            cur = self._streaming_cursor()
            try:
                cur.execute(sql, params)
                while batch := cur.fetchmany(FETCH):
                    if scheme == "sqlite":
                        for row in batch:
                            yield [_text(v) for v in row]
                    else:
                        for (text,) in batch:
                            yield text.split(SEP)
            finally:
                cur.close()

    def _streaming_cursor(self) -> Any:
        if self.url.scheme == "mysql":
            import pymysql.cursors

            return self.conn.cursor(pymysql.cursors.SSCursor)
        if self.url.scheme == "postgres":
            return self.conn.cursor(name="salespulse_cdr")  # server-side: memory stays flat
        return self.conn.cursor()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _connect(url: TableUrl, tz: str, timeout: int) -> Any:
    with _errors(url.scheme, url.table, connecting=True):
        if url.scheme == "sqlite":
            from pathlib import Path

            if not Path(url.database).is_file():
                raise TableError(
                    "unreachable", gettext_noop("There is no file %(path)s."), path=url.database
                )
            conn = sqlite3.connect(
                f"file:{url.database}?mode=ro", uri=True, timeout=timeout, check_same_thread=False
            )
            return conn
        if url.scheme == "mysql":
            import pymysql
            from pymysql.converters import conversions

            # No decoders: every value comes as the text the server sends (a zero date
            # stays '0000-00-00 00:00:00' and is refused with its reason). Encoders stay,
            # for the parameters.
            encoders = {k: v for k, v in conversions.items() if not isinstance(k, int)}
            return pymysql.connect(
                host=url.host, port=url.port, user=url.user, password=url.password,
                database=url.database, connect_timeout=timeout, read_timeout=READ_TIMEOUT,
                write_timeout=READ_TIMEOUT, charset="utf8mb4", conv=encoders,
            )  # fmt: skip
        import psycopg

        conn = psycopg.connect(
            host=url.host, port=url.port, user=url.user, password=url.password,
            dbname=url.database, connect_timeout=timeout, autocommit=False,
            # The session's clock is the PBX's: timestamptz columns read as its local time.
            options=f"-c statement_timeout={READ_TIMEOUT * 1000} -c TimeZone={tz}",
        )  # fmt: skip
        conn.read_only = True
        return conn


class _errors:
    """Driver errors -> `TableError` with what a person can act on."""

    def __init__(self, scheme: str, table: str, connecting: bool = False) -> None:
        self.scheme, self.table, self.connecting = scheme, table, connecting

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        if error is None or isinstance(error, TableError):
            return False
        if not isinstance(error, Exception):
            return False
        raise _explain(error, self.table, self.connecting) from error


def _explain(error: Exception, table: str, connecting: bool) -> TableError:
    text = str(error)
    code = (
        getattr(error, "args", [None])[0] if type(error).__module__.startswith("pymysql") else None
    )
    low = text.lower()
    if code == 1045 or "password authentication failed" in low or "access denied" in low:
        return TableError("auth", gettext_noop("Wrong user name or password."))
    if code == 1049 or ("database" in low and "does not exist" in low):
        return TableError("no_database", gettext_noop("There is no such database."))
    if code in (1146,) or "no such table" in low or ("relation" in low and "does not exist" in low):
        return TableError("no_table", gettext_noop("There is no table '%(table)s'."), table=table)
    if code in (1142, 1143) or "permission denied" in low:
        return TableError(
            "denied", gettext_noop("The user may not read the table '%(table)s'."), table=table
        )
    if code in (2003, 2005, 2013) or connecting or "timeout" in low or "connection" in low:
        return TableError(
            "unreachable",
            gettext_noop("The database server cannot be reached: %(error)s"),
            error=text[:200],
        )
    return TableError("error", gettext_noop("The database answered: %(error)s"), error=text[:200])
