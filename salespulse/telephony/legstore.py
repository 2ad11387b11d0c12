"""Storing call legs: one leg as a row of the legs table, and the new ones written.

A batch is written as it is (COPY on PostgreSQL, executemany on SQLite) inside a savepoint;
only when the database refuses an external id the source already has are the stored ids
looked up and the rest written. Inside the caller's transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from django.db import IntegrityError, connection, transaction

from salespulse.lib import cdr
from salespulse.telephony.models import CallLeg, CallSource

COLUMNS = [
    "source_id", "external_id", "call_key", "start", "answer", "end", "duration", "billsec",
    "disposition", "src", "dst", "channel", "dstchannel", "agent", "direction",
    "employee_id", "day", "link", "raw",
]  # fmt: skip
_LIMITS = {
    f.attname: f.max_length
    for f in CallLeg._meta.concrete_fields
    if getattr(f, "max_length", None) and f.get_internal_type() == "CharField"
}


def _clip(value: str, column: str) -> str:
    limit = _LIMITS.get(column)
    return value[:limit] if limit and len(value) > limit else value


# json.dumps(cells, ensure_ascii=False), without building an encoder for every row.
_raw_json = json.JSONEncoder(ensure_ascii=False).encode
# The text columns of a row that may come longer than their column, and the shortest limit.
_CLIPPED = (1, 2, 9, 10, 11, 12, 13, 17)
_SHORTEST_LIMIT = min(_LIMITS[COLUMNS[i]] for i in _CLIPPED)


def leg_row(source_id: int, leg: cdr.Leg, who: cdr.Attribution, day: date | None) -> list:
    row = [
        source_id,
        leg.external_id,
        leg.call_key,
        leg.start,
        leg.answer,
        leg.end,
        leg.duration,
        leg.billsec,
        leg.disposition,
        leg.src,
        leg.dst,
        leg.channel,
        leg.dstchannel,
        who.agent,
        who.direction,
        who.employee_id,
        day,
        leg.link,
        _raw_json(leg.raw),
    ]
    # Clip what a column cannot hold (rare: only look closer when something is long).
    for i in _CLIPPED:
        if len(row[i]) > _SHORTEST_LIMIT:
            row[i] = _clip(row[i], COLUMNS[i])
    return row


def last_leg() -> int:
    """The highest leg pk now: legs above it were stored after this moment."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {CallLeg._meta.db_table}")
        return cursor.fetchone()[0] or 0


def insert_new(source: CallSource, rows: list[list], since: int = 0) -> tuple[set[str], set[str]]:
    """Insert the rows whose external id is new. Inside a transaction.

    Returns the ids stored now, and those of the rest that were stored after leg pk
    `since` (by this import, when `since` is `last_leg()` at its start: repeats of rows it
    has already read). A file brings mostly new legs, so the batch is written as it is
    first; only when the database refuses an id it already has are the stored ids looked
    up and the rest written.
    """
    table = CallLeg._meta.db_table
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        existing = stored_ids(source, [row[1] for row in rows])
        fresh = [row for row in rows if row[1] not in existing]
        CallLeg.objects.bulk_create(
            [CallLeg(**dict(zip(COLUMNS, row, strict=True))) for row in fresh],
            ignore_conflicts=True,
        )
        return {row[1] for row in fresh}, _since(existing, since)
    if vendor == "sqlite":
        _as_sqlite_values(rows)
    if _write(rows, table, columns):
        return {row[1] for row in rows}, set()
    existing = stored_ids(source, [row[1] for row in rows])
    fresh = [row for row in rows if row[1] not in existing]
    if _write(fresh, table, columns):
        return {row[1] for row in fresh}, _since(existing, since)
    # Another import stored some of these legs since the check: let the database sort
    # them out row by row.
    if vendor == "postgresql":
        return _insert_staged(fresh, table, columns), _since(existing, since)
    # (SQLite refuses to write on top of a read another writer has overtaken, so this
    # takes a caller that looked in another transaction.)
    new: set[str] = set()
    marks = ", ".join(["%s"] * len(COLUMNS))
    with connection.cursor() as cursor:
        for row in fresh:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", row
            )
            if cursor.rowcount == 1:
                new.add(row[1])
    return new, _since(existing, since)


def _since(existing: dict[str, int], since: int) -> set[str]:
    return {external_id for external_id, pk in existing.items() if pk > since}


def _write(rows: list[list], table: str, columns: str) -> bool:
    """Write all these legs, or none when one has an id the source already has (False)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The driver's own COPY: its errors are made Django's here.
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    except IntegrityError as e:
        if _duplicate_id(e):
            return False
        raise
    return True


def _as_sqlite_values(rows: list[list]) -> None:
    """Datetimes as the naive UTC text Django writes to SQLite, days as ISO text (in place).

    A second has several legs starting or ending in it: each moment is formatted once.
    """
    texts: dict[datetime, str] = {}
    for row in rows:
        for i in (3, 4, 5):
            moment = row[i]
            if moment is not None:
                text = texts.get(moment)
                if text is None:
                    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
                    texts[moment] = text
                row[i] = text
        if row[16] is not None:
            row[16] = row[16].isoformat()


def stored_ids(source: CallSource, ids: list[str]) -> dict[str, int]:
    """Which of these external ids the source already has, with their legs' pks."""
    table = CallLeg._meta.db_table
    existing: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT external_id, id FROM {table} "
                f"WHERE source_id = %s AND external_id = ANY(%s)",
                [source.pk, ids],
            )
            return dict(cursor.fetchall())
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cursor.execute(
                f"SELECT external_id, id FROM {table} WHERE source_id = %s "
                f"AND external_id IN ({', '.join(['%s'] * len(chunk))})",
                [source.pk, *chunk],
            )
            existing.update(cursor.fetchall())
    return existing


def _duplicate_id(error: IntegrityError) -> bool:
    """Whether the database refused a leg for an external id the source already has."""
    text = str(error.__cause__)  # PostgreSQL names the constraint, SQLite its columns
    return "callleg_unique_source_id" in text or (
        "UNIQUE constraint failed: telephony_callleg.source_id" in text
    )


def _insert_staged(rows: list[list], table: str, columns: str) -> set[str]:
    """PostgreSQL, racing another import: COPY into a scratch table, then one INSERT …
    ON CONFLICT DO NOTHING; returns the ids this one stored."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE callleg_stage ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY callleg_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM callleg_stage "
            f"ON CONFLICT (source_id, external_id) DO NOTHING RETURNING external_id"
        )
        new = {r[0] for r in cursor.fetchall()}
        cursor.execute("DROP TABLE callleg_stage")
    return new
