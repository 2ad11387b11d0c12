"""Exports of a screen's tables: the view passes the `Table`s it renders, so the file and the
screen hold the same numbers.

A view calls ``export_response`` first and returns its answer when there is one::

    response = export_response(request, [sellers, attention], period=period)
    if response is not None:
        return response

``?export=sellers&format=csv`` gives one table; ``?export=all&format=xlsx`` gives every
table of the page, one sheet each. The view has already checked access: the export shows
exactly what the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language

from salespulse.lib import export
from salespulse.lib.periods import Period
from salespulse.lib.table import Table

FORMATS = ("xlsx", "csv")
ALL = "all"  # ?export=all: every table of the page in one workbook


def export_response(
    request: HttpRequest, tables: Sequence[Table], *, period: Period | None = None
) -> HttpResponse | None:
    """The requested export as a file download, or None when the request asks for none.

    Raises Http404 for an unknown table or format (a stale or edited link).
    """
    name = request.GET.get("export")
    if not name:
        return None
    kind = request.GET.get("format") or "xlsx"
    if kind not in FORMATS:
        raise Http404(f"Unknown export format {kind!r}")
    if name == ALL and kind == "xlsx":
        chosen = list(tables)
    else:
        chosen = [t for t in tables if t.name == name]
    if not chosen:
        raise Http404(f"No table {name!r} on this page")
    if kind == "xlsx":
        content = export.to_xlsx(chosen)
    else:
        lang = "en" if (get_language() or "ru").startswith("en") else "ru"
        content = export.to_csv(chosen[0], lang)
    start, end = (period.start, period.end) if period is not None else (None, None)
    filename = export.file_name(name, start, end, kind)
    response = HttpResponse(content, content_type=export.CONTENT_TYPES[kind])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Figures of named people: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
