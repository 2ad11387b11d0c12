"""The department's funnel page: access through org.access, figures from dashboard.funnel."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from salespulse.dashboard.exporting import export_response
from salespulse.dashboard.funnel import department_funnel, funnel_context
from salespulse.front.views import local_today
from salespulse.kpis.figures import sellers_queryset
from salespulse.lib.cutoff import team_cutoff
from salespulse.lib.periods import PERIOD_NAMES, Period, named_period
from salespulse.org import access
from salespulse.reports.cutoffs import cutoffs


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _period(request: HttpRequest, today: date) -> tuple[str, Period]:
    """?period=month|week|quarter|today|yesterday, or ?start=…&end=… for a range."""
    name = request.GET.get("period", "month")
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if start is not None and end is not None:
        name = "custom"
    if name not in PERIOD_NAMES or (name == "custom" and (start is None or end is None)):
        name = "month"
    return name, named_period(name, today, start, end)


@login_required
def department_funnel_page(request: HttpRequest, code: str) -> HttpResponse:
    department = access.get_department_or_404(request.user, code)
    today = local_today(request)
    name, period = _period(request, today)
    sellers = list(
        sellers_queryset()
        .filter(department=department)
        .order_by("user__last_name", "user__first_name", "pk")
    )
    cuts = cutoffs(sellers)
    as_of = team_cutoff(today, cuts.values()).finished_end(period)
    context = funnel_context(department_funnel(sellers, period, cuts), period)
    response = export_response(request, [context["funnel_table"]], period=period)
    if response is not None:
        return response
    context.update(
        department=department,
        period=period,
        period_name=name,
        as_of=as_of,
        period_choices=[
            ("today", _("Today")),
            ("yesterday", _("Yesterday")),
            ("week", _("Week")),
            ("month", _("Month")),
            ("quarter", _("Quarter")),
        ],
    )
    return render(request, "dashboard/funnel.html", context)
