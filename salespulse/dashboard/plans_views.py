"""The plans page: a head sets the month's plans for the department in one grid, and enters
absences that take days out of the sellers' plans. Access through org.access (404 to others)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salespulse.front.views import local_today, month_asked
from salespulse.kpis import planning
from salespulse.kpis.models import PlanChange
from salespulse.lib import fmt
from salespulse.lib.periods import month_end, month_start, next_month
from salespulse.org import access
from salespulse.org.models import Absence, Department, Employee


def _lang() -> str:
    return "en" if (get_language() or "ru").startswith("en") else "ru"


def _decimal(text: str) -> Decimal | None:
    try:
        return fmt.parse_decimal(text.replace("%", "").strip()) if text.strip() else None
    except ValueError:
        return None


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["employee", "kind", "start", "end", "note"]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}),
            "end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, department: Department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = (
            Employee.objects.filter(position=Employee.Position.SELLER, department=department)
            .filter(left_on=None)
            .select_related("user")
        )
        self.fields["employee"].label = _("Seller")


def _absences(grid: planning.Grid) -> list[Absence]:
    return list(
        Absence.objects.filter(
            employee__in=[r.seller for r in grid.rows],
            start__lte=month_end(grid.month),
            end__gte=grid.month,
        )
        .select_related("employee__user")
        .order_by("start")
    )


@login_required
def plans(request: HttpRequest, code: str) -> HttpResponse:
    dept = access.get_department_or_404(request.user, code)
    today = local_today(request)
    month = month_asked(request, today).start
    lang = _lang()
    grid = planning.build(dept, month, lang)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        planning.read_typed(grid, request.POST, lang)
        if action == "save":
            if grid.errors:
                messages.error(request, _("Some plans need fixing: nothing is saved yet."))
                status = 400
            else:
                n = planning.save(grid, request.user)
                messages.success(
                    request,
                    _("Plans for %(month)s saved: %(n)d changed.")
                    % {"month": f"{month:%m.%Y}", "n": n},
                )
                return redirect(f"{reverse('plans', args=[dept.code])}?month={month:%Y-%m}")
        elif action == "copy":
            planning.copy_previous(grid, lang)
        elif action == "scale":
            percent = _decimal(request.POST.get("percent", ""))
            if percent is None or percent <= -100:
                messages.error(request, _("Enter the change in percent, e.g. 5 or −10."))
            else:
                planning.change_by(grid, percent, lang)
        elif action == "distribute":
            # A ratio's plan (an average check) is a level, not a total to split.
            code = request.POST.get("kpi")
            kpi = next((k for k in grid.kpis if k.code == code and k.is_additive), None)
            total = planning.parse_total(request.POST.get("total", ""), kpi) if kpi else None
            if kpi is None or total is None:
                messages.error(request, _("Choose a KPI and enter the department's total."))
            else:
                typed = {
                    r.seller.pk: _decimal(request.POST.get(f"w_{r.seller.pk}", "")) or Decimal(0)
                    for r in grid.rows
                }
                planning.distribute(
                    grid, kpi, total, request.POST.get("method", "equal"), typed, lang
                )
        if action != "save" and any(c and c.changed for r in grid.rows for c in r.cells):
            messages.warning(request, _("Filled in, not saved yet: check and press Save."))
    changes = PlanChange.objects.filter(employee__department=dept, month=month).select_related(
        "employee__user", "kpi", "changed_by"
    )[:30]
    context = {
        "department": dept,
        "grid": grid,
        "month": month,
        "previous": month_start(month - timedelta(days=1)),
        "next": next_month(month),
        "additive": [k for k in grid.kpis if k.is_additive],
        "changes": changes,
        "absences": _absences(grid),
        "absence_form": AbsenceForm(department=dept, initial={"kind": Absence.Kind.VACATION}),
        "method": request.POST.get("method", "equal"),
        "weights": {r.seller.pk: request.POST.get(f"w_{r.seller.pk}", "") for r in grid.rows},
    }
    return render(request, "dashboard/plans.html", context, status=status)


@login_required
@require_POST
def add_absence(request: HttpRequest, code: str) -> HttpResponse:
    dept = access.get_department_or_404(request.user, code)
    form = AbsenceForm(request.POST, department=dept)
    back = request.POST.get("next") or reverse("plans", args=[dept.code])
    if not back.startswith("/"):
        back = reverse("plans", args=[dept.code])
    if form.is_valid():
        absence = form.save()
        messages.success(
            request,
            _("%(who)s: %(kind)s %(start)s–%(end)s entered; plans and paces follow.")
            % {
                "who": absence.employee,
                "kind": absence.get_kind_display().lower(),
                "start": fmt.date_ru(absence.start),
                "end": fmt.date_ru(absence.end),
            },
        )
    else:
        errors = "; ".join(str(m) for ms in form.errors.values() for m in ms)
        messages.error(request, _("Absence not entered: %(why)s") % {"why": errors})
    return redirect(back)


@login_required
@require_POST
def delete_absence(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    dept = access.get_department_or_404(request.user, code)
    absence = get_object_or_404(Absence, pk=pk, employee__department=dept)
    absence.delete()
    messages.success(request, _("Absence removed."))
    back = request.POST.get("next") or ""
    return redirect(back if back.startswith("/") else reverse("plans", args=[dept.code]))
