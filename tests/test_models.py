"""Model rules: what validation refuses and what the database refuses on its own."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from salespulse.kpis.models import DepartmentPlan, Kpi, Plan
from salespulse.org.models import Absence, Employee
from tests.factories import make_department, make_head, make_seller, make_user, role

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return make_seller("ann", make_department("north"))


@pytest.fixture
def deals():
    return Kpi.objects.get(code="deals_count")


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- Plan -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, start",
    [("month", date(2026, 3, 1)), ("week", date(2026, 3, 2)), ("day", date(2026, 3, 4))],
)
def test_plan_on_its_period_start_is_valid(ann, deals, kind, start):
    Plan(employee=ann, kpi=deals, kind=kind, start=start, value=Decimal("10.50")).full_clean()


def test_monthly_plan_not_on_the_first_is_refused(ann, deals):
    plan = Plan(employee=ann, kpi=deals, kind="month", start=date(2026, 3, 2), value=10)
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert set(errors_of(refused)) == {"start"}


def test_weekly_plan_not_on_monday_is_refused(ann, deals):
    tuesday = date(2026, 3, 3)
    plan = Plan(employee=ann, kpi=deals, kind="week", start=tuesday, value=10)
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert set(errors_of(refused)) == {"start"}


def test_plan_without_a_start_reports_the_missing_field(ann, deals):
    with pytest.raises(ValidationError) as refused:
        Plan(employee=ann, kpi=deals, kind="month", value=10).full_clean()
    assert "start" in errors_of(refused)


def test_negative_plan_is_refused_by_validation(ann, deals):
    plan = Plan(employee=ann, kpi=deals, kind="month", start=date(2026, 3, 1), value=-1)
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert "value" in errors_of(refused)


def test_negative_plan_is_refused_by_the_database(ann, deals):
    # Bulk uploads and raw saves skip full_clean; the constraint is the last line.
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(employee=ann, kpi=deals, kind="month", start=date(2026, 3, 1), value=-1)
    assert not Plan.objects.exists()


def test_zero_plan_is_allowed(ann, deals):
    Plan.objects.create(employee=ann, kpi=deals, kind="month", start=date(2026, 3, 1), value=0)


def test_duplicate_plan_is_refused(ann, deals):
    Plan.objects.create(employee=ann, kpi=deals, kind="month", start=date(2026, 3, 1), value=5)
    duplicate = Plan(employee=ann, kpi=deals, kind="month", start=date(2026, 3, 1), value=6)
    with pytest.raises(ValidationError):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_negative_department_plan_is_refused_by_the_database(ann, deals):
    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentPlan.objects.create(
            department=ann.department, kpi=deals, month=date(2026, 3, 1), value=-5
        )


# --- Employee ---------------------------------------------------------------------------


def test_seller_without_department_is_refused():
    seller = Employee(user=make_user("ann"), position="seller", sales_role=role("salesperson"))
    with pytest.raises(ValidationError) as refused:
        seller.full_clean()
    assert set(errors_of(refused)) == {"department"}


def test_seller_without_role_is_refused():
    seller = Employee(user=make_user("ann"), position="seller", department=make_department("n"))
    with pytest.raises(ValidationError) as refused:
        seller.full_clean()
    assert set(errors_of(refused)) == {"sales_role"}


@pytest.mark.parametrize("position", ["head", "director"])
def test_heads_and_directors_need_neither_department_nor_role(position):
    Employee(user=make_user("boss"), position=position).full_clean()


def test_leaving_before_hiring_is_refused(ann):
    ann.hired_on = date(2026, 3, 1)
    ann.left_on = date(2026, 2, 28)
    with pytest.raises(ValidationError) as refused:
        ann.full_clean()
    assert set(errors_of(refused)) == {"left_on"}


def test_unknown_time_zone_is_refused(ann):
    ann.timezone = "Europe/Atlantis"
    with pytest.raises(ValidationError) as refused:
        ann.full_clean()
    assert set(errors_of(refused)) == {"timezone"}


def test_far_eastern_time_zone_is_fine(ann):
    ann.timezone = "Asia/Kamchatka"
    ann.full_clean()


def test_employed_on(ann):
    ann.hired_on = date(2026, 3, 10)
    ann.left_on = date(2026, 3, 20)
    assert not ann.is_employed_on(date(2026, 3, 9))
    assert ann.is_employed_on(date(2026, 3, 10))
    assert ann.is_employed_on(date(2026, 3, 20))
    assert not ann.is_employed_on(date(2026, 3, 21))


def test_extension_is_unique_in_the_database():
    north = make_department("north")
    make_seller("ann", north, extension="101")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_seller("bob", north, extension="101")


def test_extension_is_unique_in_validation():
    north = make_department("north")
    make_seller("ann", north, extension="101")
    bob = Employee(
        user=make_user("bob"),
        department=north,
        sales_role=role("salesperson"),
        extension="101",
    )
    with pytest.raises(ValidationError):
        bob.full_clean()


def test_many_employees_without_extension():
    # The uniqueness is conditional: blank means "no telephony", shared by everybody.
    north = make_department("north")
    make_seller("ann", north)
    make_seller("bob", north)
    make_head("boss", [north])
    assert Employee.objects.filter(extension="").count() == 3


# --- Absence ----------------------------------------------------------------------------


def test_absence_ending_before_it_starts_is_refused_by_validation(ann):
    absence = Absence(employee=ann, kind="vacation", start=date(2026, 3, 10), end=date(2026, 3, 9))
    with pytest.raises(ValidationError) as refused:
        absence.full_clean()
    assert "end" in errors_of(refused)


def test_absence_ending_before_it_starts_is_refused_by_the_database(ann):
    with pytest.raises(IntegrityError), transaction.atomic():
        Absence.objects.create(
            employee=ann, kind="sick", start=date(2026, 3, 10), end=date(2026, 3, 9)
        )


def test_one_day_absence_is_fine(ann):
    Absence(employee=ann, kind="sick", start=date(2026, 3, 10), end=date(2026, 3, 10)).full_clean()


def test_the_builtin_retention_kpis_are_valid_and_an_opening_formula_needs_snapshots():
    role("account_manager")  # the built-in catalogue
    for code in ("clients_at_start", "retained_buyers", "retention_pct"):
        Kpi.objects.get(code=code).full_clean()
    opening = Kpi(
        code="deals_at_start",
        name_ru="Сделки на начало",
        source=Kpi.Source.DERIVED,
        aggregation=Kpi.Aggregation.OPENING,
        formula="deals_count + clients_in_work",
    )
    with pytest.raises(ValidationError) as excinfo:
        opening.full_clean()
    assert "deals_count" in errors_of(excinfo)["formula"][0]
    cohort = Kpi(
        code="typed_cohort",
        name_ru="Когорта",
        source=Kpi.Source.MANUAL,
        aggregation=Kpi.Aggregation.COHORT,
    )
    with pytest.raises(ValidationError) as excinfo:
        cohort.full_clean()
    assert "aggregation" in errors_of(excinfo)
