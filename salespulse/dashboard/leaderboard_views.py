"""The leaderboard page: the head sees the whole table, a seller their own place.

Public rankings backfire (those at the bottom quit or bend their close dates), so a
department shows the full table to its sellers only when its head turns it on.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salespulse.dashboard.exporting import export_response
from salespulse.dashboard.leaderboard import build, improved_table, leaderboard_table
from salespulse.front.views import local_today
from salespulse.lib.periods import Period
from salespulse.lib.table import Table
from salespulse.org import access
from salespulse.org.models import Department, Employee

PERIODS = ("week", "month", "quarter")


def _department(request: HttpRequest, code: str) -> tuple[Department, Employee | None]:
    """The department and, for a seller of it, the seller; 404 to everyone else."""
    employee = access.employee_of(request.user)
    if employee is not None and employee.is_seller:
        if employee.department is None or employee.department.code != code:
            raise Http404("No such department")
        return employee.department, employee
    department = access.get_department_or_404(request.user, code)
    if not access.can_manage(request.user, department):
        raise Http404("No such department")
    return department, None


@login_required
@require_http_methods(["GET", "POST"])
def leaderboard(request: HttpRequest, code: str) -> HttpResponse:
    department, seller = _department(request, code)
    if request.method == "POST":
        if seller is not None:
            raise PermissionDenied("Only the department's head chooses who sees the leaderboard")
        department.show_leaderboard = request.POST.get("show") == "1"
        department.save(update_fields=["show_leaderboard"])
        if department.show_leaderboard:
            messages.success(request, _("The team now sees the leaderboard."))
        else:
            messages.success(
                request, _("The leaderboard is hidden: sellers see only their own place.")
            )
        url = reverse("leaderboard", args=[department.code])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)

    today = local_today(request)
    period_name = request.GET.get("period", "month")
    if period_name not in PERIODS:
        period_name = "month"
    period = Period.of(period_name, today)
    board = build(department, request.GET.get("kpi"), period, today, now=timezone.now())
    full = seller is None or department.show_leaderboard
    own = board.line_of(seller) if seller is not None else None
    context = {
        "department": department,
        "board": board,
        "period": period,
        "period_name": period_name,
        "period_choices": [("week", _("Week")), ("month", _("Month")), ("quarter", _("Quarter"))],
        "manages": seller is None,
        "full": full,
        "own": own,
        "seller": seller,
    }
    tables: list[Table] = []
    if full:
        tables = [leaderboard_table(board), improved_table(board)]
        context.update(table=tables[0], improved=tables[1])
    # Only what the page shows can be exported: nothing of others while the board is hidden.
    response = export_response(request, tables, period=period)
    if response is not None:
        return response
    return render(request, "dashboard/leaderboard.html", context)
