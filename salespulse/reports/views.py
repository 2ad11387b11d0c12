"""The seller's day and month, and the head's look at one report. Access via org.access."""

import uuid
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salespulse.front.views import month_asked
from salespulse.lib import fmt
from salespulse.lib.periods import Period, next_month
from salespulse.org import access
from salespulse.org.models import Employee
from salespulse.reports import closing, trail
from salespulse.reports.models import DayReport
from salespulse.reports.month import month_page
from salespulse.reports.myday import day_page
from salespulse.reports.status import local_today


def _own_seller(request: HttpRequest) -> Employee:
    """The logged-in seller; the day pages are a seller's own and nobody else's."""
    employee = access.own_seller(request.user)
    if employee is None:
        raise Http404("Only a seller has a day to close")
    return employee


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Http404("No such day") from None


@login_required
def my_day(request: HttpRequest, day: str | None = None) -> HttpResponse:
    employee = _own_seller(request)
    today = local_today(employee)
    the_day = _parse_day(day) if day else today
    error: closing.ClosingError | None = None
    if request.method == "POST":
        data = _submission(request)
        try:
            _report, saved = closing.submit(employee, the_day, data, request.user)
        except closing.ClosingError as e:
            error = e
        else:
            if saved:
                messages.success(
                    request, _("Day %(date)s closed. Thank you!") % {"date": fmt.date_ru(the_day)}
                )
            target = (
                reverse("reports:day")
                if the_day == today
                else reverse("reports:day-of", args=[the_day])
            )
            return redirect(target)
    else:
        try:
            closing.check_day(employee, the_day)
        except closing.ClosingError as e:
            error = e
            if the_day > today:
                return render(request, "reports/refused.html", {"error": e}, status=400)
    page = day_page(employee, the_day, today)
    if error is not None and request.method == "POST":
        # Show the seller what they typed, not the saved figures, next to the errors.
        for line in page.lines:
            code = line.kpi.code
            if line.input == "manual":
                line.reported = request.POST.get(f"v_{code}", "")
            elif request.POST.get(f"c_{code}", "").strip():
                line.correction = {
                    "value": request.POST[f"c_{code}"],
                    "reason": request.POST.get(f"r_{code}", ""),
                }
    context = {
        "page": page,
        "error": error,
        "token": uuid.uuid4(),
        "comment": request.POST.get("comment") if error else None,
        "is_today": the_day == today,
    }
    return render(request, "reports/my_day.html", context, status=error.status if error else 200)


def _submission(request: HttpRequest) -> closing.Submission:
    values = {k[2:]: v for k, v in request.POST.items() if k.startswith("v_")}
    corrections = {
        k[2:]: (v, request.POST.get(f"r_{k[2:]}", ""))
        for k, v in request.POST.items()
        if k.startswith("c_") and v.strip()
    }
    try:
        base = int(request.POST.get("version", "0"))
        token = uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        base, token = -1, None
    return closing.Submission(
        values=values,
        corrections=corrections,
        comment=request.POST.get("comment", ""),
        base_version=base,
        token=token,
    )


@login_required
def seller_report(request: HttpRequest, login: str, day: str) -> HttpResponse:
    """A head's look at one report: its trail (versions with what changed, returns, comments,
    the seller's answers), the day's recorded figures and plan, and what a head can do."""
    seller = access.get_seller_or_404(request.user, login)
    the_day = _parse_day(day)
    report = (
        DayReport.objects.filter(employee=seller, day=the_day).select_related("returned_by").first()
    )
    kpis = {k.code: k for k in (seller.sales_role.ordered_kpis() if seller.sales_role else [])}
    manages = access.can_manage(request.user, seller.department)
    return render(
        request,
        "reports/seller_report.html",
        {
            "seller": seller,
            "day": the_day,
            "report": report,
            "steps": trail.trail(report, kpis) if report else [],
            "lines": trail.day_lines(seller, the_day, report),
            "manages": manages and report is not None,
            "can_return": manages
            and report is not None
            and report.status == DayReport.Status.SUBMITTED,
            "kpis": kpis,
        },
    )


def _managed_report(request: HttpRequest, login: str, day: str) -> DayReport:
    seller = access.get_seller_or_404(request.user, login)
    if not access.can_manage(request.user, seller.department):
        raise Http404("No such report")
    return get_object_or_404(DayReport, employee=seller, day=_parse_day(day))


@login_required
@require_POST
def return_report(request: HttpRequest, login: str, day: str) -> HttpResponse:
    report = _managed_report(request, login, day)
    try:
        closing.return_report(report, request.user, request.POST.get("comment", ""))
    except closing.ClosingError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request, _("The report is returned to %(name)s.") % {"name": report.employee}
        )
    return redirect("reports:seller-report", login=login, day=day)


@login_required
@require_POST
def comment_report(request: HttpRequest, login: str, day: str) -> HttpResponse:
    report = _managed_report(request, login, day)
    try:
        trail.comment(report, request.user, request.POST.get("comment", ""))
    except closing.ClosingError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Comment saved."))
    return redirect("reports:seller-report", login=login, day=day)


@login_required
@require_POST
def mark_seen(request: HttpRequest, login: str, day: str) -> HttpResponse:
    report = _managed_report(request, login, day)
    trail.mark_seen(report, request.user)
    messages.success(request, _("Marked as seen."))
    return redirect("reports:seller-report", login=login, day=day)


@login_required
def my_month(request: HttpRequest) -> HttpResponse:
    employee = _own_seller(request)
    return _month(request, employee)


@login_required
def seller_month(request: HttpRequest, login: str) -> HttpResponse:
    """The same month as the seller sees it, for their head (404 to anyone else)."""
    return _month(request, access.get_seller_or_404(request.user, login))


def _month(request: HttpRequest, employee: Employee) -> HttpResponse:
    today = local_today(employee)
    period = month_asked(request, today)
    page = month_page(employee, period, today, request.GET.get("kpi"))
    previous, following = period.previous(), Period.of("month", next_month(period.start))
    return render(
        request,
        "reports/month.html",
        {
            "page": page,
            "previous": previous,
            "next": following if following.start <= today else None,
            "own": request.user == employee.user,
        },
    )
