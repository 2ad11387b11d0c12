"""The head's and the director's screens. Access through org.access; figures from board.py."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.dashboard import tables
from salespulse.dashboard.board import Board, build, department_sellers
from salespulse.dashboard.exporting import export_response
from salespulse.dashboard.funnel import (
    department_funnel,
    funnel_table,
    seller_funnel_html,
    verdict,
)
from salespulse.dashboard.seller import points_table, reports_table, seller_page
from salespulse.front.views import local_today
from salespulse.kpis import planning
from salespulse.kpis.recount import recount_pending
from salespulse.lib.periods import PERIOD_NAMES, Period, named_period, next_month
from salespulse.org import access
from salespulse.reports.cutoffs import cutoffs
from salespulse.reports.trail import corrected_unseen

# Attention items and late sellers shown on the cards before "and N more".
CARD_ITEMS = 6


def _date(text: str | None) -> date | None:
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def period_of(request: HttpRequest, today: date) -> tuple[str, Period]:
    name = request.GET.get("period", "month")
    if name not in PERIOD_NAMES:
        name = "month"
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if name == "custom" and (start is None or end is None):
        name = "month"
    return name, named_period(name, today, start, end)


def _period_context(request: HttpRequest, name: str, period: Period) -> dict:
    return {
        "period": period,
        "period_name": name,
        "period_choices": [
            ("today", _("Today")),
            ("yesterday", _("Yesterday")),
            ("week", _("Week")),
            ("month", _("Month")),
            ("quarter", _("Quarter")),
        ],
    }


def _board_context(board: Board, rest_texts: bool = True) -> dict:
    """`rest_texts=False`: the sellers beyond the card's first lines are only counted (the
    director's overview), so their reasons are not worded."""
    grouped = board.attention_by_seller
    attention = [
        (seller, [item.text for item in items] if i < CARD_ITEMS or rest_texts else [])
        for i, (seller, items) in enumerate(grouped)
    ]
    behind = board.behind_by_seller
    not_reported = board.not_reported
    return {
        "board": board,
        "attention": attention[:CARD_ITEMS],
        "attention_rest": attention[CARD_ITEMS:],
        "behind": behind[:CARD_ITEMS],
        "behind_rest": behind[CARD_ITEMS:],
        "not_reported": not_reported[:CARD_ITEMS],
        "not_reported_rest": not_reported[CARD_ITEMS:],
        "reported_today": board.reported_today,
        "forecast": [(c, tables.forecast_share(c)) for c in board.forecast],
    }


@login_required
def department(request: HttpRequest, code: str) -> HttpResponse:
    """The head's home: the department's five questions on one screen."""
    dept = access.get_department_or_404(request.user, code)
    today = local_today(request)
    name, period = period_of(request, today)
    board = build([dept], period, today, now=timezone.now())[0]
    # The funnel reads the figures the board loaded: no extra query.
    funnel_data = department_funnel(board.sellers, period, board.cuts, figures=board.figures)
    export_tables = [
        tables.sellers_table(board),
        tables.attention_table(board),
        funnel_table(funnel_data, period),
    ]
    if (response := export_response(request, export_tables, period=period)) is not None:
        return response
    context = {
        **_period_context(request, name, period),
        **_board_context(board),
        "department": dept,
        "export_tables": export_tables,
        "funnel_verdict": verdict(funnel_data) if funnel_data.bottleneck else None,
        "recounting": recount_pending([dept]),
        "no_plan_next": planning.missing_next_month(dept, today),
        "corrected": corrected_unseen([dept]),
        "next_month": next_month(today),
    }
    return render(request, "dashboard/department.html", context)


@login_required
def departments(request: HttpRequest) -> HttpResponse:
    """The director's view: the same questions, one block per department."""
    visible = list(access.visible_departments(request.user).order_by("name"))
    if not visible:
        raise Http404("No departments to show")
    today = local_today(request)
    name, period = period_of(request, today)
    boards = build(visible, period, today, now=timezone.now(), detail=False)
    export_tables = [tables.departments_table(boards)]
    if (response := export_response(request, export_tables, period=period)) is not None:
        return response
    rows = [
        {
            **_board_context(board, rest_texts=False),
            "main": tables.main_cell(board),
        }
        for board in boards
    ]
    context = {
        **_period_context(request, name, period),
        "rows": rows,
        "as_of": boards[0].as_of if boards else today,
        "export_tables": export_tables,
    }
    return render(request, "dashboard/departments.html", context)


@login_required
def seller(request: HttpRequest, login: str) -> HttpResponse:
    """The drill-down from the board, and a seller's own progress page."""
    employee = access.get_seller_or_404(request.user, login)
    today = local_today(request)
    name, period = period_of(request, today)
    team = department_sellers([employee.department]) if employee.department_id else [employee]
    cuts = cutoffs(team if employee in team else [*team, employee])
    page = seller_page(
        employee, period, today, request.GET.get("kpi"), request.GET.get("by", ""),
        cut=cuts[employee.pk],
    )  # fmt: skip
    export_tables = [points_table(page), reports_table(page)]
    # The seller's funnel against the team's median needs the team's figures.
    funnel_data = department_funnel(team, period, cuts)
    if (response := export_response(request, export_tables, period=period)) is not None:
        return response
    context = {
        **_period_context(request, name, period),
        "page": page,
        "points_table": export_tables[0],
        "seller_funnel_html": seller_funnel_html(funnel_data, employee),
        "own": request.user == employee.user,
        # A head (not the seller) may enter the seller's absences on the plans page.
        "manages": request.user != employee.user
        and employee.department_id is not None
        and access.can_manage(request.user, employee.department),
        "grains": [("day", _("by day")), ("week", _("by week")), ("month", _("by month"))],
    }
    return render(request, "dashboard/seller.html", context)
