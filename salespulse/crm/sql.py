"""Inserting many new rows fast: one `executemany`, values adapted by the database backend.

Django's bulk_create runs each value through the field machinery (most of a 100,000-deal
import's time, see bench/crm_import.py); the rows written here are built by our own
code from checked values, so the backend's adapters are all they need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from typing import Any

from django.db import connections, models, router

BATCH = 5000


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT `rows` (values in the order of `fields`) into the model's table."""
    connection = connections[router.db_for_write(model)]
    ops = connection.ops
    columns = [model._meta.get_field(name) for name in fields]
    adapters: list[Callable[[Any], Any] | None] = []
    sqlite = connection.vendor == "sqlite"
    for field in columns:
        kind = field.get_internal_type()
        if sqlite and kind == "DateTimeField":
            # What Django's SQLite adapter writes (UTC, no offset), without its checks.
            adapters.append(lambda v: str(v.astimezone(UTC).replace(tzinfo=None)))
        elif sqlite and kind in ("DateField", "DecimalField"):
            adapters.append(str)
        elif kind == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapters.append(ops.adapt_datefield_value)
        elif kind == "DecimalField":
            adapters.append(
                lambda v, f=field: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
            )
        elif kind in ("CharField", "SlugField", "TextField", "BooleanField", "ForeignKey",
                      "BigAutoField", "IntegerField", "PositiveSmallIntegerField"):  # fmt: skip
            adapters.append(None)
        else:
            raise TypeError(f"insert_rows does not handle {kind} ({field.name})")
    quote = ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    count = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                tuple(
                    a(v) if a is not None and v is not None else v
                    for a, v in zip(adapters, row, strict=True)
                )
            )
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
