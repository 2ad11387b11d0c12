"""The header's navigation: every page the user's role may use, and nothing else.

A context processor, evaluated lazily (only when a page renders the header) and in one
query: for a seller whether their role keeps a client portfolio, for the others the
departments they see, each with whether it has account managers (whose client report is
then worth a link).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from salespulse.crm.clients import PORTFOLIO_KPIS
from salespulse.kpis.models import RoleKpi
from salespulse.org import access
from salespulse.org.models import Employee
from salespulse.telephony.api import may_push_calls


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def links(request: HttpRequest) -> list[Link]:
    user = request.user
    if not user.is_authenticated:
        return []
    me = access.employee_of(user)
    result: list[Link] = []
    if me is not None and me.is_seller:
        result += [
            Link(_("My day"), reverse("reports:day")),
            Link(_("My month"), reverse("reports:month")),
            Link(_("My figures"), reverse("seller", args=[user.username])),
        ]
        portfolio = RoleKpi.objects.filter(role_id=me.sales_role_id, kpi__code__in=PORTFOLIO_KPIS)
        if me.sales_role_id and portfolio.exists():
            result.append(Link(_("Clients"), reverse("crm-clients", args=[user.username])))
        if me.department_id:
            result.append(Link(_("Leaderboard"), reverse("leaderboard", args=[me.department.code])))
        return result
    managers = Employee.objects.filter(
        department=OuterRef("pk"),
        position=Employee.Position.SELLER,
        sales_role__kpis__code__in=PORTFOLIO_KPIS,
    )
    departments = list(
        access.visible_departments(user).annotate(has_managers=Exists(managers)).order_by("name")
    )
    if len(departments) == 1:
        code = departments[0].code
        result += [
            Link(_("Board"), reverse("department", args=[code])),
            Link(_("Plans"), reverse("plans", args=[code])),
            Link(_("Team"), reverse("team", args=[code])),
            Link(_("Funnel"), reverse("department-funnel", args=[code])),
            Link(_("Leaderboard"), reverse("leaderboard", args=[code])),
            Link(_("Bonuses"), reverse("bonus:payroll", args=[code])),
        ]
    elif departments:
        # Each department's board links to its plans, team, funnel, leaderboard, bonuses.
        result.append(Link(_("Departments"), reverse("departments")))
    if any(d.has_managers for d in departments):
        result.append(Link(_("Clients"), reverse("crm-managers")))
    if may_push_calls(user):
        result.append(Link(_("Call upload"), reverse("telephony-upload")))
    if user.has_perm("crm.add_deal"):
        result.append(Link(_("CRM upload"), reverse("crm-upload")))
    return result


def nav(request: HttpRequest) -> dict:
    return {"nav_links": SimpleLazyObject(lambda: links(request))}
