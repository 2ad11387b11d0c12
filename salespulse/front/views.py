"""Screens. Views check access through salespulse.org.access, then ask kpis.report for rows."""

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from salespulse.org import access


def local_today(request: HttpRequest) -> date:
    employee = access.employee_of(request.user)
    tz = ZoneInfo(employee.timezone if employee else settings.TIME_ZONE)
    return timezone.now().astimezone(tz).date()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    employee = access.employee_of(request.user)
    if employee is not None and employee.is_seller:
        return redirect("reports:day")
    departments = list(access.visible_departments(request.user))
    if len(departments) == 1:
        return redirect("department", code=departments[0].code)
    if departments:
        return redirect("departments")
    return render(request, "front/departments.html", {"departments": departments})
