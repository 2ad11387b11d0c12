"""Reading a CRM export (Bitrix24, amoCRM, or any table through a saved column mapping)
and saving what it holds through the one import (`crm.importer`).

A file refused whole (no header, a layout nobody recognises, a damaged sheet) raises
`ImportFailed` before anything is written; a bad row is refused alone, with its line.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Iterable
from typing import IO, Any

from django.utils.translation import gettext

from salespulse.crm.importer import (
    ImportResult,
    company_tz,
    record_import,
    save_clients,
    save_deals,
)
from salespulse.crm.models import ColumnMapping
from salespulse.lib.crm import formats
from salespulse.lib.crm.formats import ClientRecord, RowError
from salespulse.lib.tabular import TabularError, gettext_noop, open_table

FORMATS = ("bitrix24", "amocrm", "csv")
Progress = Callable[[int, float | None], None]


class ImportFailed(Exception):
    """The whole file is refused (nothing written); message is a msgid with params."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)

    def text(self) -> str:
        message = gettext(self.message)
        return message % self.params if self.params else message


def import_file(
    stream: str | IO[bytes],
    *,
    kind: str = "deals",
    fmt: str | None = None,
    mapping: str | None = None,
    file_name: str = "",
    user: Any = None,
    progress: Progress | None = None,
    queued: Any = None,
) -> ImportResult:
    """Read a CRM export and save it. Raises `ImportFailed` when the file is refused whole.

    `queued`: the worker's run of an upload, which records the outcome."""
    result = ImportResult(kind=kind, file_name=file_name)
    started = clock.monotonic()
    try:
        table = open_table(stream)
    except TabularError as e:
        raise ImportFailed(e.message, **e.params) from None
    # Every row is read before anything is written: a file refused whole (a damaged
    # sheet, an unclosed quote) leaves nothing behind, wherever it breaks.
    with table:
        try:
            rows = _counting(table, progress)
            header = next(rows, None)
            if header is None:
                raise ImportFailed(gettext_noop("The file has no header row."))
            layout, source = _layout(kind, fmt, mapping, header[1])
            result.format, result.source = layout.name, source
            if kind == "clients":
                items = list(formats.read_clients(_chain(header, rows), layout))
            else:
                merged = formats.merge_deals(
                    formats.read_deals(rows, layout, company_tz(), header[1])
                )
        except TabularError as e:
            raise ImportFailed(e.message, **({"line": 0} | e.params)) from None
    if kind == "clients":
        result.rows = len(items)
        for item in items:
            if isinstance(item, RowError):
                result.error(item)
        result.seconds = clock.monotonic() - started
        good = [i for i in items if isinstance(i, ClientRecord)]
        return record_import(save_clients(good, source, result), user, queued)
    result.rows = merged.rows
    for item in merged.errors:
        result.error(item)
    result.warnings.extend(merged.warnings)
    result.seconds = clock.monotonic() - started
    return record_import(save_deals(merged.deals.values(), source, result), user, queued)


def _chain(first: tuple[int, list[str]], rest: Iterable[tuple[int, list[str]]]):
    yield first
    yield from rest


def _counting(table: Any, progress: Progress | None):
    count = 0
    for row in table.rows():
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count, table.progress())
        yield row
    if progress is not None:
        progress(count, 1.0)


def _layout(
    kind: str, fmt: str | None, mapping: str | None, header: list[str]
) -> tuple[formats.Layout, str]:
    if mapping:
        try:
            saved = ColumnMapping.objects.get(name=mapping)
        except ColumnMapping.DoesNotExist:
            raise ImportFailed(
                gettext_noop("No column mapping named '%(name)s'."), name=mapping
            ) from None
        if saved.kind != kind:
            raise ImportFailed(
                gettext_noop("Mapping '%(name)s' is for %(kind)s."), name=mapping, kind=saved.kind
            )
        try:
            return formats.mapped_layout(saved.name, saved.columns, kind), saved.source_name
        except TabularError as e:
            raise ImportFailed(e.message, **e.params) from None
    if kind == "clients":
        return formats.CLIENTS, fmt if fmt in ("bitrix24", "amocrm") else "clients"
    if fmt in formats.LAYOUTS:
        return formats.LAYOUTS[fmt], fmt
    detected = formats.detect_layout(header)
    if detected is None:
        raise ImportFailed(
            gettext_noop(
                "Cannot tell whose export this is: choose Bitrix24 or amoCRM, or a saved "
                "column mapping. The file has: %(found)s."
            ),
            found=", ".join(h for h in header if h.strip())[:300] or "—",
        )
    if fmt not in (None, "", "csv") and detected.name != fmt:
        raise ImportFailed(gettext_noop("This is not a %(format)s export."), format=fmt)
    return detected, detected.name
