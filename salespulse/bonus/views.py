"""The head's payroll of a department and month, its XLSX, and closing the month.
Access through org.access: the department's heads, the director and admins; others 404."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salespulse.bonus import forms, payroll, schemes
from salespulse.bonus.table import payroll_table
from salespulse.bonus.wording import explain
from salespulse.dashboard.exporting import export_response
from salespulse.front.views import month_asked
from salespulse.kpis.figures import sellers_queryset
from salespulse.kpis.models import Kpi
from salespulse.lib import bonus_spec
from salespulse.lib.periods import Period, next_month
from salespulse.org import access


@login_required
def payroll_view(request: HttpRequest, code: str) -> HttpResponse:
    department = access.get_department_or_404(request.user, code)
    today = timezone.localdate()
    period = month_asked(request, today)
    sellers = list(sellers_queryset().filter(department=department).order_by("user__last_name"))
    rows = payroll.statements(sellers, period, adjustments=True)
    kpis = {k.code: k for k in Kpi.objects.all()}
    table = payroll_table(rows, sellers, kpis)
    response = export_response(request, [table], period=period)
    if response is not None:
        return response
    closed = payroll.is_closed(department, period.start)
    following = Period.of("month", next_month(period.start))
    return render(
        request,
        "bonus/payroll.html",
        {
            "department": department,
            "period": period,
            "rows": rows,
            "table": table,
            "names": {e.login: e for e in sellers},
            "kpis": kpis,
            "closed": closed,
            "can_close": closed is None
            and period.end < today
            and bool(rows)
            and access.can_manage(request.user, department),
            "totals": {
                "base": sum(r.base for r in rows),
                "bonus": sum(r.bonus for r in rows),
                "to_pay": sum(r.to_pay for r in rows),
            },
            "today": today,
            "can_edit": access.can_manage(request.user, department),
            "previous": period.previous(),
            "next": following if following.start <= today else None,
        },
    )


@login_required
@require_POST
def close_view(request: HttpRequest, code: str) -> HttpResponse:
    department = access.get_department_or_404(request.user, code)
    if not access.can_manage(request.user, department):
        raise Http404("No such department")
    today = timezone.localdate()
    period = month_asked(request, today)
    try:
        payroll.close_month(department, period, request.user, today)
    except payroll.CannotClose as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            _("%(month)s is closed: its bonuses are frozen.") % {"month": f"{period.start:%m.%Y}"},
        )
    return redirect(
        reverse("bonus:payroll", args=[department.code]) + f"?month={period.start:%Y-%m}"
    )


@login_required
def scheme_view(request: HttpRequest, code: str) -> HttpResponse:
    """The department's scheme as a form, with what it would have paid last month."""
    department = access.get_department_or_404(request.user, code)
    if not access.can_manage(request.user, department):
        raise Http404("No such department")
    today = timezone.localdate()
    this = Period.of("month", today)
    following = next_month(this.start)
    months = [(f"{following:%Y-%m}", f"{following:%m.%Y}")]
    if payroll.is_closed(department, this.start) is None:
        months.insert(0, (f"{this.start:%Y-%m}", f"{this.start:%m.%Y}"))
    sellers = list(sellers_queryset().filter(department=department).order_by("user__last_name"))
    # The whole department, or one of its sellers (an override of their own).
    who = request.POST.get("for") or request.GET.get("for") or "department"
    if who == "department":
        scope, target = sellers, {"department": department}
    else:
        scope = [e for e in sellers if f"seller:{e.login}" == who]
        if not scope:
            raise Http404("No such seller")
        target = {"employee": scope[0]}
    in_force = schemes.schemes_for(scope, following) if scope else {}
    stored = next((s for s in in_force.values() if s is not None), None)
    kpis = forms.kpi_choices()
    error = ""
    parsed = stored.parsed() if stored is not None else None
    if request.method == "POST":
        form = forms.SchemeForm(request.POST, months=months)
        lines = forms.ComponentFormSet(request.POST, form_kwargs={"kpis": kpis}, prefix="lines")
        if form.is_valid() and lines.is_valid():
            data = forms.to_data(form.cleaned_data, [f.cleaned_data for f in lines.forms])
            try:
                parsed = bonus_spec.parse(data, known_kpis={k for k, _name in kpis})
            except bonus_spec.SchemeError as e:
                error, parsed = explain(e), None
            if parsed is not None and "save" in request.POST:
                month = date.fromisoformat(form.cleaned_data["valid_from"] + "-01")
                schemes.save(target, data, month, request.user)
                if "employee" in target:
                    text = _("The scheme of %(seller)s is saved, valid from %(month)s.") % {
                        "seller": scope[0],
                        "month": f"{month:%m.%Y}",
                    }
                else:
                    text = _("The scheme of %(department)s is saved, valid from %(month)s.") % {
                        "department": department,
                        "month": f"{month:%m.%Y}",
                    }
                messages.success(request, text)
                return redirect("bonus:payroll", code=department.code)
        else:
            parsed = None
    else:
        scheme_initial, lines_initial = forms.initial(stored.spec if stored else {})
        form = forms.SchemeForm(
            initial={**scheme_initial, "valid_from": months[0][0]}, months=months
        )
        lines = forms.ComponentFormSet(
            initial=lines_initial, form_kwargs={"kpis": kpis}, prefix="lines"
        )
    last = this.previous()
    preview = payroll.preview(scope, last, parsed) if parsed is not None else []
    paid = {s.seller: s for s in payroll.statements(scope, last)}
    return render(
        request,
        "bonus/scheme.html",
        {
            "department": department,
            "form": form,
            "lines": lines,
            "error": error,
            "stored": stored,
            "last": last,
            "preview": [(s, paid.get(s.seller)) for s in preview],
            "names": {e.login: e for e in sellers},
            "who": who,
            "choices": [("department", _("The whole department"))]
            + [(f"seller:{e.login}", str(e)) for e in sellers],
        },
    )
