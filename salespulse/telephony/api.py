"""`POST /api/v1/calls`: a PBX or a dialler pushes calls as they end.

Who may push: a token whose user is staff or an admin (calls change every seller's
figures, so a seller's own token must not). Body: one call object, a list of them, or
``{"source": NAME, "calls": [...]}``; field names as in a column mapping (README,
"Telephony"). The answer has the CLI's --json shape.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salespulse.api.auth import BodyError, error, json_body, token_required
from salespulse.org import access
from salespulse.sources import record as runs
from salespulse.telephony.importer import import_rows
from salespulse.telephony.models import CallImport, CallSource

MAX_BATCH = 10_000
DEFAULT_SOURCE = "api"


def may_push_calls(user: Any) -> bool:
    return access.may_import(user, "telephony.add_callleg")


def _rows(calls: list[Any]) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """Call objects as the rows of a mapped CSV (a header of every key, then the values),
    and the positions of the items that are not objects."""
    keys: list[str] = []
    for call in calls:
        if isinstance(call, dict):
            keys.extend(k for k in call if k not in keys)
    rows: list[tuple[int, list[str]]] = [(0, keys)]
    not_objects = []
    for number, call in enumerate(calls, 1):
        if not isinstance(call, dict):
            not_objects.append(number)
            continue
        rows.append((number, ["" if call.get(k) is None else str(call.get(k)) for k in keys]))
    return rows, not_objects


@token_required
@require_POST
def calls(request: HttpRequest) -> JsonResponse:
    if not may_push_calls(request.user):
        return error(403, "Only a staff user's or an admin's token may push calls")
    try:
        body = json_body(request)
    except BodyError as e:
        return e.response()
    source_name = request.GET.get("source", DEFAULT_SOURCE)
    if isinstance(body, dict) and "calls" in body:
        source_name = str(body.get("source") or source_name)
        body = body["calls"]
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        return error(400, 'Send a call object, a list of them, or {"calls": [...]}')
    if len(items) > MAX_BATCH:
        return error(413, f"At most {MAX_BATCH} calls per request")
    source, _created = CallSource.objects.get_or_create(
        name=source_name[:100], defaults={"format": CallSource.Format.CSV}
    )
    if source.format != CallSource.Format.CSV:
        return error(400, f"The source {source.name} reads {source.format} files, not JSON")
    with translation.override(request.headers.get("Accept-Language", "ru")[:2] or "ru"):
        rows, not_objects = _rows(items)
        result = import_rows(source, rows)
        if result.error:
            result.reject(0, result.error)
        for number in not_objects:
            result.rows += 1
            result.reject(number, _("A call must be a JSON object."))
        result.rejected.sort(key=lambda r: r["line"])
        record = CallImport.objects.create(
            source=source, user=request.user, file_name=_("API batch"), result=result.as_record()
        )
        runs.calls_imported(record, result, api=True)
    return JsonResponse(result.as_json(), status=400 if result.failed else 200)
