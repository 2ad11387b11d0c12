"""Screens. Views check access through salespulse.org.access, then ask kpis.report for rows."""

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from salespulse.kpis.figures import sellers_queryset
from salespulse.kpis.report import kpi_rows
from salespulse.lib.periods import Period
from salespulse.org import access


def local_today(request: HttpRequest) -> date:
    employee = access.employee_of(request.user)
    tz = ZoneInfo(employee.timezone if employee else settings.TIME_ZONE)
    return timezone.now().astimezone(tz).date()


def _month(request: HttpRequest) -> tuple[Period, date]:
    today = local_today(request)
    try:
        day = date.fromisoformat(request.GET["month"] + "-01") if "month" in request.GET else today
    except ValueError:
        day = today
    period = Period.of("month", day)
    return period, min(today, period.end)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    employee = access.employee_of(request.user)
    if employee is not None and employee.is_seller:
        return redirect("reports:day")
    departments = list(access.visible_departments(request.user))
    if len(departments) == 1:
        return redirect("department-month", code=departments[0].code)
    return render(request, "front/departments.html", {"departments": departments})


@login_required
def seller_month(request: HttpRequest, login: str) -> HttpResponse:
    seller = access.get_seller_or_404(request.user, login)
    period, as_of = _month(request)
    rows = kpi_rows([seller], period, as_of)
    return render(
        request,
        "front/seller_month.html",
        {"seller": seller, "rows": rows, "period": period, "as_of": as_of},
    )


@login_required
def department_month(request: HttpRequest, code: str) -> HttpResponse:
    department = access.get_department_or_404(request.user, code)
    period, as_of = _month(request)
    sellers = list(sellers_queryset().filter(department=department).order_by("user__last_name"))
    rows = kpi_rows(sellers, period, as_of, totals=True)
    totals = [r for r in rows if r.seller is None]
    by_seller: dict[int, list] = {}
    for r in rows:
        if r.seller is not None:
            by_seller.setdefault(r.seller.pk, []).append(r)
    return render(
        request,
        "front/department_month.html",
        {
            "department": department,
            "totals": totals,
            "sellers": [(s, by_seller.get(s.pk, [])) for s in sellers],
            "period": period,
            "as_of": as_of,
        },
    )
