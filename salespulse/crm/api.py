"""`POST /api/v1/deals`: one deal or a batch as JSON, upserted by (source, id).

The shape is documented in the README ("CRM data"). Deals go through the same path as
file imports, so stage mapping, repeat flags, portfolios and day facts follow alike.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from salespulse.api.auth import BodyError, error, json_body, token_required
from salespulse.crm.importer import ImportResult, company_tz, save_deals
from salespulse.lib.crm.formats import (
    DealRecord,
    RowError,
    parse_amount,
    parse_currency,
    parse_flag,
    parse_moment,
)
from salespulse.lib.tabular import TabularError
from salespulse.org import access
from salespulse.sources import record as runs

MAX_BATCH = 5000


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def _record(index: int, item: Any) -> DealRecord:
    if not isinstance(item, dict):
        raise TabularError("A deal must be a JSON object.")
    external_id = _text(item.get("id"))
    if not external_id:
        raise TabularError("The deal has no id.")
    if len(external_id) > 200:
        # Cut, two long ids could become one deal.
        raise TabularError("The deal id is longer than 200 characters.")
    seller = item.get("seller")
    seller_id = _text(item.get("seller_crm_id"))
    if isinstance(seller, dict):
        seller_id = seller_id or _text(seller.get("crm_id"))
        seller = seller.get("name")
    if not seller and not seller_id:
        raise TabularError("Deal %(id)s has no seller.", id=external_id)
    client = item.get("client") or {}
    if isinstance(client, str):
        client = {"name": client}
    if not isinstance(client, dict):
        raise TabularError("Deal %(id)s: the client is a name or an object.", id=external_id)
    for name in ("stage", "status"):
        if isinstance(item.get(name), list | dict):
            raise TabularError("Deal %(id)s: the stage is a name.", id=external_id)
    stage = _text(item.get("stage")) or _text(item.get("status"))
    if not stage:
        raise TabularError("Deal %(id)s has no stage or status.", id=external_id)
    amount = item.get("amount", "0")
    tz = company_tz()
    closed = _text(item.get("closed_at"))
    created = _text(item.get("created_at"))
    return DealRecord(
        line=index,
        external_id=external_id[:200],
        title=_text(item.get("title"))[:300],
        client=_text(client.get("name"))[:300],
        client_id=_text(client.get("id"))[:200],
        seller=_text(seller),
        seller_id=seller_id,
        stage=stage,
        amount=parse_amount(str(amount) if isinstance(amount, int | Decimal) else _text(amount)),
        currency=parse_currency(_text(item.get("currency"))),
        created_at=parse_moment(created, tz) if created else None,
        closed_at=parse_moment(closed, tz) if closed else None,
        repeat=parse_flag(item.get("repeat")),
    )


@require_POST
@token_required
def deals(request: HttpRequest) -> HttpResponse:
    if not access.may_import(request.user, "crm.add_deal"):
        return error(403, "This token may not write deals")
    try:
        # Decimal, not float: kopecks must survive the trip.
        payload = json_body(request, parse_float=Decimal)
    except BodyError as e:
        return e.response()
    source = "api"
    if isinstance(payload, dict) and "deals" in payload:
        source = _text(payload.get("source")) or source
        items = payload["deals"]
    else:
        items = payload
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        return error(400, "Send a deal object, a list of deals, or {'source': ..., 'deals': [...]}")
    if len(items) > MAX_BATCH:
        return error(413, f"At most {MAX_BATCH} deals per request")
    if len(source) > 50:
        return error(400, "The source name is longer than 50 characters")
    result = ImportResult(source=source, format="api", rows=len(items))
    records = []
    for index, item in enumerate(items, 1):
        try:
            records.append(_record(index, item))
        except TabularError as e:
            result.error(RowError(index, e.message, e.params))
    save_deals(records, source, result)
    runs.crm_imported(None, result, request.user, api=True)
    body = result.to_dict()
    # Batch positions, not file lines, in the API's words.
    body["errors"] = [{"index": e["line"], "message": e["message"]} for e in body["errors"]]
    for key in ("kind", "format", "file", "warnings", "run", "rows"):
        body.pop(key, None)
    body["received"] = len(items)
    return JsonResponse(body, status=200 if not result.error_count or records else 400)
