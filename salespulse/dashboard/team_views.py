"""The team page: a head adds a seller in one form and marks one as left (404 to others)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salespulse.front.views import local_today
from salespulse.kpis.models import Role
from salespulse.lib import fmt
from salespulse.org import access, team
from salespulse.org.models import TIMEZONE_CHOICES, Employee


class SellerForm(forms.Form):
    login = forms.CharField(label=gettext_lazy("Login"), max_length=150)
    name = forms.CharField(label=gettext_lazy("Name and surname"), max_length=150)
    role = forms.ModelChoiceField(label=gettext_lazy("Sales role"), queryset=Role.objects.all())
    extension = forms.CharField(
        label=gettext_lazy("Extension or SIP peer"), max_length=100, required=False
    )
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    timezone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), choices=TIMEZONE_CHOICES, initial=settings.TIME_ZONE
    )
    hired_on = forms.DateField(
        label=gettext_lazy("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class LeftForm(forms.Form):
    left_on = forms.DateField(
        label=gettext_lazy("Last working day"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _members(dept) -> list[Employee]:
    return list(
        Employee.objects.filter(position=Employee.Position.SELLER, department=dept)
        .select_related("user", "sales_role")
        .order_by("left_on", "user__last_name", "user__first_name")
    )


@login_required
def team_page(request: HttpRequest, code: str) -> HttpResponse:
    dept = access.get_department_or_404(request.user, code)
    form = SellerForm(request.POST or None)
    link = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = team.NewSeller(
            login=data["login"].strip(),
            name=data["name"],
            role=data["role"],
            department=dept,
            extension=data["extension"].strip(),
            email=data["email"].strip(),
            timezone=data["timezone"],
            hired_on=data["hired_on"],
        )
        try:
            employee = team.add_seller(new)
        except ValidationError as e:
            for name, errors in e.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            link = request.build_absolute_uri(team.set_password_path(employee.user))
            messages.success(
                request,
                _("%(name)s added. Send them the link to set a password.") % {"name": employee},
            )
            form = SellerForm()
    if request.method == "POST" and form.errors:
        status = 400
    context = {
        "department": dept,
        "form": form,
        "link": link,
        "members": _members(dept),
        "left_form": LeftForm(initial={"left_on": local_today(request)}),
    }
    return render(request, "dashboard/team.html", context, status=status)


@login_required
@require_POST
def mark_left(request: HttpRequest, code: str, login: str) -> HttpResponse:
    dept = access.get_department_or_404(request.user, code)
    seller = get_object_or_404(
        Employee, department=dept, position=Employee.Position.SELLER, user__username=login
    )
    form = LeftForm(request.POST)
    if form.is_valid():
        try:
            team.mark_left(seller, form.cleaned_data["left_on"])
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(
                request,
                _(
                    "%(name)s left on %(day)s: history stays, "
                    "plans and rankings no longer count them."
                )
                % {"name": seller, "day": fmt.date_ru(seller.left_on)},
            )
    else:
        messages.error(request, _("Enter the last working day."))
    return redirect("team", code=dept.code)
