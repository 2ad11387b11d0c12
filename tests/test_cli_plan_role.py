from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from salespulse.kpis.models import DepartmentPlan, Plan, Role
from salespulse.org.models import Department, Employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    dept = Department.objects.create(code="sales", name="Отдел продаж")
    user = User.objects.create(username="ivanov")
    return Employee.objects.create(
        user=user, department=dept, sales_role=Role.objects.get(code="salesperson")
    )


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_monthly_plan_is_set_and_then_changed(seller):
    run("plan", "set", "ivanov", "deals_sum", "1 500 000,50", "--month", "2026-03")
    run("plan", "set", "ivanov", "deals_sum", "1600000", "--month", "2026-03")
    plan = Plan.objects.get()
    assert (plan.kind, plan.start, plan.value) == ("month", date(2026, 3, 1), Decimal(1600000))


def test_a_week_plan_starts_on_the_monday(seller):
    run("plan", "set", "ivanov", "deals_count", "12", "--week", "2026-03-05")
    assert Plan.objects.get().start == date(2026, 3, 2)


def test_a_department_plan(seller):
    run("plan", "department", "sales", "deals_sum", "5000000", "--month", "2026-03")
    assert DepartmentPlan.objects.get().value == 5000000


@pytest.mark.parametrize(
    "args, message",
    [
        (("set", "nobody", "deals_sum", "1", "--month", "2026-03"), "Unknown seller: nobody"),
        (("set", "ivanov", "nope", "1", "--month", "2026-03"), "Unknown KPI: nope"),
        (("set", "ivanov", "deals_sum", "-5", "--month", "2026-03"), "cannot be negative"),
        (("set", "ivanov", "deals_sum", "много", "--month", "2026-03"), "Not a number"),
        (("set", "ivanov", "deals_sum", "5", "--month", "2026-13"), "Bad --month"),
        (("set", "ivanov", "deals_sum", "5"), "Give exactly one of"),
        (("department", "nope", "deals_sum", "5", "--month", "2026-03"), "Unknown department"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(seller, args, message):
    with pytest.raises(CommandError, match=message):
        run("plan", *args)
    assert not Plan.objects.exists() and not DepartmentPlan.objects.exists()


def test_a_role_of_five_kpis_saves_quietly():
    out, err = run(
        "role",
        "set",
        "hunter",
        "--kpis",
        "calls,leads,meetings,offers_sent,invoices",
        "--name",
        "Охотник",
    )
    role = Role.objects.get(code="hunter")
    assert [k.code for k in role.ordered_kpis()] == [
        "calls",
        "leads",
        "meetings",
        "offers_sent",
        "invoices",
    ]
    assert err == ""


def test_a_role_of_seven_kpis_saves_with_a_warning():
    codes = "calls,conversations,talk_time,leads,meetings,offers_sent,invoices"
    _out, err = run("role", "set", "hunter", "--kpis", codes)
    assert Role.objects.get(code="hunter").role_kpis.count() == 7
    assert "7" in err and "Warning" in err


def test_a_role_of_nine_kpis_is_refused():
    codes = (
        "calls,conversations,talk_time,leads,meetings,offers_sent,invoices,deals_count,deals_sum"
    )
    with pytest.raises(CommandError, match="at most 8"):
        run("role", "set", "hunter", "--kpis", codes)
    assert not Role.objects.filter(code="hunter").exists()


def test_a_role_with_an_unknown_kpi_is_refused_whole():
    with pytest.raises(CommandError, match="Unknown KPI code: bogus"):
        run("role", "set", "cold_caller", "--kpis", "calls,bogus")
    assert Role.objects.get(code="cold_caller").role_kpis.count() == 5
