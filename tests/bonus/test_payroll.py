"""Which scheme pays, and a closed month that stays as it was paid (issue 17, point 6)."""

from datetime import date
from decimal import Decimal as D

import pytest

from salespulse.bonus import payroll, schemes
from salespulse.bonus.models import ClosedMonth
from salespulse.lib import bonus_spec
from salespulse.lib.periods import Period
from tests.bonus.conftest import SCHEME, fact

pytestmark = pytest.mark.django_db
NOVEMBER = Period.of("month", date(2026, 11, 1))
DECEMBER = Period.of("month", date(2026, 12, 1))
DAY = date(2026, 11, 11)


def statement(org, period=NOVEMBER, day=DAY, **kw):
    (s,) = payroll.statements([org["ann"]], period, day, **kw)
    return s


def flat(base: int) -> dict:
    return {"name": f"flat {base}", "base": base, "components": []}


def test_a_scheme_from_next_month_does_not_change_this_one(org):
    before = statement(org)
    schemes.save(schemes.target_of("cold_caller"), flat(99000), date(2026, 12, 1))
    assert statement(org) == before
    assert statement(org, DECEMBER, date(2026, 12, 2)).base == 99000


def test_the_seller_beats_the_department_beats_the_role(org):
    schemes.save(schemes.target_of("department:north"), flat(1), date(2026, 10, 1))
    assert statement(org).base == 1
    schemes.save(schemes.target_of("seller:ann"), flat(2), date(2026, 9, 1))
    assert statement(org).base == 2
    # bob is in another department: the role's scheme still pays him.
    (bob,) = payroll.statements([org["bob"]], NOVEMBER, DAY)
    assert bob.base == 30000


def test_a_seller_without_a_scheme_gets_no_statement(org):
    schemes.save(schemes.target_of("cold_caller"), flat(5), date(2027, 1, 1))
    assert payroll.statements([org["ann"]], Period.of("month", date(2026, 10, 1)), DAY) == []


def test_a_closed_month_does_not_change_when_a_fact_of_it_is_corrected(org):
    paid = statement(org, day=None)  # November over: judged whole (15 + 4 = 19 leads)
    assert paid.bonus == (19 - 10) * 500
    payroll.close_month(org["north"], NOVEMBER, org["head"].pk and org["head"], date(2026, 12, 3))
    fact(org["ann"], "leads", date(2026, 11, 12), 10)  # a late correction: 29 leads
    again = statement(org, day=None)
    assert (
        again.closed
        and again.bonus == paid.bonus
        and again.components == tuple(c for c in again.components)
    )
    december = statement(org, DECEMBER, date(2026, 12, 3), adjustments=True)
    # November recomputed: (29 − 10) × 500 + 5 000 (the 50 % step) = 14 500, paid 4 500.
    assert december.adjustment == 10000
    assert december.to_pay == december.total + 10000


def test_a_month_is_closed_once_and_only_when_over(org):
    with pytest.raises(payroll.CannotClose, match="not over"):
        payroll.close_month(org["north"], NOVEMBER, org["head"], date(2026, 11, 30))
    payroll.close_month(org["north"], NOVEMBER, org["head"], date(2026, 12, 1))
    with pytest.raises(payroll.CannotClose, match="already closed"):
        payroll.close_month(org["north"], NOVEMBER, org["head"], date(2026, 12, 1))
    assert ClosedMonth.objects.get().payouts.get().row["closed"] is True


def test_the_stored_scheme_reads_back_as_the_file_said(org):
    (version,) = schemes.versions_of(schemes.target_of("cold_caller"))
    assert version.parsed() == bonus_spec.parse(bonus_spec.loads(SCHEME))


def test_the_team_multiplier_reads_the_whole_department(org):
    """north gets cat, 25 leads by the 10th: the department has 15 + 25 of 80 planned, 50 %,
    which the scheme multiplies by 1.2. bob, in south, is not part of it."""
    from salespulse.kpis.models import Kpi, Plan
    from tests.factories import make_seller

    cat = make_seller("cat", org["north"], "cold_caller")
    Plan.objects.create(
        employee=cat, kpi=Kpi.objects.get(code="leads"), start=date(2026, 11, 1), value=40
    )
    fact(cat, "leads", date(2026, 11, 9), 25)
    fact(org["bob"], "leads", date(2026, 11, 9), 1000)
    data = {
        "name": "team",
        "base": 0,
        "components": [
            {"type": "per_unit", "kpi": "leads", "rate": 500, "threshold": 10},
            {"type": "team", "kpi": "leads", "steps": [[50, "1.2"]], "below": "0.8"},
        ],
    }
    schemes.save(schemes.target_of("department:north"), data, date(2026, 11, 1))
    (s,) = payroll.statements([org["ann"]], NOVEMBER, DAY)
    assert [c.amount for c in s.components] == [2500, 500] and s.bonus == 3000
    assert s.components[1].completion == D("0.5")
    # At the pace: ann 15 / 6 × 20 = 50 leads, cat 25 / 6 × 20 = 83.3; the team 167 %.
    assert s.projected == (50 - 10) * 500 * D("1.2")


def test_the_query_count_does_not_grow_with_the_sellers(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salespulse.kpis.figures import sellers_queryset
    from tests.factories import make_seller

    def count() -> int:
        sellers = list(sellers_queryset().filter(department=org["north"]))
        with CaptureQueriesContext(connection) as queries:
            payroll.statements(sellers, NOVEMBER, DAY, adjustments=True)
        return len(queries)

    one = count()
    for n in range(3):
        make_seller(f"extra{n}", org["north"], "cold_caller")
    assert count() == one


def test_a_scheme_edited_in_the_admin_is_held_to_the_language(org):
    from django.core.exceptions import ValidationError

    from salespulse.bonus.models import Scheme

    bad = Scheme(
        department=org["north"],
        valid_from=date(2026, 12, 1),
        spec={"components": [{"type": "per_unit", "kpi": "nope", "rate": 1}]},
    )
    with pytest.raises(ValidationError, match="no KPI 'nope'"):
        bad.full_clean()
    two = Scheme(
        department=org["north"], employee=org["ann"], valid_from=date(2026, 12, 1), spec={}
    )
    with pytest.raises(ValidationError, match="one role, one department or one seller"):
        two.full_clean()


def test_a_kpi_deleted_after_the_scheme_named_it_pays_nothing(org):
    from salespulse.kpis.models import Kpi

    Kpi.objects.create(code="visits", name_ru="Визиты")
    data = {
        "base": 100,
        "components": [
            {"type": "per_unit", "kpi": "leads", "rate": 1},
            {"type": "per_unit", "kpi": "visits", "rate": 1000},
        ],
    }
    schemes.save(schemes.target_of("seller:ann"), data, date(2026, 11, 1))
    Kpi.objects.filter(code="visits").delete()
    s = statement(org)
    assert [c.amount for c in s.components] == [15, 0] and s.total == 115
