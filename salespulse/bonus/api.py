"""`GET /api/v1/bonus`: the rows of `salespulse bonus --format json`, for whoever the token's
user may see (org.access: a seller their own, a head their departments; others 404).

Query: ``scope`` (all, department:CODE, seller:LOGIN; default all that is visible) and
``date`` (YYYY-MM-DD: the month and the cut-off, as the command's --date).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from salespulse.api.auth import error, token_required
from salespulse.bonus.payroll import statements
from salespulse.kpis.report import sellers_for_scope
from salespulse.lib.periods import Period
from salespulse.org import access


@token_required
@require_GET
def bonus(request: HttpRequest) -> JsonResponse:
    today = timezone.localdate()
    text = request.GET.get("date")
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return error(400, f"Bad date {text!r}: use YYYY-MM-DD")
    period = Period.of("month", day or today)
    if day is not None and period.end < today:
        day = None  # a month that is over is judged whole
    scope = request.GET.get("scope", "all")
    kind, _, code = scope.partition(":")
    departments = access.visible_departments(request.user)
    if kind == "department" and not departments.filter(code=code).exists():
        return error(404, "Not found")  # never confirm what exists outside one's reach
    try:
        sellers = sellers_for_scope(scope)
    except ValueError:
        return error(404, "Not found")
    visible = set(access.visible_sellers(request.user).values_list("pk", flat=True))
    if kind == "seller" and any(s.pk not in visible for s in sellers):
        return error(404, "Not found")
    sellers = [s for s in sellers if s.pk in visible]
    rows = statements(sellers, period, day, adjustments=True)
    return JsonResponse({"month": f"{period.start:%Y-%m}", "rows": [r.to_data() for r in rows]})
