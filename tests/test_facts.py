from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from salespulse.kpis.facts import set_auto_facts, set_reported_facts, withdraw_reported_facts
from salespulse.kpis.models import DailyFact, Role
from salespulse.org.models import Department, Employee

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 2)


@pytest.fixture
def caller():
    dept = Department.objects.create(code="cold", name="Холодные звонки")
    return Employee.objects.create(
        user=User.objects.create(username="petrov"),
        department=dept,
        sales_role=Role.objects.get(code="cold_caller"),
    )


def fact(employee, code="calls"):
    return DailyFact.objects.get(employee=employee, kpi__code=code, day=DAY)


def test_an_import_writes_and_reimporting_changes_nothing(caller):
    assert set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))]) == 1
    assert set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))]) == 0
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (80, 80, "auto")
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(85))])
    assert fact(caller).value == 85


def test_a_correction_survives_later_imports_and_both_figures_are_kept(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    set_reported_facts(caller.pk, DAY, {"calls": Decimal(95)})
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(82))])
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (95, 82, "report")
    withdraw_reported_facts(caller.pk, DAY, ["calls"])
    f = fact(caller)
    assert (f.value, f.source) == (82, "auto")


def test_a_manual_figure_has_no_auto_value(caller):
    set_reported_facts(caller.pk, DAY, {"leads": Decimal(4)})
    f = fact(caller, "leads")
    assert (f.value, f.auto_value, f.source) == (4, None, "report")
    withdraw_reported_facts(caller.pk, DAY, ["leads"])
    assert not DailyFact.objects.exists()


def test_an_unknown_code_writes_nothing(caller):
    with pytest.raises(ValueError, match="Unknown KPI code: bogus"):
        set_auto_facts(
            [(caller.pk, "calls", DAY, Decimal(1)), (caller.pk, "bogus", DAY, Decimal(1))]
        )
    assert not DailyFact.objects.exists()
