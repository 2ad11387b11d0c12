"""CRM screens: the client report (with its exports) and the admin's import page.

Access goes through salespulse.org.access: a seller sees only their own clients, a head
every account manager of their departments; outsiders get 404.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from salespulse.crm.clients import PORTFOLIO_KPIS
from salespulse.crm.files import FORMATS, ImportFailed, import_file
from salespulse.crm.models import ColumnMapping, ImportRun
from salespulse.crm.report import client_report
from salespulse.dashboard.exporting import export_response
from salespulse.lib.crm.clients import (
    AT_RISK_AFTER,
    LOST_AFTER,
    SORT_KEYS,
    ClientLine,
    ClientStatus,
    sort_lines,
)
from salespulse.lib.periods import Period
from salespulse.lib.table import Column, Table
from salespulse.org import access
from salespulse.sources import runner

STATUS_NAMES = {
    ClientStatus.ACTIVE: gettext_lazy("active"),
    ClientStatus.AT_RISK: gettext_lazy("at risk"),
    ClientStatus.LOST: pgettext_lazy("client", "lost"),
}


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        return default


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def managers(request: HttpRequest) -> HttpResponse:
    """The account managers whose client reports the user may open."""
    sellers = (
        access.visible_sellers(request.user)
        .filter(sales_role__kpis__code__in=PORTFOLIO_KPIS)
        .select_related("user", "department")
        .distinct()
        .order_by("department__name", "user__last_name")
    )
    return render(request, "crm/managers.html", {"sellers": sellers})


@login_required
def clients(request: HttpRequest, login: str) -> HttpResponse:
    manager = access.get_seller_or_404(request.user, login)
    today = timezone.now().astimezone(ZoneInfo(manager.timezone)).date()
    start = _date(request.GET.get("from"))
    end = _date(request.GET.get("to"))
    if start is None or end is None or end < start:
        month = Period.of("month", today)
        start, end = month.start, month.end
    at_risk = _int(request.GET.get("risk"), AT_RISK_AFTER)
    lost = max(_int(request.GET.get("lost"), LOST_AFTER), at_risk)
    sort = request.GET.get("sort", "name")
    if sort not in SORT_KEYS:
        sort = "name"
    descending = request.GET.get("dir") == "desc"
    lines = sort_lines(client_report(manager, start, end, today, at_risk, lost), sort, descending)
    period = Period("range", start, end)
    if (response := export_response(request, [clients_table(lines)], period=period)) is not None:
        return response
    totals = {
        "clients": len(lines),
        "deals": sum(line.deals for line in lines),
        "amount": sum((line.amount for line in lines), Decimal(0)),
        "repeat": sum(1 for line in lines if line.is_repeat_buyer),
        "at_risk": sum(1 for line in lines if line.status is ClientStatus.AT_RISK),
        "lost": sum(1 for line in lines if line.status is ClientStatus.LOST),
    }
    query = {"from": start.isoformat(), "to": end.isoformat(), "risk": at_risk, "lost": lost}
    return render(
        request,
        "crm/clients.html",
        {
            "manager": manager,
            "lines": [(line, STATUS_NAMES[line.status]) for line in lines],
            "start": start,
            "end": end,
            "at_risk": at_risk,
            "lost": lost,
            "sort": sort,
            "descending": descending,
            "totals": totals,
            "query": query,
        },
    )


def clients_table(lines: list[ClientLine]) -> Table:
    """The client report as the one exporter writes it (dashboard.exporting): the screen's
    columns with their units, so the file holds the numbers the page shows."""
    table = Table(
        "clients",
        _("Clients"),
        [
            Column("client", _("Client")),
            Column("handed_over_on", _("Handed over"), "date"),
            Column("deals", _("Deals in the period"), "count"),
            Column("amount", _("Sum in the period"), "money"),
            Column("last_purchase", _("Last purchase"), "date"),
            Column("last_amount", _("Last purchase sum"), "money"),
            Column("repeat", _("Repeat buyer")),
            Column("status", _("Status")),
        ],
    )
    for line in lines:
        table.add(
            line.name,
            line.handed_over_on,
            line.deals,
            line.amount,
            line.last_purchase,
            line.last_amount if line.last_purchase else None,
            _("yes") if line.is_repeat_buyer else _("no"),
            str(STATUS_NAMES[line.status]),
        )
    return table


# --- the admin's import page ---------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Export file"))
    kind = forms.ChoiceField(
        label=gettext_lazy("What it holds"),
        choices=[("deals", gettext_lazy("deals")), ("clients", gettext_lazy("clients"))],
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("recognise by the columns"))]
        + [(f, f) for f in FORMATS if f != "csv"],
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("Column mapping"),
        required=False,
        queryset=ColumnMapping.objects.all(),
        to_field_name="name",
    )


def _may_import(request: HttpRequest) -> None:
    if not access.may_import(request.user, "crm.add_deal"):
        raise PermissionDenied


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    _may_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        mapping = form.cleaned_data["mapping"]
        if upload.size > runner.BACKGROUND_BYTES:
            # Too long for a request (a 100 000-deal export takes ten seconds and holds the
            # database): the worker imports it, the run's page follows it.
            queued = runner.queue_crm_file(
                upload, request.user, kind=form.cleaned_data["kind"],
                fmt=form.cleaned_data["format"] or None, mapping=mapping.name if mapping else None,
            )  # fmt: skip
            return redirect("source-run", pk=queued.pk)
        try:
            result = import_file(
                upload,
                kind=form.cleaned_data["kind"],
                fmt=form.cleaned_data["format"] or None,
                mapping=mapping.name if mapping else None,
                file_name=upload.name,
                user=request.user,
            )
        except ImportFailed as e:
            error = e.text()
        else:
            return redirect("crm-import-result", pk=result.run_id)
    runs = ImportRun.objects.select_related("user")[:10]
    return render(request, "crm/upload.html", {"form": form, "error": error, "runs": runs})


@login_required
def import_result(request: HttpRequest, pk: int) -> HttpResponse:
    _may_import(request)
    run = get_object_or_404(ImportRun, pk=pk)
    return render(request, "crm/import_result.html", {"run": run, "result": run.result})
