"""Screens. Views check access through salespulse.org.access, then ask kpis.report for rows."""

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.lib.periods import Period
from salespulse.org import access


def month_asked(request: HttpRequest, today: date) -> Period:
    """The month a page is asked for (`?month=YYYY-MM`, in the query or the form), else
    today's; 404 for a month that cannot be."""
    text = request.GET.get("month") or request.POST.get("month") or ""
    try:
        day = date.fromisoformat(text + "-01") if text else today
    except ValueError:
        raise Http404("No such month") from None
    if not 2000 <= day.year <= 2100:
        raise Http404("No such month")
    return Period.of("month", day)


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


# Error pages in the app's layout and the user's language, with a way back. Django calls
# these for DEBUG=False; the 500 page must not fail itself, so it falls back to plain text.
def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    context = {"status": status, "title": title, "text": text}
    return render(request, "front/error.html", context, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        _("Page not found"),
        _("There is no such page, or it is not open to you."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("No access"), _("This page is not open to your role."))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _error(
            request,
            500,
            _("Something went wrong"),
            _("The error is logged. Try again in a minute; if it repeats, tell your admin."),
        )
    except Exception:  # the database or a template is what failed: say it plainly
        return HttpResponse(
            "<!doctype html><title>500</title><p>Server error. <a href='/'>salespulse</a></p>",
            status=500,
        )
