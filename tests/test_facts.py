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


def test_a_seller_day_an_import_finds_no_events_for_loses_its_imported_figure(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    assert set_auto_facts([], codes=["calls"], days=[(caller.pk, DAY)]) == 1
    assert not DailyFact.objects.exists()
    # Looking again at a day with nothing on it changes nothing.
    assert set_auto_facts([], codes=["calls"], days=[(caller.pk, DAY)]) == 0


def test_a_correction_whose_events_vanished_is_shown_against_zero(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    set_reported_facts(caller.pk, DAY, {"calls": Decimal(95)})
    set_auto_facts([], codes=["calls"], days=[(caller.pk, DAY)])
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (95, 0, "report")
    withdraw_reported_facts(caller.pk, DAY, ["calls"])
    assert (fact(caller).value, fact(caller).source) == (0, "auto")


def test_a_recount_invents_nothing_beside_a_figure_nobody_recorded(caller):
    set_reported_facts(caller.pk, DAY, {"calls": Decimal(40)})
    assert set_auto_facts([], codes=["calls"], days=[(caller.pk, DAY)]) == 0
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (40, None, "report")


def test_only_the_counted_codes_and_days_are_touched(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    set_reported_facts(caller.pk, DAY, {"leads": Decimal(3)})
    other = date(2026, 3, 3)
    set_auto_facts([(caller.pk, "calls", other, Decimal(5))])
    set_auto_facts([], codes=["talk_time"], days=[(caller.pk, DAY)])
    set_auto_facts([], codes=["calls"], days=[(caller.pk, other)])
    assert fact(caller).value == 80
    assert fact(caller, "leads").value == 3
    assert not DailyFact.objects.filter(day=other).exists()


def test_a_correction_typed_while_an_import_was_counting_is_kept(caller):
    """The import read the cell before the seller typed; its write must not undo the typing."""
    from salespulse.kpis.facts import _apply_imported
    from salespulse.lib.facts import Cell

    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    kpi = fact(caller).kpi_id
    seen = {(caller.pk, kpi, DAY): Cell(Decimal(80), Decimal(80), "auto")}
    set_reported_facts(caller.pk, DAY, {"calls": Decimal(95)})  # meanwhile, in the report
    _apply_imported({(caller.pk, kpi, DAY): Decimal(82)}, seen)
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (95, 82, "report")
    # The same when the import found the seller's calls gone.
    _apply_imported({}, seen)
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (95, 0, "report")


def test_a_report_saved_while_an_import_ran_keeps_the_import_figure(caller):
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(80))])
    set_reported_facts(caller.pk, DAY, {"calls": Decimal(95)})
    set_auto_facts([(caller.pk, "calls", DAY, Decimal(90))])
    # Typing again never touches what events say.
    set_reported_facts(caller.pk, DAY, {"calls": Decimal(96)})
    f = fact(caller)
    assert (f.value, f.auto_value, f.source) == (96, 90, "report")
